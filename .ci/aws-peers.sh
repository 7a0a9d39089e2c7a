#!/usr/bin/env bash
# Real AWS peers for the adapter-aws tests: cargo-lambda (Runtime API + Invoke API emulator),
# moto (SNS/SQS/S3), cfn-lint (SAM template check). Everything comes from PyPI into one venv.
#
#   .ci/aws-peers.sh install                 # idempotent; creates $FAASPORT_VENV
#   .ci/aws-peers.sh start-lambda PORT       # cargo lambda watch --only-lambda-apis on 127.0.0.1:PORT
#   .ci/aws-peers.sh start-moto PORT         # moto_server on 127.0.0.1:PORT
#   .ci/aws-peers.sh stop-lambda PORT | stop-moto PORT | stop-all
#   .ci/aws-peers.sh env-lambda PORT         # prints the exports a runtime binary needs
#   .ci/aws-peers.sh cfn-lint FILE...        # runs the pinned cfn-lint
#   .ci/aws-peers.sh selftest                # starts both peers, does one round trip each, stops them
#
# Can also be sourced: `source .ci/aws-peers.sh` defines the aws_peers_* functions without running anything.
#
# Notes (verified, see notes/aws-research.md):
# - cargo-lambda `watch` needs a Cargo.toml (it runs `cargo metadata`) even with --only-lambda-apis;
#   it builds nothing in that mode. We run it from a tiny dummy package under $FAASPORT_VENV, so the
#   cwd does not matter and the workspace is never built by it.
# - The Runtime API is at http://127.0.0.1:PORT/.rt (AWS_LAMBDA_RUNTIME_API may carry scheme + path;
#   lambda_runtime_api_client keeps the /.rt prefix). Invoke API: POST /2015-03-31/functions/_/invocations.
# - cfn-lint is pinned to 1.53.3: the last release that runs the real SAM transform (aws-sam-translator).
#   1.54+ dropped it and silently accepts SAM templates that fail to deploy.
# - cargo-lambda is installed with --no-deps: its only dependency is ziglang (411 MB), needed only
#   for cross-compiling, never for `watch`.
set -euo pipefail

AWS_PEERS_VENV="${FAASPORT_VENV:-$PWD/.venv-peers}"
AWS_PEERS_RUN="${AWS_PEERS_RUN:-$AWS_PEERS_VENV/run}"
CARGO_LAMBDA_VERSION=1.9.2
MOTO_VERSION=5.2.5
CFN_LINT_VERSION=1.53.3
SAM_TRANSLATOR_VERSION=1.115.0

aws_peers_install() {
  local stamp="$AWS_PEERS_VENV/.faasport-peers-$CARGO_LAMBDA_VERSION-$MOTO_VERSION-$CFN_LINT_VERSION-$SAM_TRANSLATOR_VERSION"
  if [[ -f "$stamp" ]]; then return 0; fi
  local py="${PYTHON:-python3}"
  if [[ ! -x "$AWS_PEERS_VENV/bin/python" ]]; then
    "$py" -m venv "$AWS_PEERS_VENV" || {
      # Debian without python3-venv
      if command -v apt-get >/dev/null; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; fi
      "$py" -m venv "$AWS_PEERS_VENV"
    }
  fi
  local pip=("$AWS_PEERS_VENV/bin/python" -m pip install -q --disable-pip-version-check)
  "${pip[@]}" --no-deps "cargo-lambda==$CARGO_LAMBDA_VERSION"
  "${pip[@]}" "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION" "aws-sam-translator==$SAM_TRANSLATOR_VERSION"
  # dummy package for `cargo lambda watch` (needs `cargo metadata` to succeed in its cwd)
  mkdir -p "$AWS_PEERS_VENV/lambda-dummy/src"
  printf '[package]\nname = "faasport-lambda-dummy"\nversion = "0.0.0"\nedition = "2021"\n\n[workspace]\n' \
    > "$AWS_PEERS_VENV/lambda-dummy/Cargo.toml"
  echo 'fn main() {}' > "$AWS_PEERS_VENV/lambda-dummy/src/main.rs"
  touch "$stamp"
}

_aws_peers_wait_http() { # url seconds
  local url=$1 secs=${2:-30} i
  for ((i = 0; i < secs * 10; i++)); do
    if curl -s -o /dev/null -m 1 "$url"; then return 0; fi
    sleep 0.1
  done
  echo "aws-peers: $url did not come up in ${secs}s" >&2
  return 1
}

_aws_peers_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

