#!/bin/sh
# Before `npm pack` (package.json "prepack"): the pre-bundled module graph in dist/ (pack/bundle.ts),
# which Bun and Deno run from the npm package (package.json "exports", bin/tsbpf), and JavaScript
# beside each of tsbpf's sources, which Deno (it does not strip types from TypeScript inside
# node_modules) runs for a module reached by path, and declarations in types/ for tsc, editors and
# deno check (package.json "types"; pack/declarations.ts says why they are apart and name .js).
# pack/clean.sh ("postpack") removes exactly what this wrote (pack/.emitted).
set -eu
cd "$(dirname "$0")/.."
tsc=node_modules/.bin/tsc
[ -x "$tsc" ] || { echo "pack/emit.sh: needs TypeScript's tsc (npm install, it is a devDependency)" >&2; exit 1; }
sh pack/clean.sh
# --noCheck: the type check is the test suite's (deno check); here only the emit matters, and
# Deno's and Bun's own globals are not declared to tsc.
"$tsc" -p pack/tsconfig.json --noCheck --listEmittedFiles | sed -n 's/^TSFILE: //p' > pack/.emitted
# The bundle is built here, into the package directory, and nowhere else: it is as trusted as the
# sources beside it, and nothing builds or reads it at run time.
runner=node_modules/.bin/bun
[ -x "$runner" ] || runner="node_modules/.bin/deno run -A"
$runner pack/declarations.ts types >> pack/.emitted
$runner pack/bundle.ts "$PWD/dist" >> pack/.emitted
# "tsbpf/kernel" has no code: its types are what `tsbpf types` writes to kernel.d.ts.
printf 'export {};\n' > kernel.js
echo "$PWD/kernel.js" >> pack/.emitted
echo "pack/emit.sh: $(wc -l < pack/.emitted) files emitted" >&2
