#!/usr/bin/env bash
# Runs the whole test suite under Bun and under Deno and prints one total line:
#   N passed, N failed
# Usage: tests/run.sh [unit|kernel|all]   (default all; kernel tests need root)
#        tests/run.sh files FILE...         (just these test files)
set -u
cd "$(dirname "$0")/.."
BIN=node_modules/.bin
[ -x "$BIN/bun" ] && [ -x "$BIN/deno" ] || npm install --no-audit --no-fund >/dev/null
which=${1:-all}
case "$which" in
  unit) dirs=(./tests/unit) ;;
  kernel) dirs=(./tests/kernel) ;;
  all) dirs=(./tests/unit ./tests/kernel ./tests/security ./tests/lifecycle) ;;
  files) shift; dirs=(); for f in "$@"; do dirs+=("./$f"); done ;;
  *) echo "usage: tests/run.sh [unit|kernel|all] | files FILE..." >&2; exit 2 ;;
esac
if [ "$which" != unit ] && [ "$(id -u)" != 0 ]; then
  echo "tests/run.sh: kernel tests load BPF programs and need root; run: sudo $0 $which" >&2
  exit 2
fi
# Tests compile their own tracers: keep them from reading or filling the user's cache.
export TSBPF_NO_CACHE=1
passed=0 failed=0
log=$(mktemp -d)

echo "== bun test ${dirs[*]}"
NO_COLOR=1 "$BIN/bun" test --timeout 300000 "${dirs[@]}" 2>&1 | tee "$log/bun.txt"
p=$(grep -Eo '^ *[0-9]+ pass' "$log/bun.txt" | tail -1 | grep -Eo '[0-9]+'); f=$(grep -Eo '^ *[0-9]+ fail' "$log/bun.txt" | tail -1 | grep -Eo '[0-9]+')
[ -z "${p:-}" ] && [ -z "${f:-}" ] && f=1  # no summary: the runner itself failed
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
echo "bun: ${p:-0} passed, ${f:-0} failed"

echo "== deno test ${dirs[*]}"
NO_COLOR=1 "$BIN/deno" test -A --quiet "${dirs[@]}" 2>&1 | tee "$log/deno.txt"
line=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log/deno.txt" | tail -1)
p=$(echo "$line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+'); f=$(echo "$line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+')
[ -z "$line" ] && f=1
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
echo "deno: ${p:-0} passed, ${f:-0} failed"

rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