aws_peers_start_lambda() { # PORT
  local port=${1:?port}
  aws_peers_install
  mkdir -p "$AWS_PEERS_RUN"
  _aws_peers_port_free "$port" || { echo "aws-peers: port $port busy" >&2; return 1; }
  (
    cd "$AWS_PEERS_VENV/lambda-dummy"
    # setsid: own process group, so stop can kill it and nothing else
    CARGO_TARGET_DIR="$AWS_PEERS_VENV/lambda-dummy/target" setsid "$AWS_PEERS_VENV/bin/cargo-lambda" lambda watch \
      --only-lambda-apis -A 127.0.0.1 -P "$port" \
      >"$AWS_PEERS_RUN/lambda-$port.log" 2>&1 </dev/null &
    echo $! >"$AWS_PEERS_RUN/lambda-$port.pid"
  )
  # any POST to an unknown function answers 404 at once: good readiness probe that queues nothing
  _aws_peers_wait_http "http://127.0.0.1:$port/2015-03-31/functions/__ready__/invocations" 30
}

aws_peers_start_moto() { # PORT
  local port=${1:?port}
  aws_peers_install
  mkdir -p "$AWS_PEERS_RUN"
  _aws_peers_port_free "$port" || { echo "aws-peers: port $port busy" >&2; return 1; }
  setsid "$AWS_PEERS_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" \
    >"$AWS_PEERS_RUN/moto-$port.log" 2>&1 </dev/null &
  echo $! >"$AWS_PEERS_RUN/moto-$port.pid"
  _aws_peers_wait_http "http://127.0.0.1:$port/moto-api/" 60
}

_aws_peers_stop() { # pidfile
  local f=$1 pid
  [[ -f "$f" ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
aws_peers_stop_lambda() { _aws_peers_stop "$AWS_PEERS_RUN/lambda-${1:?port}.pid"; }
aws_peers_stop_moto() { _aws_peers_stop "$AWS_PEERS_RUN/moto-${1:?port}.pid"; }
aws_peers_stop_all() {
  local f
  for f in "$AWS_PEERS_RUN"/lambda-*.pid "$AWS_PEERS_RUN"/moto-*.pid; do
    [[ -e "$f" ]] && _aws_peers_stop "$f"
  done
  return 0
}

aws_peers_env_lambda() { # PORT -> exports for a lambda_runtime binary
  local port=${1:?port}
  cat <<EOF
export AWS_LAMBDA_RUNTIME_API=http://127.0.0.1:$port/.rt
export AWS_LAMBDA_FUNCTION_NAME=_
export AWS_LAMBDA_FUNCTION_VERSION=1
export AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128
EOF
}

aws_peers_cfn_lint() { aws_peers_install; "$AWS_PEERS_VENV/bin/cfn-lint" "$@"; }

aws_peers_selftest() {
  local lp=${1:-19301} mp=${2:-19302} rt out id
  aws_peers_start_lambda "$lp"
  aws_peers_start_moto "$mp"
  trap 'aws_peers_stop_lambda '"$lp"'; aws_peers_stop_moto '"$mp" RETURN
  rt="http://127.0.0.1:$lp/.rt/2018-06-01/runtime"
  out=$(mktemp)
  curl -s -m 20 -X POST "http://127.0.0.1:$lp/2015-03-31/functions/_/invocations" -d '{"ping":1}' >"$out" &
  local curl_pid=$!
  id=$(curl -s -m 10 -D - -o /dev/null "$rt/invocation/next" | tr -d '\r' | awk -F': ' 'tolower($1)=="lambda-runtime-aws-request-id"{print $2}')
  curl -s -m 5 -X POST "$rt/invocation/$id/response" -d '{"pong":1}' >/dev/null
  wait "$curl_pid"
  [[ "$(cat "$out")" == '{"pong":1}' ]] || { echo "selftest: lambda round trip failed: $(cat "$out")" >&2; return 1; }
  curl -s -m 5 "http://127.0.0.1:$mp/?Action=ListTopics" -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sns/aws4_request' | grep -q ListTopicsResponse \
    || { echo "selftest: moto SNS failed" >&2; return 1; }
  rm -f "$out"
  echo "aws-peers selftest: ok"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  cmd=${1:-}
  shift || true
  case "$cmd" in
    install) aws_peers_install ;;
    start-lambda) aws_peers_start_lambda "$@" ;;
    start-moto) aws_peers_start_moto "$@" ;;
    stop-lambda) aws_peers_stop_lambda "$@" ;;
    stop-moto) aws_peers_stop_moto "$@" ;;
    stop-all) aws_peers_stop_all ;;
    env-lambda) aws_peers_env_lambda "$@" ;;
    cfn-lint) aws_peers_cfn_lint "$@" ;;
    selftest) aws_peers_selftest "$@" ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
else
  set +e +u +o pipefail # don't leak strict mode into the sourcing shell
fi
