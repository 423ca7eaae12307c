#!/usr/bin/env bash
# The VM lane of the test suite: the kernel tests, under Bun and Deno, on Debian's stock 6.1
# kernel (which has kprobes and fentry, unlike the development hosts). Ends with the line
#   N passed, N failed
set -u
cd "$(dirname "$0")/../.."
tests/vm/run.sh --timeout 1800 -- bash tests/run.sh kernel
