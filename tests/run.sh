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
# The run's own TMPDIR (sticky and world-writable, as /tmp is: tests hand directories in it to
# nobody), so that what the tests leave in it is this run's alone, whatever else runs on the
# machine: every suite removes its temporary directories on both runtimes (node:test after();
# Deno's runner runs no process "exit" listeners), and a tsbpf-* left there counts as a failure.
export TMPDIR
TMPDIR=$(mktemp -d /tmp/tsbpf-run-XXXXXX) && chmod 1777 "$TMPDIR"
run_tmp=$TMPDIR

# A hung test must not take the whole run with it (Deno's runner has no per-test timeout): when a
# runner prints nothing for TSBPF_TEST_STALL seconds, what its processes wait on is printed, the
# runner and its children are killed, and the tests it finished count as they ended plus one
# failure for the hang.
stall=${TSBPF_TEST_STALL:-600}
runner=0
trap '[ "$runner" -gt 0 ] && kill -TERM -- -"$runner" 2>/dev/null; rm -rf "$run_tmp"; exit 130' INT TERM
watched() { # OUT CMD...: runs CMD in its own process group, output to OUT and to this terminal
  local out=$1 size last=-1 quiet=0; shift
  : >"$out"
  setsid "$@" >"$out" 2>&1 &
  runner=$!
  tail -n +1 -f --pid="$runner" "$out" &
  local tailer=$!
  while kill -0 "$runner" 2>/dev/null; do
    sleep 5
    size=$(stat -c %s "$out")
    if [ "$size" != "$last" ]; then last=$size quiet=0; else quiet=$((quiet + 5)); fi
    if [ "$quiet" -ge "$stall" ]; then
      stalled "$runner" >>"$out" 2>&1
      kill -KILL -- -"$runner" 2>/dev/null
      break
    fi
  done
  wait "$runner" 2>/dev/null
  wait "$tailer" 2>/dev/null
  runner=0
}
left_behind() { # RUNTIME: fails the run for each tsbpf-* its tests left in the run's TMPDIR
  local left
  left=$(find "$run_tmp" -mindepth 1 -maxdepth 1 -name 'tsbpf-*' | sort)
  [ -z "$left" ] && return
  echo "$1: the tests left these behind in TMPDIR (remove them in an after() hook):"
  echo "$left"
  failed=$((failed + 1))
  rm -rf $left
}
stalled() { # PGID: what every process of the hung runner waits on
  echo "tests/run.sh: no output for ${stall}s: the runner is stuck; its processes:"
  ps -o pid,ppid,stat,wchan:32,etimes,args -g "$1"
  local p
  for p in $(pgrep -g "$1"); do
    echo "--- $p $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-160)"
    cat /proc/"$p"/stack 2>/dev/null | head -12
    for t in /proc/"$p"/task/*; do
      echo "  thread ${t##*/} $(cat "$t"/comm 2>/dev/null) $(cat "$t"/wchan 2>/dev/null) syscall $(cut -d' ' -f1 "$t"/syscall 2>/dev/null)"
    done
  done
  echo "TEST STALLED"
}

echo "== bun test ${dirs[*]}"
watched "$log/bun.txt" env NO_COLOR=1 "$BIN/bun" test --timeout 300000 "${dirs[@]}"
p=$(grep -Eo '^ *[0-9]+ pass' "$log/bun.txt" | tail -1 | grep -Eo '[0-9]+'); f=$(grep -Eo '^ *[0-9]+ fail' "$log/bun.txt" | tail -1 | grep -Eo '[0-9]+')
if grep -q '^TEST STALLED' "$log/bun.txt"; then p=$(grep -c '^(pass)' "$log/bun.txt"); f=$(($(grep -c '^(fail)' "$log/bun.txt") + 1)); fi
[ -z "${p:-}" ] && [ -z "${f:-}" ] && f=1  # no summary: the runner itself failed
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
echo "bun: ${p:-0} passed, ${f:-0} failed"
left_behind bun

# TSBPF_TEST_NO_TYPECHECK=1: Deno runs the tests without type-checking them first (the VM lane,
# where the host's run has checked the same files and the check takes minutes under emulation).
check=()
[ "${TSBPF_TEST_NO_TYPECHECK:-}" = 1 ] && check=(--no-check)
echo "== deno test ${dirs[*]}"
watched "$log/deno.txt" env NO_COLOR=1 "$BIN/deno" test -A --quiet "${check[@]}" "${dirs[@]}"
line=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log/deno.txt" | tail -1)
p=$(echo "$line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+'); f=$(echo "$line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+')
if grep -q '^TEST STALLED' "$log/deno.txt"; then
  line=stalled p=$(grep -Ec ' \.\.\. ok( |$)' "$log/deno.txt"); f=$(($(grep -Ec ' \.\.\. FAILED( |$)' "$log/deno.txt") + 1))
fi
[ -z "$line" ] && f=1
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
echo "deno: ${p:-0} passed, ${f:-0} failed"
left_behind deno

rm -rf "$log" "$run_tmp"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
