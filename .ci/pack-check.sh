#!/usr/bin/env bash
# The npm package and the ways to share a script (docs/install.md), each tried as a user would:
# `npm pack`, the tarball installed into an empty project (its dependencies from the npm cache
# or the registry), then
#   - the tsbpf command, and a script importing "tsbpf", on Bun and on Deno (also as npm:tsbpf),
#     and deno check of it against the package's declarations;
#   - a tool of the package run by tsbpf run on both (Deno: a private copy, not node_modules);
#   - tsbpf run URL of a gist served on 127.0.0.1, on both: --yes runs it, no terminal and no
#     --yes refuses, on a terminal it shows the plan and asks (y runs, n does not), a link pinned by #sha256= runs with the right hash and refuses a wrong one,
#     a gist importing npm:tsbpf (written for deno run URL) runs too;
#   - deno run of a gist straight from its URL, importing tsbpf from a URL in JSR's path shape
#     (.ci/serve.ts), or as npm:tsbpf from a registry that has the tarball (Deno's own npm
#     resolution), with the one permission it needs named by the error without it;
#   - tsbpf build without esbuild says to install it; with it, --compile makes one executable
#     that runs execsnoop with neither bun nor deno in PATH;
#   - in the clone: deno task tsbpf, deno publish --dry-run (JSR, which cannot be reached from
#     CI: the dry run is the check) and deno doc --lint of the public API.
# Prints one line per check, then "pack check: ok" or "pack check: N of M checks failed".
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
BIN="$repo/node_modules/.bin"
tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
export NO_COLOR=1 DENO_DIR="$tmp/deno-dir" TSBPF_NO_CACHE=1
passed=0 failed=0 failures=""
check() { # check NAME COMMAND...: runs COMMAND, its output in $tmp/out
  local name=$1; shift
  if "$@" >"$tmp/out" 2>&1; then passed=$((passed + 1)); echo "  ok: $name"
  else failed=$((failed + 1)); failures="$failures; $name"; echo "  FAILED: $name"; tail -8 "$tmp/out" | sed 's/^/      /'; fi
}
finish() {
  if [ "$failed" -eq 0 ]; then echo "pack check: ok"; exit 0; fi
  echo "pack check: $failed of $((passed + failed)) checks failed:${failures#;}"; exit 1
}
# A tracer that prints "event PID" once it sees its own child's execve.
tracer() { # tracer IMPORT
  cat <<TS
import { spawn } from "node:child_process";
import { comm, pid, RingBuf, Tracer, tracepoint, type Str, type u32 } from "$1";
interface E { pid: u32; comm: Str<16> }
class T extends Tracer {
  events = new RingBuf<E>();
  @tracepoint("syscalls:sys_enter_execve")
  onExec() { this.events.submit({ pid: pid(), comm: comm() }); }
}
const t = await new T().start();
const child = spawn("/bin/true");
for await (const e of t.events) if (e.pid === child.pid) { console.log("event", e.pid); break; }
await t.stop();
TS
}
sees_event() { timeout 120 "$@" | grep -q '^event '; }
refuses() { # refuses PATTERN COMMAND...: fails, saying PATTERN
  local pattern=$1; shift
  if timeout 120 "$@" </dev/null >"$tmp/refused" 2>&1; then cat "$tmp/refused"; echo "(it ran)"; return 1; fi
  cat "$tmp/refused"; grep -q -- "$pattern" "$tmp/refused"
}

