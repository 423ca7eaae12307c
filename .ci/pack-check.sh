#!/usr/bin/env bash
# The npm package installs on a clean project and works: `npm pack`, install the tarball into an
# empty project, then run the `tsbpf` command and a script that imports "tsbpf" (with Bun: Deno
# does not run TypeScript from node_modules). Prints "pack check: ok" or what failed.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
tarball=$(cd "$repo" && npm pack --silent --pack-destination "$tmp" 2>/dev/null | tail -1)
mkdir proj && cd proj
printf '{ "name": "proj", "private": true, "type": "module" }\n' > package.json
npm install --silent --no-audit --no-fund "$tmp/$tarball" >/dev/null 2>&1
export PATH="$repo/node_modules/.bin:$PATH"
node_modules/.bin/tsbpf list 'syscalls:sys_enter_openat' | grep -qx 'tracepoint:syscalls:sys_enter_openat' || { echo "pack check: tsbpf list failed"; exit 1; }
cat > trace.ts <<'TS'
import { spawn } from "node:child_process";
import { comm, pid, RingBuf, Tracer, tracepoint, type Str, type u32 } from "tsbpf";
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
timeout 60 bun trace.ts | grep -q '^event ' || { echo "pack check: a script importing the installed tsbpf saw no event"; exit 1; }
echo "pack check: ok"
