// A user frame's name comes from the traced process's own files: its binaries' symbols and its
// /tmp/perf-PID.map (up to 256 MiB, written by whoever runs the process). One name can be that
// long, and every series of a stack-keyed map holds its frames joined: a few such functions and
// stacks put gigabytes into root's tracer at each scrape, past a runtime's longest string (the
// scrape then fails for good). Here nobody runs JIT code named by a 16 MiB perf-map line; root's
// tracer counts its user stacks and serves them to Prometheus: the frame is named, but briefly.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { isBun, MOD, ROOT, rootDir } from "./attacker.ts";

const NAME_BYTES = 16 << 20;

// nobody's JIT: `mov eax, 110 (getppid); syscall; ret` in anonymous executable memory, named by
// one perf-map line; it makes the call every 50 ms until killed.
const JIT = `
import ctypes, mmap, os, sys, time
buf = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
buf.write(b"\\xb8\\x6e\\x00\\x00\\x00\\x0f\\x05\\xc3")
addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
with open("/tmp/perf-%d.map" % os.getpid(), "w") as f:
    f.write("%x 1000 jit_%s\\n" % (addr, "A" * ${NAME_BYTES}))
call = ctypes.CFUNCTYPE(ctypes.c_long)(addr)
print("pid", os.getpid(), flush=True)
while True:
    call()
    time.sleep(0.05)
`;

const TRACER = (target: number) => `import { Count, pid, Tracer, tracepoint, ustack, type UStack } from "${MOD}";
class Jit extends Tracer {
  stacks = new Count<UStack>();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { if (pid() === ${target}) this.stacks.add(ustack()); }
}
const t = await new Jit().start({ metrics: "127.0.0.1:0" });
console.log("ready " + t.metricsAddress!.port);
await t.stopped;
`;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("nobody's 16 MiB function name: root's scrape names the frame in bounded text", async () => {
  const nobody = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", JIT], { stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
  let said = "";
  nobody.stdout!.on("data", (d) => (said += d));
  nobody.stderr!.on("data", (d) => (said += d));
  const dir = rootDir("symbol-size");
  let tracer: ReturnType<typeof spawn> | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let jitPid = 0;
  try {
    for (let i = 0; i < 200 && !/pid \d+/.test(said) && nobody.exitCode === null; i++) await wait(50);
    jitPid = Number(/pid (\d+)/.exec(said)?.[1]);
    assert.ok(jitPid, `nobody's JIT did not start: ${said}`);
    const file = `${dir}/jit.ts`;
    writeFileSync(file, TRACER(jitPid));
    const runtime = isBun ? [process.execPath, "run", file] : [process.execPath, "run", "-A", "--quiet", "--config", `${ROOT}deno.json`, file];
    tracer = spawn(runtime[0], runtime.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    tracer.stdout!.on("data", (d) => (out += d));
    tracer.stderr!.on("data", (d) => (out += d));
    exited = new Promise((r) => tracer!.on("exit", r));
    for (let i = 0; i < 600 && !/ready \d+/.test(out) && tracer.exitCode === null; i++) await wait(50);
    const port = Number(/ready (\d+)/.exec(out)?.[1]);
    assert.ok(port, `the tracer did not start:\n${out}`);
    await wait(1000); // some of nobody's calls counted

    const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(20_000) });
    const text = await r.text();
    assert.equal(r.status, 200, text.slice(0, 300));
    assert.match(text, /^jit_stacks_total\{stack="[^"]*jit_AAAA/m, `nobody's frame is not in the scrape: ${text.slice(0, 2000)}`);
    assert.ok(text.length < 1 << 20, `root's scrape is ${text.length} characters for nobody's one function`);
  } finally {
    nobody.kill("SIGKILL");
    tracer?.kill("SIGTERM");
    await exited;
    if (jitPid) rmSync(`/tmp/perf-${jitPid}.map`, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
