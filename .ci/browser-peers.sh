#!/usr/bin/env bash
# Real browser for the dashboard's end-to-end tests: Debian's chromium (apt) driven by
# playwright-core from npm, pinned, installed into the project's gitignored .npm-peers/
# (playwright-core downloads no browser; the tests give it /usr/bin/chromium).
#
#   .ci/browser-peers.sh install     # idempotent; apt-get needs root (as in CI)
#   .ci/browser-peers.sh env         # prints the exports the tests read
set -euo pipefail

BROWSER_PEERS_DIR="${FAASPORT_NPM_PEERS:-$PWD/.npm-peers}"
PLAYWRIGHT_CORE_VERSION=1.65.1

browser_peers_install() {
  if ! command -v chromium >/dev/null; then
    apt-get update -qq && apt-get install -y --no-install-recommends chromium >/dev/null
  fi
  local stamp="$BROWSER_PEERS_DIR/.faasport-playwright-core-$PLAYWRIGHT_CORE_VERSION"
  if [[ -f "$stamp" ]]; then return 0; fi
  command -v npm >/dev/null || { echo "browser-peers: npm is not installed (node 18+ with npm is needed)" >&2; return 1; }
  mkdir -p "$BROWSER_PEERS_DIR"
  npm install --prefix "$BROWSER_PEERS_DIR" --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null
  touch "$stamp"
}

case "${1:-}" in
  install) browser_peers_install ;;
  env)
    echo "export FAASPORT_CHROMIUM=$(command -v chromium)"
    echo "export FAASPORT_PLAYWRIGHT_CORE=$BROWSER_PEERS_DIR/node_modules/playwright-core"
    ;;
  *) echo "usage: $0 install | env" >&2; exit 2 ;;
esac
