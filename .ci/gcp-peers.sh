#!/usr/bin/env bash
# Real Google Cloud peers for tests/gcp_peers: Google's functions-framework (Python) and the
# cloudevents SDK it decodes with, from PyPI into the shared venv, as the reference behaviour of
# the Functions Framework contract.
#
#   .ci/gcp-peers.sh install                          # idempotent; creates $FAASPORT_VENV
#   .ci/gcp-peers.sh start-ff PORT TARGET SIGNATURE   # functions-framework on 127.0.0.1:PORT serving
#                                                     # tests/gcp_peers/peer.py:TARGET (http|cloudevent);
#                                                     # events are logged to $PEER_LOG
#   .ci/gcp-peers.sh stop-ff PORT | stop-all
#   .ci/gcp-peers.sh selftest                         # starts both peer functions, one request each, stops them
#
# Can also be sourced: `source .ci/gcp-peers.sh` defines the gcp_peers_* functions without running anything.
#
# Notes (checked by hand, 2026-12):
# - functions-framework 3.10.2 requires cloudevents < 2 and resolves 1.12.0; both are pinned.
# - The Python cloudevents SDK does not percent-decode `ce-*` header values (the HTTP binding
#   says it should) and fills in `time` when a binary event has none; the differential test
#   avoids both.
# - gunicorn runs the function; it stops gracefully on SIGTERM, which can take a few seconds, so
#   stop kills the whole process group.
set -euo pipefail

GCP_PEERS_VENV="${FAASPORT_VENV:-$PWD/.venv-peers}"
GCP_PEERS_RUN="${GCP_PEERS_RUN:-$GCP_PEERS_VENV/run}"
GCP_PEERS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUNCTIONS_FRAMEWORK_VERSION=3.10.2
CLOUDEVENTS_VERSION=1.12.0

gcp_peers_install() {
  local stamp="$GCP_PEERS_VENV/.faasport-gcp-peers-$FUNCTIONS_FRAMEWORK_VERSION-$CLOUDEVENTS_VERSION"
  if [[ -f "$stamp" ]]; then return 0; fi
  local py="${PYTHON:-python3}"
  if [[ ! -x "$GCP_PEERS_VENV/bin/python" ]]; then
    "$py" -m venv "$GCP_PEERS_VENV" || {
      if command -v apt-get >/dev/null; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; fi
      "$py" -m venv "$GCP_PEERS_VENV"
    }
  fi
  "$GCP_PEERS_VENV/bin/python" -m pip install -q --disable-pip-version-check \
    "functions-framework==$FUNCTIONS_FRAMEWORK_VERSION" "cloudevents==$CLOUDEVENTS_VERSION"
  touch "$stamp"
}

_gcp_peers_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

gcp_peers_start_ff() { # PORT TARGET SIGNATURE
  local port=${1:?port} target=${2:?target} signature=${3:?signature} i
  gcp_peers_install
  mkdir -p "$GCP_PEERS_RUN"
  _gcp_peers_port_free "$port" || { echo "gcp-peers: port $port busy" >&2; return 1; }
  PEER_LOG="${PEER_LOG:-$GCP_PEERS_RUN/ff-$port.jsonl}" setsid "$GCP_PEERS_VENV/bin/functions-framework" \
    --source "$GCP_PEERS_ROOT/tests/gcp_peers/peer.py" --target "$target" --signature-type "$signature" \
    --host 127.0.0.1 --port "$port" >"$GCP_PEERS_RUN/ff-$port.log" 2>&1 </dev/null &
  echo $! >"$GCP_PEERS_RUN/ff-$port.pid"
  disown $! 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    if curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/robots.txt"; then return 0; fi
    sleep 0.1
  done
  echo "gcp-peers: functions-framework did not come up on $port" >&2
  return 1
}

gcp_peers_stop_ff() { # PORT
  local f="$GCP_PEERS_RUN/ff-${1:?port}.pid" pid
  [[ -f "$f" ]] || return 0
  pid=$(cat "$f")
  kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

gcp_peers_stop_all() {
  local f
  for f in "$GCP_PEERS_RUN"/ff-*.pid; do
    [[ -e "$f" ]] || continue
    f=${f##*/ff-}
    gcp_peers_stop_ff "${f%.pid}"
  done
}

gcp_peers_selftest() {
  local hp=${1:-19411} ep=${2:-19412} log
  log=$(mktemp)
  gcp_peers_start_ff "$hp" http_peer http
  PEER_LOG="$log" gcp_peers_start_ff "$ep" event_peer cloudevent
  trap 'gcp_peers_stop_ff '"$hp"'; gcp_peers_stop_ff '"$ep" RETURN
  curl -s -m 5 "http://127.0.0.1:$hp/hello?x=1" | grep -q '"path":"/hello"' \
    || { echo "selftest: http peer failed" >&2; return 1; }
  curl -s -m 5 "http://127.0.0.1:$ep/" -H 'ce-specversion: 1.0' -H 'ce-id: 1' -H 'ce-source: /s' \
    -H 'ce-type: t' -H 'content-type: application/json' -d '{"a":1}' >/dev/null
  grep -q '"id": "1"' "$log" || { echo "selftest: event peer failed: $(cat "$log")" >&2; return 1; }
  rm -f "$log"
  echo "gcp-peers selftest: ok"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  cmd=${1:-}
  shift || true
  case "$cmd" in
    install) gcp_peers_install ;;
    start-ff) gcp_peers_start_ff "$@" ;;
    stop-ff) gcp_peers_stop_ff "$@" ;;
    stop-all) gcp_peers_stop_all ;;
    selftest) gcp_peers_selftest "$@" ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
  esac
else
  set +e +u +o pipefail # don't leak strict mode into the sourcing shell
fi
