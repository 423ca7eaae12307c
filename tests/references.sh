#!/usr/bin/env bash
# Installs what the tests and benchmarks compare tsbpf against, from Debian, and prepares the
# kernel headers bcc compiles against. Idempotent: apt-get runs only when something is missing.
#   bash tests/references.sh        (as root; prints nothing when all is there)
# The headers land in bench/out/kernel-headers, where tests/kernel/originals.ts and bench/ look.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/bench/out

# bpftrace, bcc and bpftool: the tools side by side; clang, libbpf: the C references; gcc,
# systemtap-sdt-dev, libc6-dbg: the user programs the uprobe, USDT and symbolizer tests build
# and read; linux-headers-amd64: bcc's kernel headers; prometheus (with promtool) and golang-go
# (`go tool pprof`): what reads the metrics and profiles tsbpf exports; btrfs-progs: the btrfs
# file system tests/security/mapped_file_btrfs.test.ts maps libraries from.
packages=(bpftrace bpfcc-tools python3-bpfcc bpftool clang libbpf-dev gcc systemtap-sdt-dev libc6-dbg linux-headers-amd64 prometheus golang-go btrfs-progs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}" >&2
  log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi

# This kernel ships no headers. Debian's come in two trees (common + amd64); merged into one,
# they are enough for bcc's tracepoint scripts.
if [[ ! -d $out/kernel-headers/include ]]; then
  common=$(ls -d /usr/src/linux-headers-*-common 2>/dev/null | sort -V | tail -1 || true)
  arch=${common%-common}-amd64
  if [[ -d $common && -d $arch ]]; then
    mkdir -p "$out"
    rm -rf "$out/kernel-headers.tmp"
    mkdir -p "$out/kernel-headers.tmp"
    cp -a "$common/." "$arch/." "$out/kernel-headers.tmp/"
    mv "$out/kernel-headers.tmp" "$out/kernel-headers"
  else
    echo "tests/references.sh: no Debian linux-headers trees under /usr/src: bcc's tools cannot compile" >&2
    exit 1
  fi
fi
