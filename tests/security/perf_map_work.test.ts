// A JIT's perf map (/tmp/perf-PID.map) is written by whoever runs the process, up to the 256 MiB
// root reads. Read as text, split into lines and sorted, 250 MB of 7-byte lines took root's
// tracer past 3 GB for one process, and a stack address the map does not name made it read and
// parse the whole file again every second, for as long as it symbolized that process's stacks.
// Here nobody's JIT names its code nowhere in such a map; root's tracer prints its stacks three
// times, over more than two seconds: the map is read once (strace), and the tracer's peak
// memory stays far below the map's cost as text.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { hasStrace, openedFiles } from "../kernel/opened_files.ts";
import { isBun, MOD, ROOT, rootDir } from "./attacker.ts";

// nobody's JIT: `mov eax, 110 (getppid); syscall; ret` in anonymous executable memory, called
// every 50 ms; its perf map holds 36 million lines, none of them for that code.
const JIT = `
import ctypes, mmap, os, time
buf = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
buf.write(b"\\xb8\\x6e\\x00\\x00\\x00\\x0f\\x05\\xc3")
addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
with open("/tmp/perf-%d.map" % os.getpid(), "wb") as f:
    f.write(b"10 1 a\\n" * 36_000_000)
call = ctypes.CFUNCTYPE(ctypes.c_long)(addr)
print("pid", os.getpid(), flush=True)
while True:
    call()
    time.sleep(0.05)
`;

const TRACER = (target: number) => `import { readFileSync } from "node:fs";
import { Count, pid, Tracer, tracepoint, ustack, type UStack } from "${MOD}";
class Jit extends Tracer {
  stacks = new Count<UStack>();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { if (pid() === ${target}) this.stacks.add(ustack()); }
}
const t = await new Jit().start({ reportLoss: false });
t.end = () => {};
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
while (t.stacks.entries().length === 0) await wait(100);
for (let i = 0; i < 3; i++) {
  t.stacks.print();
  await wait(1200);
}
console.log(/VmHWM:.*/.exec(readFileSync("/proc/self/status", "utf8"))![0]);
await t.stop();
`;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("nobody's 250 MB perf map is read once, and costs root's tracer less than its text would", { skip: !hasStrace && "no strace", timeout: 300_000 }, async () => {
  const nobody = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", JIT], { stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
  let said = "";
  nobody.stdout!.on("data", (d) => (said += d));
  nobody.stderr!.on("data", (d) => (said += d));
  const dir = rootDir("perf-map-work");
  let jitPid = 0;
  try {
    for (let i = 0; i < 1200 && !/pid \d+/.test(said) && nobody.exitCode === null; i++) await wait(50);
    jitPid = Number(/pid (\d+)/.exec(said)?.[1]);
    assert.ok(jitPid, `nobody's JIT did not start: ${said}`);
    const file = `${dir}/jit.ts`;
    writeFileSync(file, TRACER(jitPid));
    const runtime = isBun ? [process.execPath, "run", file] : [process.execPath, "run", "-A", "--quiet", "--config", `${ROOT}deno.json`, file];
    const r = openedFiles(runtime, { env: { PATH: "/usr/bin:/bin", NO_COLOR: "1", HOME: "/root" }, timeout: 240_000 });
    assert.equal(r.status, 0, `root's tracer: ${r.status} ${r.stderr.slice(-1000)}`);
    const reads = r.read.filter((path) => path.endsWith(`/perf-${jitPid}.map`));
    assert.equal(reads.length, 1, `root's tracer opened nobody's unchanged perf map ${reads.length} times`);
    const hwm = Number(/VmHWM:\s*(\d+) kB/.exec(r.stdout)?.[1]);
    assert.ok(hwm > 0, r.stdout.slice(-500));
    assert.ok(hwm < 1 << 20, `root's tracer peaked at ${Math.round(hwm / 1024)} MB for nobody's perf map`);
  } finally {
    nobody.kill("SIGKILL");
    if (jitPid) rmSync(`/tmp/perf-${jitPid}.map`, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
