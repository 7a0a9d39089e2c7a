#!/usr/bin/env bash
# Real Azure peer for the adapter-azure binding tests: Azurite (Blob, Queue and Table Storage
# emulator) from npm, pinned, installed into the project's gitignored .npm-peers/.
#
#   .ci/azure-peers.sh install                          # idempotent
#   .ci/azure-peers.sh start BLOB_PORT QUEUE_PORT TABLE_PORT   # on 127.0.0.1, in memory, no telemetry
#   .ci/azure-peers.sh stop BLOB_PORT | stop-all
#   .ci/azure-peers.sh env BLOB_PORT QUEUE_PORT         # prints the exports the tests read
#
# Notes (wire-protocols.md §3.10):
# - Azurite 3.37.0 accepts the x-ms-version 2026-04-06 that azure_storage_{blob,queue} 1.1 send,
#   so --skipApiVersionCheck is not needed. Its package says node >= 22; it runs on node 20.
# - --inMemoryPersistence cannot be combined with --location; nothing is written to disk.
# - The account is devstoreaccount1 with the documented well-known key; the tests sign an
#   account SAS with it (the SDK crates accept no shared key).
set -euo pipefail

AZURE_PEERS_DIR="${FAASPORT_NPM_PEERS:-$PWD/.npm-peers}"
AZURE_PEERS_RUN="$AZURE_PEERS_DIR/run"
AZURITE_VERSION=3.37.0

azure_peers_install() {
  local stamp="$AZURE_PEERS_DIR/.faasport-azurite-$AZURITE_VERSION"
  if [[ -f "$stamp" ]]; then return 0; fi
  command -v npm >/dev/null || { echo "azure-peers: npm is not installed (node 20+ with npm is needed)" >&2; return 1; }
  mkdir -p "$AZURE_PEERS_DIR"
  npm install --prefix "$AZURE_PEERS_DIR" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >/dev/null
  touch "$stamp"
}

_azure_peers_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_azure_peers_wait() { # port seconds
  local port=$1 secs=${2:-30} i
  for ((i = 0; i < secs * 10; i++)); do
    if curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/"; then return 0; fi
    sleep 0.1
  done
  echo "azure-peers: Azurite did not answer on port $port in ${secs}s (log: $AZURE_PEERS_RUN/azurite-*.log)" >&2
  return 1
}

azure_peers_start() { # BLOB_PORT QUEUE_PORT TABLE_PORT
  local blob=${1:?blob port} queue=${2:?queue port} table=${3:?table port} p
  azure_peers_install
  mkdir -p "$AZURE_PEERS_RUN"
  for p in "$blob" "$queue" "$table"; do
    _azure_peers_port_free "$p" || { echo "azure-peers: port $p busy" >&2; return 1; }
  done
  # setsid: own process group, so stop ends Azurite and nothing else
  setsid "$AZURE_PEERS_DIR/node_modules/.bin/azurite" --silent --inMemoryPersistence --disableTelemetry \
    --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
    --tableHost 127.0.0.1 --tablePort "$table" \
    >"$AZURE_PEERS_RUN/azurite-$blob.log" 2>&1 </dev/null &
  echo $! >"$AZURE_PEERS_RUN/azurite-$blob.pid"
  _azure_peers_wait "$blob" 60 && _azure_peers_wait "$queue" 10
}

_azure_peers_stop() { # pidfile
  local f=$1 pid
  [[ -f "$f" ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
azure_peers_stop() { _azure_peers_stop "$AZURE_PEERS_RUN/azurite-${1:?blob port}.pid"; }
azure_peers_stop_all() {
  local f
  for f in "$AZURE_PEERS_RUN"/azurite-*.pid; do
    [[ -e "$f" ]] && _azure_peers_stop "$f"
  done
  return 0
}

azure_peers_env() { # BLOB_PORT QUEUE_PORT
  cat <<ENV
export FAASPORT_AZURITE_BLOB=http://127.0.0.1:${1:?blob port}/devstoreaccount1
export FAASPORT_AZURITE_QUEUE=http://127.0.0.1:${2:?queue port}/devstoreaccount1
ENV
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  cmd=${1:-}
  shift || true
  case "$cmd" in
    install) azure_peers_install ;;
    start) azure_peers_start "$@" ;;
    stop) azure_peers_stop "$@" ;;
    stop-all) azure_peers_stop_all ;;
    env) azure_peers_env "$@" ;;
    *) sed -n '2,9p' "$0"; exit 2 ;;
  esac
else
  set +e +u +o pipefail # don't leak strict mode into the sourcing shell
fi