cd "$tmp"
tarball=$(cd "$repo" && npm pack --silent --pack-destination "$tmp" 2>"$tmp/pack.log" | tail -1)
[ -n "$tarball" ] && [ -f "$tmp/$tarball" ] || { cat "$tmp/pack.log"; echo "pack check: npm pack failed"; exit 1; }
check "the package holds what users need and nothing else" sh -c "tar tzf '$tmp/$tarball' > files.txt && grep -qx package/LICENSE files.txt && grep -qx package/mod.js files.txt && grep -qx package/types/mod.d.ts files.txt && grep -qx package/dist/mod.js files.txt && grep -qx package/dist/cli_main.js files.txt && ! grep -qE '^package/(tests|bench|\.ci|pack)/|^package/tsconfig.json' files.txt"
mkdir proj && cd proj
printf '{ "name": "proj", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --prefer-offline "$tmp/$tarball" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "pack check: npm install of the tarball failed"; exit 1; }
export PATH="$BIN:$PATH"
tracer tsbpf > trace.ts
tracer npm:tsbpf > trace_npm.ts
# The pre-bundled module graph (pack/bundle.ts) is what both runtimes load for "tsbpf".
printf 'for (const m of ["tsbpf", "tsbpf/tool", "tsbpf/cli"]) console.log(import.meta.resolve(m));\n' > resolve.ts
# Bun takes the entries of the bytecode build (package.json's "bun" condition, pack/bun_library.ts).
check "bun resolves tsbpf to the package's bytecode entries" sh -c "bun resolve.ts > resolved && grep -c '/node_modules/tsbpf/dist/[a-z_]*\.bun\.js\$' resolved | grep -qx 3"
check "deno resolves tsbpf to the package's bundle" sh -c "deno run resolve.ts > resolved && grep -c '/node_modules/tsbpf/dist/[a-z_]*\.js\$' resolved | grep -qx 3"
for rt in bun deno; do
  check "tsbpf list on $rt" sh -c "TSBPF_RUNTIME=$rt timeout 60 node_modules/.bin/tsbpf list syscalls:sys_enter_openat | grep -qx tracepoint:syscalls:sys_enter_openat"
  check "a one-liner (tsbpf -e) on $rt" sh -c "TSBPF_RUNTIME=$rt timeout 60 node_modules/.bin/tsbpf -e 'tracepoint(\"syscalls:sys_enter_execve\", () => { print(comm()); exit(); })' -c /bin/true | grep -qE '^(sh|true)\$'"
  # The command's preload and the script share the bundle (one Tracer, one session).
  # On Bun the command runs the bytecode build, and gives the script its entries (one copy).
  entry='[a-z_]*\.js'; [ "$rt" = bun ] && entry='[a-z_]*\.bun\.js'
  check "tsbpf run: the script's tsbpf is the package's bundle on $rt" sh -c "TSBPF_RUNTIME=$rt timeout 60 node_modules/.bin/tsbpf run resolve.ts > resolved && grep -c '/node_modules/tsbpf/dist/$entry\$' resolved | grep -qx 3"
  check "tsbpf run of the package's execsnoop on $rt" sh -c "TSBPF_RUNTIME=$rt timeout 60 node_modules/.bin/tsbpf run -c /bin/true node_modules/tsbpf/examples/execsnoop.ts | grep -q '^true '"
