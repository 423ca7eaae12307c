// Whether a syscall wildcard is attached once, to raw_syscalls, is decided when its program is
// compiled (the program then tests the syscall's number and takes probe() from it) and again
// when it is attached: a program from the compile cache must be attached as it was compiled. A
// run without raw_syscalls (an empty directory mounted over it, in a mount namespace of that run's
// own) compiles per-tracepoint programs; a run with it must not attach those to raw_syscalls,
// nor the other way round.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { runCommand } from "./util.ts";
import { commandLine, tsbpf } from "./cli_run.ts";

const RAW = "/sys/kernel/tracing/events/raw_syscalls";
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `tsbpf-${name}-`));
  dirs.push(d);
  return d;
}

// sys_enter_m*: more than 8 tracepoints (mmap, mprotect, munmap, ... mseal), of which head makes a few.
const ONELINER = `tracepoint("syscalls:sys_enter_m*", () => comm() == "head" && count(probe()))`;

/** The one-liner's counts under `head`, with the compile cache in `cache` (or none); `hidden`: without raw_syscalls. */
async function counts(cache: string | undefined, hidden: boolean): Promise<string> {
  const env: Record<string, string> = cache ? { XDG_CACHE_HOME: cache, TSBPF_NO_CACHE: "", NO_COLOR: "1" } : { TSBPF_NO_CACHE: "1", NO_COLOR: "1" };
  const command = commandLine(["-c", "head -c 0 /etc/hostname", "-e", ONELINER]);
  const [cmd, ...args] = hidden
    ? ["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", tempDir("empty"), RAW, ...command]
    : command;
  const r = runCommand(cmd, args, env);
  assert.equal(await r.exited, 0, r.output());
  const lines = r.stdout().split("\n").filter((l) => l.startsWith("@[")).sort();
  assert.ok(lines.some((l) => /^@\[tracepoint:syscalls:sys_enter_mmap\]: [1-9]\d*$/.test(l)), r.output());
  return lines.join("\n");
}

test("a syscall wildcard's cached program is attached as it was compiled: per tracepoint, or once to raw_syscalls", { skip: process.arch !== "x64", timeout: 240000 }, async () => {
  const truth = await counts(undefined, false);
  assert.equal(await counts(undefined, true), truth, "attached one by one, compiled so");
  // Compiled without raw_syscalls, then run with it; and the other way round.
  const first = tempDir("cache");
  assert.equal(await counts(first, true), truth);
  assert.equal(await counts(first, false), truth, "compiled per tracepoint, run where raw_syscalls is");
  const second = tempDir("cache");
  assert.equal(await counts(second, false), truth);
  assert.equal(await counts(second, true), truth, "compiled for raw_syscalls, run where it is not");
});

test("tsbpf plan says syscalls:* is attached once to each side of raw_syscalls", { skip: process.arch !== "x64" }, async () => {
  const script = join(tempDir("plan"), "both.ts");
  writeFileSync(script, `import { Count, Tracer, probe, tracepoint, type ProbeName } from "tsbpf";

class Both extends Tracer {
  calls = new Count<[ProbeName]>();

  @tracepoint("syscalls:*")
  onSyscall() {
    this.calls.add([probe()]);
  }
}
`);
  const r = await tsbpf(["plan", script]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^    tracepoint syscalls:\* \(\d+ tracepoints, attached once to raw_syscalls:sys_enter and raw_syscalls:sys_exit\)  →  onSyscall\(\) at line 7/m);
});

test("tsbpf plan says in how many syscalls a wildcard's handler reading args.filename runs", { skip: process.arch !== "x64" }, async () => {
  const script = join(tempDir("plan"), "files.ts");
  writeFileSync(script, `import { Count, Tracer, str, tracepoint, type Str, type TracepointArgs } from "tsbpf";

class Files extends Tracer {
  files = new Count<[Str<64>]>();

  @tracepoint("syscalls:sys_enter_*")
  onEnter(args: TracepointArgs) {
    this.files.add([str(args.filename)]);
  }
}
`);
  const r = await tsbpf(["plan", script]);
  assert.equal(r.status, 0, r.stderr);
  const having = readdirSync("/sys/kernel/tracing/events/syscalls").filter((n) => n.startsWith("sys_enter_") && /field:[^;]* filename;/.test(readFileSync(`/sys/kernel/tracing/events/syscalls/${n}/format`, "utf8"))).length;
  assert.match(r.stdout, new RegExp(`^    tracepoint syscalls:sys_enter_\\* \\(\\d+ tracepoints, attached once to raw_syscalls:sys_enter\\)  →  onEnter\\(\\) at line 7: .*; it runs in ${having} of them, those with the arguments it reads$`, "m"));
});
