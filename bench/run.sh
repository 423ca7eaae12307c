#!/usr/bin/env bash
# bench/run.sh — the whole benchmark suite in one command (as root, from anywhere):
#
#   bash bench/run.sh            install the references, build, run everything, write bench/RESULTS.md
#   bash bench/run.sh --smoke    tsbpf jobs only, once each with tiny counts (< 1 min, for CI);
#                                needs only cc; exits non-zero if a job produced no events
#   bash bench/run.sh --commit REV   measure tsbpf as committed at REV (e.g. HEAD): a clean copy
#                                (git archive) in bench/out/snapshot, immune to edits in the work tree
#
# Further options go to bench/run.ts: --runs N, --seconds S, --repeats N, --only libbpf,tsbpf,...
# Everything built lands in bench/out/ (git-ignored).
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench/.." && pwd)
out=$bench/out
mkdir -p "$out"

export BENCH_COMMAND="bash bench/run.sh${*:+ $*}" # recorded in RESULTS.md
smoke=0 commit="" args=()
while (($#)); do
  case $1 in
    --smoke) smoke=1; args+=("$1") ;;
    --commit) commit=$2; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done

if [[ $(id -u) != 0 ]]; then
  echo "bench/run.sh: run as root (tracing needs it)" >&2
  exit 1
fi
[[ -x $repo/node_modules/.bin/bun ]] || (cd "$repo" && npm install --no-audit --no-fund)

# The reference tools, from Debian, and bcc's kernel headers (shared with the tests).
if [[ $smoke == 0 ]]; then
  bash "$repo/tests/references.sh"
fi

# Build what changed: the generator and the launch stopwatch always, the libbpf floor for a full run.
build() { # build OUTPUT SOURCE... -- COMMAND...
  local target=$1 src
  shift
  local sources=()
  while [[ $1 != -- ]]; do sources+=("$1"); shift; done
  shift
  for src in "${sources[@]}"; do
    if [[ ! -e $target || $src -nt $target ]]; then "$@"; return; fi
  done
}
build "$out/gen" "$bench/gen.c" -- cc -O2 -Wall -o "$out/gen" "$bench/gen.c"
build "$out/launch" "$bench/launch.c" -- cc -O2 -Wall -o "$out/launch" "$bench/launch.c"
if [[ $smoke == 0 ]]; then
  for prog in launch1 launch5 stream stream_perf count; do
    build "$out/$prog.bpf.o" "$bench/ref/$prog.bpf.c" "$bench/ref/common.h" -- \
      clang -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c "$bench/ref/$prog.bpf.c" -o "$out/$prog.bpf.o"
  done
  build "$out/loader" "$bench/ref/loader.c" -- cc -O2 -Wall -o "$out/loader" "$bench/ref/loader.c" -lbpf
fi

if [[ -n $commit ]]; then
  rev=$(git -C "$repo" rev-parse --short "$commit")
  snap=$out/snapshot
  rm -rf "$snap"
  mkdir -p "$snap"
  git -C "$repo" archive "$rev" | tar -x -C "$snap"
  ln -s "$repo/node_modules" "$snap/node_modules"
  echo "commit $rev ($(git -C "$repo" log -1 --format=%s "$rev"))" > "$snap/.bench-commit"
  args+=(--tree "$snap")
fi

# What users get: the measured tree packed as npm packs it (with its pre-bundled dist/) and
# installed into a project of its own, where the tsbpf scripts run (bench/README.md, "Method").
# Its deno.json and tsconfig.json keep Deno and Bun from taking the repository's own, which map
# "tsbpf" to the sources.
tree=${snap:-$repo}
pkg=$out/package
rm -rf "$pkg"
mkdir -p "$pkg"
tarball=$(cd "$tree" && npm pack --silent --pack-destination "$pkg" 2>"$pkg/pack.log" | tail -1)
[[ -n $tarball && -f $pkg/$tarball ]] || { cat "$pkg/pack.log"; echo "bench/run.sh: npm pack failed" >&2; exit 1; }
printf '{ "name": "tsbpf-bench", "private": true, "type": "module" }\n' > "$pkg/package.json"
printf '{ "nodeModulesDir": "manual" }\n' > "$pkg/deno.json"
printf '{}\n' > "$pkg/tsconfig.json"
# esbuild: the package's optional peer, which `tsbpf build` (the bundle rows) needs.
(cd "$pkg" && npm install --no-audit --no-fund --prefer-offline "./$tarball" esbuild > install.log 2>&1) ||
  { cat "$pkg/install.log"; echo "bench/run.sh: npm install of the packed tsbpf failed" >&2; exit 1; }
args+=(--package "$pkg")
# As on a user's machine, bun and deno are in PATH (the package's tsbpf command looks there).
export PATH="$repo/node_modules/.bin:$PATH"

cd "$repo"
exec "$repo/node_modules/.bin/bun" "$bench/run.ts" "${args[@]}"