done
check "bun trace.ts (import from \"tsbpf\")" sees_event bun trace.ts
# Editors' types: the package's .d.ts (Deno checks node: imports against @types/node, as for any npm package).
npm install --no-audit --no-fund --prefer-offline -D @types/node >"$tmp/types.log" 2>&1 || cat "$tmp/types.log"
printf 'import { pid } from "tsbpf";\nconst wrong: string = pid();\n' > wrong.ts
check "deno check trace.ts against the package's declarations" deno check trace.ts trace_npm.ts
check "deno check finds a type error in a use of the package" refuses "TS2322" deno check wrong.ts
# TypeScript's own checker in the user's project (tsc; editors' tsserver resolves the same way):
# the user's tracers type-check against the package's declarations alone (never tsbpf's .ts
# sources, which need tsbpf's own compiler options), under the usual settings, with or without
# skipLibCheck, and the one error reported is the one in the user's code.
cp node_modules/tsbpf/examples/execsnoop.ts tool_user.ts
tsc_user() { # tsc_user MODULE RESOLUTION SKIPLIBCHECK: tsc --noEmit of the user's files
  printf '{ "compilerOptions": { "strict": true, "target": "es2022", "module": "%s", "moduleResolution": "%s", "skipLibCheck": %s, "experimentalDecorators": false, "noEmit": true, "types": ["node"] }, "files": ["trace.ts", "tool_user.ts", "wrong.ts"] }\n' \
    "$1" "$2" "$3" > tsc_user.json
  timeout 300 tsc -p tsc_user.json --listFiles > "$tmp/tsc.out" 2>&1
  grep 'error TS' "$tmp/tsc.out" | head -20
  echo "$(grep -c 'error TS' "$tmp/tsc.out") errors"
  if grep '/node_modules/tsbpf/' "$tmp/tsc.out" | grep -v 'error TS' | grep -v '\.d\.ts$'; then echo "(tsc read these files of tsbpf, not only its declarations)"; return 1; fi
  grep -q '/node_modules/tsbpf/.*\.d\.ts$' "$tmp/tsc.out" || { echo "(tsc read no declarations of tsbpf)"; return 1; }
  grep -q '^wrong\.ts(2,7): error TS2322' "$tmp/tsc.out" && [ "$(grep -c 'error TS' "$tmp/tsc.out")" -eq 1 ]
}
check "tsc: only the user's type error is reported (module nodenext, skipLibCheck false)" tsc_user nodenext nodenext false
check "tsc: only the user's type error is reported (moduleResolution bundler, skipLibCheck true)" tsc_user esnext bundler true
# "tsbpf/kernel" before `sudo tsbpf types` has written its kernel.d.ts: tsc's error names the fix
# (pack/declarations.ts KERNEL_TYPES_MISSING), not TS7016.
printf 'import type { sock } from "tsbpf/kernel";\nexport const port = (s: sock) => s;\n' > kernel_user.ts
printf '{ "compilerOptions": { "strict": true, "target": "es2022", "module": "esnext", "moduleResolution": "bundler", "skipLibCheck": true, "noEmit": true, "types": [] }, "files": ["kernel_user.ts"] }\n' > tsc_kernel.json
check "tsc: tsbpf/kernel without kernel.d.ts says to run sudo tsbpf types" sh -c "timeout 300 tsc -p tsc_kernel.json | grep -q '^kernel_user.ts(1,27): error TS2306: .*no_kernel_types_yet__run_sudo_tsbpf_types'"
# Without @types/node (a tracer that imports no node: module): tsbpf's declarations name the lib
# they need beyond target es2022 (Symbol.asyncDispose) themselves.
sed '/node:child_process/d; s#spawn("/bin/true")#{ pid: 1 }#' trace.ts > trace_no_node.ts
printf '{ "compilerOptions": { "strict": true, "target": "es2022", "module": "nodenext", "skipLibCheck": false, "noEmit": true, "types": [] }, "files": ["trace_no_node.ts"] }\n' > tsc_no_node.json
check "tsc: a tracer that imports no node: module type-checks without @types/node" timeout 300 tsc -p tsc_no_node.json
check "deno run --allow-ffi trace.ts (import from \"tsbpf\")" sees_event deno run --allow-ffi --allow-run --allow-env trace.ts
check "deno run --allow-ffi trace.ts (import from \"npm:tsbpf\")" sees_event deno run --allow-ffi --allow-run --allow-env trace_npm.ts

# Gists on a local web server; tsbpf's sources beside them in JSR's path shape.
mkdir "$tmp/www"
cp trace.ts "$tmp/www/gist.ts"
cp trace_npm.ts "$tmp/www/gist_npm.ts"
# A random port, another if that one is taken (the server ends at once); each waited for up to a
# minute: a loaded machine took longer than the 5 s once waited here, and then went on without it.
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000))
  host="127.0.0.1:$port"
  bun "$repo/.ci/serve.ts" "$tmp/www" "$port" "$repo" "$tmp/$tarball" 2>"$tmp/serve.log" &
  server=$!
  for _ in $(seq 600); do grep -q serving "$tmp/serve.log" && break; kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  grep -q serving "$tmp/serve.log" && break
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; server=
done
[ -n "$server" ] || { cat "$tmp/serve.log"; echo "  FAILED: .ci/serve.ts did not start: the gist checks below fail for that"; }
version=$(sed -n 's/^ *"version": "\(.*\)",$/\1/p' "$repo/package.json" | head -1)
tracer "http://$host/@tsbpf/tsbpf/$version/mod.ts" > "$tmp/www/gist_url.ts"
url="http://$host/gist.ts"
good=$(sha256sum "$tmp/www/gist.ts" | cut -d' ' -f1)
bad=$(printf '%s' "$good" | tr 0-9a-f 1-9a0-f)
for rt in bun deno; do
  check "tsbpf run --yes URL on $rt" sees_event env TSBPF_RUNTIME=$rt node_modules/.bin/tsbpf run --yes "$url"
  check "tsbpf run URL on $rt without a terminal or --yes refuses" refuses "no terminal" env TSBPF_RUNTIME=$rt node_modules/.bin/tsbpf run "$url"
  # On a terminal (script(1) gives it one): the plan is shown, then the answer decides.
  check "tsbpf run URL on $rt on a terminal shows the plan and runs it when answered y" sh -c "printf 'y\n' | TSBPF_RUNTIME=$rt timeout 120 script -qec 'node_modules/.bin/tsbpf run $url' /dev/null > '$tmp/tty-y' 2>&1; grep -q '^verdict' '$tmp/tty-y' && grep -q '^event ' '$tmp/tty-y'"
  check "tsbpf run URL on $rt on a terminal answered n does not run it" sh -c "printf 'n\n' | TSBPF_RUNTIME=$rt timeout 120 script -qec 'node_modules/.bin/tsbpf run $url' /dev/null > '$tmp/tty-n' 2>&1; grep -q 'not confirmed' '$tmp/tty-n' && ! grep -q '^event ' '$tmp/tty-n'"
  check "tsbpf run --yes URL#sha256=(its hash) on $rt" sees_event env TSBPF_RUNTIME=$rt node_modules/.bin/tsbpf run --yes "$url#sha256=$good"
  check "tsbpf run --yes URL#sha256=(another hash) on $rt refuses" refuses "changed since the link was pinned" env TSBPF_RUNTIME=$rt node_modules/.bin/tsbpf run --yes "$url#sha256=$bad"
  check "tsbpf run --yes URL of a gist importing npm:tsbpf on $rt" sees_event env TSBPF_RUNTIME=$rt node_modules/.bin/tsbpf run --yes "http://$host/gist_npm.ts"
