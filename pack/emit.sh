#!/bin/sh
# Before `npm pack` (package.json "prepack"): JavaScript and declarations beside each of tsbpf's
# sources. Deno (and Node) refuse to strip types from TypeScript inside node_modules, so from
# the npm package they run the .js; Bun runs the .ts (the "bun" export condition); editors
# read the .d.ts. pack/clean.sh ("postpack") removes exactly what this wrote (pack/.emitted).
set -eu
cd "$(dirname "$0")/.."
tsc=node_modules/.bin/tsc
[ -x "$tsc" ] || { echo "pack/emit.sh: needs TypeScript's tsc (npm install, it is a devDependency)" >&2; exit 1; }
sh pack/clean.sh
# --noCheck: the type check is the test suite's (deno check); here only the emit matters, and
# Deno's and Bun's own globals are not declared to tsc.
"$tsc" -p pack/tsconfig.json --noCheck --listEmittedFiles | sed -n 's/^TSFILE: //p' > pack/.emitted
# "tsbpf/kernel" has no code: its types are what `tsbpf types` writes to kernel.d.ts.
printf 'export {};\n' > kernel.js
echo "$PWD/kernel.js" >> pack/.emitted
echo "pack/emit.sh: $(wc -l < pack/.emitted) files emitted" >&2
