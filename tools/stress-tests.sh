#!/usr/bin/env bash
# The test binaries of some packages, run N times under `stress-ng --cpu 4` (RELIABILITY.md,
# "The test suite under stress-ng"). Builds them once (`cargo test --no-run`), then runs each
# binary from its package's folder, as `cargo test` does, and prints one line per run.
#
#   bash tools/stress-tests.sh [--runs N] [PACKAGE ...]   # default: 20 runs of
#                                                          # faasport-adapter-local, faasport-core
# Installs stress-ng from Debian if missing. Doc tests are not run (they are not binaries).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20
packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) packages+=("$1"); shift ;;
  esac
done
[ ${#packages[@]} -gt 0 ] || packages=(faasport-adapter-local faasport-core)
command -v stress-ng >/dev/null || { sudo -n true 2>/dev/null && SUDO=sudo || SUDO=; $SUDO apt-get install -y stress-ng; }
args=(); for p in "${packages[@]}"; do args+=(-p "$p"); done
list=$(mktemp)
cargo test "${args[@]}" --all-features --no-run --message-format=json 2>/dev/null | python3 -c '
import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(os.path.dirname(m["manifest_path"]), m["target"]["name"], m["executable"])
' > "$list"
echo "$(wc -l < "$list") test binaries of ${packages[*]}; $(nproc) cores"
stress-ng --cpu 4 --quiet &
stress=$!
trap 'kill $stress 2>/dev/null || true; rm -f "$list"' EXIT
sleep 2
failures=0
for run in $(seq 1 "$runs"); do
  start=$(date +%s); passed=0; failed=0; bad=()
  load=$(cut -d' ' -f1 /proc/loadavg)
  while read -r dir name exe; do
    if out=$(cd "$dir" && CARGO_MANIFEST_DIR="$dir" "$exe" -q 2>&1); then rc=0; else rc=$?; fi
    passed=$((passed + $(echo "$out" | awk '/^test result/ {s += $4} END {print s + 0}')))
    failed=$((failed + $(echo "$out" | awk '/^test result/ {s += $6} END {print s + 0}')))
    if [ "$rc" -ne 0 ]; then bad+=("$name"); echo "$out" | tail -n 40; fi
  done < "$list"
  [ ${#bad[@]} -eq 0 ] || failures=$((failures + 1))
  echo "run $run: $([ ${#bad[@]} -eq 0 ] && echo ok || echo "FAILED (${bad[*]})") passed=$passed failed=$failed wall=$(( $(date +%s) - start ))s load=$load..$(cut -d' ' -f1 /proc/loadavg)"
done
echo "$failures of $runs runs failed"
[ "$failures" -eq 0 ]