done
check "deno run URL of a gist importing tsbpf from a URL in JSR's shape" sees_event deno run --allow-ffi --allow-run --allow-env --allow-import="$host" --allow-net="$host" "http://$host/gist_url.ts"
# As published on npm: Deno's own npm resolution (no package.json, no node_modules), from a registry
# on the server that has the tarball as tsbpf and passes the other packages on to npmjs.org.
mkdir "$tmp/no-project"
check "deno run URL of a gist importing npm:tsbpf, tsbpf from a registry" sh -c "cd '$tmp/no-project' && NPM_CONFIG_REGISTRY=http://$host/npm/ timeout 120 deno run --allow-ffi --allow-run --allow-env --allow-import=$host --allow-net=$host http://$host/gist_npm.ts | grep -q '^event '"
check "the same without --allow-net names the flag" refuses "allow-net=$host" deno run --allow-ffi --allow-run --allow-env --allow-import="$host" "http://$host/gist_url.ts"

# One executable: esbuild is optional, so first its absence, then the build with it.
check "tsbpf build without esbuild says to install it" refuses "npm install esbuild" node_modules/.bin/tsbpf build --compile node_modules/tsbpf/examples/execsnoop.ts -o execsnoop
npm install --no-audit --no-fund --prefer-offline esbuild >"$tmp/esbuild.log" 2>&1 || cat "$tmp/esbuild.log"
check "tsbpf build --compile execsnoop" env TSBPF_RUNTIME=bun node_modules/.bin/tsbpf build --compile node_modules/tsbpf/examples/execsnoop.ts -o execsnoop
cat > "$tmp/single.sh" <<'SH'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
if command -v bun || command -v deno; then echo "bun or deno is in PATH"; exit 1; fi
./execsnoop > out.txt 2>&1 &
tool=$!
# The header comes once the probes are attached: an exec before it would not be traced (up to a minute).
for _ in $(seq 600); do grep -q PCOMM out.txt && break; sleep 0.1; done
/bin/true; sleep 1
kill -INT $tool; wait $tool
cat out.txt
grep -q '^true ' out.txt
SH
check "the executable runs execsnoop with neither bun nor deno in PATH" env -i HOME="$tmp" bash "$tmp/single.sh"

cd "$repo"
check "deno task tsbpf in the clone" sh -c "deno task tsbpf list syscalls:sys_enter_openat | grep -qx tracepoint:syscalls:sys_enter_openat"
check "deno publish --dry-run (JSR)" deno publish --dry-run --allow-dirty
check "deno doc --lint of the public API (JSDoc on every export)" deno doc --lint mod.ts kernel.ts tool/mod.ts cli/mod.ts
check "the public modules' examples type-check (deno test --doc)" deno test --doc --no-run mod.ts kernel.ts tool/mod.ts cli/mod.ts
finish
