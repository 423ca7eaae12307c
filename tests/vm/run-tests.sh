#!/usr/bin/env bash
# The VM lane of the test suite, under Bun and Deno, on Debian's stock 6.1 kernel (which has
# kprobes and fentry, unlike the development hosts): the probe kinds only it has, and the core
# suites again on a second kernel (its struct layouts and verifier differ), and the tools whose
# tests hold under TCG: the kprobe/fentry tools (only here), and a few others on 6.1's
# tracepoints and perf events (tcplife's skip there: it needs 6.3), and the side-by-side
# comparisons with bpftrace's kprobe tools and bcc's struct-reading ones. Ends with
#   N passed, N failed
set -u
cd "$(dirname "$0")/../.."
FILES=(
  tests/kernel/kprobe.test.ts tests/kernel/kprobe_wildcard.test.ts tests/kernel/wildcard.test.ts tests/kernel/tp_btf.test.ts
  tests/kernel/build.test.ts tests/kernel/language.test.ts
  tests/kernel/differential.test.ts tests/kernel/maps.test.ts tests/kernel/lifecycle.test.ts
  tests/kernel/errors.test.ts tests/kernel/execsnoop.test.ts tests/kernel/opensnoop.test.ts
  tests/kernel/syscount.test.ts tests/kernel/loss.test.ts tests/kernel/fuzz.test.ts tests/kernel/plan.test.ts
  tests/kernel/tcpaccept.test.ts tests/kernel/vfsstat.test.ts tests/kernel/capable.test.ts tests/kernel/tcplife.test.ts
  tests/kernel/who-calls-execve.test.ts tests/kernel/profile.test.ts tests/kernel/runqlen.test.ts
  tests/kernel/perf_buffer.test.ts
  tests/kernel/side_by_side_vm.test.ts
)
tests/vm/run.sh --timeout 4800 -- bash tests/run.sh files "${FILES[@]}"
