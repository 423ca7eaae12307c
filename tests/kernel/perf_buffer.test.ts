// PerfBuffer<T>: events through per-CPU perf buffers from real tracepoints, big events built
// in the scratch map, records wrapping around the end of a buffer, exact loss accounting, the
// RingBuf fallback (TSBPF_NO_RINGBUF=1, and bundles moving between kinds of kernel), teardown.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { comm, ktime, PerfBuffer, pid, Tracer, tracepoint, type Str, type TracepointArgs, type u32, type u64 } from "../../mod.ts";
import { runScript } from "./util.ts";
import { bundle } from "../../build/bundle.ts";

const c = await libc();
const SYS_LSEEK = 8;
const root = new URL("../../", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Call {
  pid: u32;
  comm: Str<16>;
  at: u64;
  magic: u32;
}

class Calls extends Tracer {
  events = new PerfBuffer<Call>(8192);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), comm: comm(), at: ktime(), magic: 0xfeedbeef });
  }
}

test("a PerfBuffer delivers every getppid() of this process, with its fields", async () => {
  const tracer = new Calls();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  const got: Call[] = [];
  tracer.events.on((e) => got.push(e));
  for (let i = 0; i < 50; i++) c.syscall(SYS.getppid);
  for (let i = 0; i < 100 && got.length < 50; i++) await sleep(10);
  const lost = tracer.lost().get("onCall");
  await tracer.stop();
  assert.equal(tracer.events.isPerfBuffer, true);
  assert.equal(got.length, 50, `received ${got.length} of 50 (lost ${lost})`);
  for (const e of got) {
    assert.equal(e.pid, process.pid);
    assert.equal(e.magic, 0xfeedbeef);
    // The calling thread's name (under `deno test`, a tokio worker's): one thread made every call.
    assert.ok(e.comm.length > 0 && e.comm === got[0].comm, `comm ${e.comm}`);
  }
  // ktime() stamps of one burst of calls: all within a second of each other.
  const stamps = got.map((e) => e.at).sort((a, b) => (a < b ? -1 : 1));
  assert.ok(stamps[0] > 0n && stamps[49] - stamps[0] < 10n ** 9n, `stamps ${stamps[0]}..${stamps[49]}`);
});

interface Big {
  seq: u64;
  text: Str<600>;
  tail: u64;
}

class BigEvents extends Tracer {
  events = new PerfBuffer<Big>(16384);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_lseek")
  onSeek(args: TracepointArgs) {
    if (pid() !== this.self) return;
    this.events.submit({ seq: args.offset, text: "the middle of a big event", tail: args.offset * 3n });
  }
}

test("events bigger than the stack (616 bytes) go through the per-CPU scratch map", async () => {
  const tracer = new BigEvents();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  const got: Big[] = [];
  tracer.events.on((e) => got.push(e));
  for (let i = 1; i <= 20; i++) c.syscall(SYS_LSEEK, -1n, BigInt(i), 0n);
  for (let i = 0; i < 100 && got.length < 20; i++) await sleep(10);
  await tracer.stop();
  assert.deepEqual(got.map((e) => Number(e.seq)).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  for (const e of got) {
    assert.equal(e.text, "the middle of a big event");
    assert.equal(e.tail, e.seq * 3n);
  }
});

// 8 + 4 + 100 bytes, padded to 112: 4096 is not a multiple, so records keep straddling the end.
interface Odd {
  seq: u64;
  fill: Str<84>;
  check: u64;
}

class Wrapping extends Tracer {
  events = new PerfBuffer<Odd>(4096);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_lseek")
  onSeek(args: TracepointArgs) {
    if (pid() !== this.self) return;
    this.events.submit({ seq: args.offset, fill: "0123456789abcdefghijklmnopqrstuvwxyz", check: args.offset ^ 0x5555n });
  }
}

test("records that wrap around the end of a 4 KiB perf buffer arrive whole", async () => {
  const tracer = new Wrapping();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  const got: Odd[] = [];
  tracer.events.on((e) => got.push(e));
  // 30 batches of 20 records (2,240 bytes, less than the buffer), each drained before the next:
  // 67,200 bytes through a 4,096-byte buffer, nothing lost.
  let sent = 0;
  for (let batch = 0; batch < 30; batch++) {
    for (let i = 0; i < 20; i++) c.syscall(SYS_LSEEK, -1n, BigInt(++sent), 0n);
    for (let i = 0; i < 200 && got.length < sent; i++) await sleep(2);
  }
  const lost = tracer.lost().get("onSeek");
  await tracer.stop();
  assert.equal(lost, 0n);
  assert.equal(got.length, sent);
  assert.deepEqual(got.map((e) => Number(e.seq)).sort((a, b) => a - b), Array.from({ length: sent }, (_, i) => i + 1));
  for (const e of got) {
    assert.equal(e.fill, "0123456789abcdefghijklmnopqrstuvwxyz");
    assert.equal(e.check, e.seq ^ 0x5555n);
  }
});

class Flood extends Tracer {
  events = new PerfBuffer<Call>(4096);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), comm: comm(), at: ktime(), magic: 1 });
  }
}

const SYS_SCHED_GETAFFINITY = 204, SYS_SCHED_SETAFFINITY = 203;

/** Runs `f` with this thread kept on one CPU (the kernel reports a CPU's drops only when that CPU next writes an event). */
async function onOneCpu<T>(f: () => Promise<T>): Promise<T> {
  const saved = new Uint8Array(128), one = new Uint8Array(128);
  const n = c.syscall(SYS_SCHED_GETAFFINITY, 0n, BigInt(saved.length), c.addressOf(saved));
  assert.ok(n > 0, `sched_getaffinity: ${n}`);
  one[0] = 1; // CPU 0
  assert.equal(c.syscall(SYS_SCHED_SETAFFINITY, 0n, BigInt(one.length), c.addressOf(one)), 0);
  try {
    return await f();
  } finally {
    c.syscall(SYS_SCHED_SETAFFINITY, 0n, BigInt(saved.length), c.addressOf(saved));
  }
}

test("flooding a 4 KiB perf buffer: delivered + lost = calls, and the kernel's PERF_RECORD_LOST counts agree", () => onOneCpu(async () => {
  const tracer = new Flood();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  let received = 0;
  tracer.events.on(() => received++);
  let calls = 5000;
  // A synchronous burst: the consumer cannot run in between, so the buffer overflows.
  for (let i = 0; i < calls; i++) c.syscall(SYS.getppid);
  await sleep(50);
  // The kernel writes its PERF_RECORD_LOST when it next has room on that CPU: a few more
  // events, slowly, until every CPU has reported what it dropped.
  const lost = () => tracer.lost().get("onCall")!;
  for (let i = 0; i < 300 && BigInt(tracer.events.perfLost) !== lost(); i++) {
    c.syscall(SYS.getppid);
    calls++;
    await sleep(10);
  }
  await sleep(50);
  const counted = lost(), reported = tracer.events.perfLost;
  await tracer.stop();
  assert.ok(counted > 0n, "nothing was lost: the burst did not overflow the buffer");
  assert.ok(received > 0, "nothing was delivered");
  assert.equal(BigInt(received) + counted, BigInt(calls), `received ${received} + lost ${counted} != ${calls} calls`);
  assert.equal(BigInt(reported), counted, `PERF_RECORD_LOST says ${reported}, the handler counted ${counted}`);
}));

function openFds(): { all: number; perf: number } {
  const fds = readdirSync("/proc/self/fd");
  let perf = 0;
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).includes("perf_event")) perf++;
    } catch { /* closed while listing */ }
  }
  return { all: fds.length, perf };
}


test("stop() releases every fd: the map, the per-CPU events, the scratch map, their mappings", async () => {
  const before = openFds();
  const a = new BigEvents(), b = new Calls();
  a.self = b.self = process.pid;
  await a.start({ exitOnError: false, reportLoss: false });
  await b.start({ exitOnError: false, reportLoss: false });
  const during = openFds();
  assert.ok(during.perf >= before.perf + 2, `no perf event fds while running (${during.perf})`);
  await a.stop();
  await b.stop();
  assert.deepEqual(openFds(), before);
  const maps = readFileSync("/proc/self/maps", "utf8");
  assert.doesNotMatch(maps, /perf_event/, "a perf buffer is still mapped");
});



test("with TSBPF_NO_RINGBUF=1 a RingBuf runs as perf buffers, same API, and --verbose says so", async () => {
  const run = runScript(`${root}tests/fixtures/ringbuf_fallback.ts`, { TSBPF_NO_RINGBUF: "1", TSBPF_VERBOSE: "1" });
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.output(), /received=100 mine=100 lost=0 perf=true/);
  assert.match(run.output(), /Fallback\.calls: .*RingBuf runs as per-CPU perf buffers/);
  const plain = runScript(`${root}tests/fixtures/ringbuf_fallback.ts`);
  assert.equal(await plain.exited, 0, plain.output());
  assert.match(plain.output(), /received=100 mine=100 lost=0 perf=false/);
});

// Bounds for a hang, not a speed: under the VM lane's TCG on a busy host a compile from the
// bundle's source took more than a minute (killed at 60 s, status null).
test("a bundle moves between kernels with and without ring buffers: compiled again each way", { timeout: 1_200_000 }, async () => {
  // A temporary directory: the repository is read-only in the VM lane.
  const dir = mkdtempSync(`${tmpdir()}/tsbpf-perfbuf-`);
  const run = (bundlePath: string, env: Record<string, string>) => {
    const rt = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? [process.execPath, "run", "--allow-ffi"] : [process.execPath];
    const r = spawnSync(rt[0], [...rt.slice(1), bundlePath], { cwd: "/tmp", encoding: "utf8", timeout: 300_000, env: { ...process.env, TSBPF_VERBOSE: "1", ...env } });
    return { status: r.status, output: (r.stdout ?? "") + (r.stderr ?? "") };
  };
  try {
    // Built here (ring buffers), run as if on a kernel without them.
    const withRing = `${dir}/ringbuf_fallback.bundle.js`;
    await bundle(`${root}tests/fixtures/ringbuf_fallback.ts`, withRing);
    let r = run(withRing, { TSBPF_NO_RINGBUF: "1" });
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /compil(ing|ed) the handlers again for this kernel \(feature ringbuf yes/);
    assert.match(r.output, /received=100 mine=100 lost=0 perf=true/);
    r = run(withRing, {});
    // Its own programs: signed by this host's key (tsbpf build signs), or compiled again to check.
    assert.match(r.output, /precompiled programs match its source|precompiled programs, signed by this host's own key, load as they are/);
    assert.match(r.output, /perf=false/);
    // Built as for a kernel without ring buffers (tsbpf build under TSBPF_NO_RINGBUF=1), run here.
    const withPerf = `${dir}/ringbuf_fallback.perf.bundle.js`;
    const build = spawnSync(`${root}bin/tsbpf`, ["build", `${root}tests/fixtures/ringbuf_fallback.ts`, "-o", withPerf], { encoding: "utf8", env: { ...process.env, TSBPF_NO_RINGBUF: "1" } });
    assert.equal(build.status, 0, build.stderr);
    r = run(withPerf, {});
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /compil(ing|ed) the handlers again for this kernel \(feature ringbuf no/);
    assert.match(r.output, /perf=false/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- what the compiler chooses

const HUGE = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
const SOURCE = (body: string, decl: string) => `
import { comm, PerfBuffer, RingBuf, Tracer, tracepoint, pid, type u32, type u64, type Str } from "tsbpf";
interface Small { pid: u32; text: Str<200> }
interface Huge { ${HUGE.map((f) => `${f}: Str<4096>`).join("; ")} }
class T extends Tracer {
  ${decl}
  @tracepoint("syscalls:sys_enter_getppid")
  onCall() { ${body} }
}`;

async function compileWith(source: string, ringBuffers: boolean) {
  const { compile } = await import("../../compiler/mod.ts");
  const { hostTarget } = await import("../../tracer/compile_target.ts");
  return compile(source, "/tmp/perfbuf_choice.ts", { ...(await hostTarget()), ringBuffers: () => ringBuffers })[0];
}

test("a RingBuf compiles to a perf buffer where the target has no ring buffers, and says so in its assumptions", async () => {
  const source = SOURCE(`this.events.submit({ pid: pid(), text: "x" });`, "events = new RingBuf<Small>();");
  const ring = await compileWith(source, true), perf = await compileWith(source, false);
  assert.equal(ring.maps.find((m) => m.name === "events")?.kind, "ringbuf");
  assert.ok(ring.assumptions?.includes("feature ringbuf yes"));
  assert.equal(perf.maps.find((m) => m.name === "events")?.kind, "perfbuf");
  assert.ok(perf.assumptions?.includes("feature ringbuf no"));
  assert.equal(perf.maps.some((m) => m.kind === "scratch"), false, "a 204-byte event alone fits the stack");
});

test("a perf event that no longer fits beside the handler's locals is built in the scratch map instead", async () => {
  // big is read (its first 32 bytes) after the submit too, so it is alive beside the event: stack
  // slots are shared only between values whose lives do not overlap.
  const source = SOURCE(`const big: Str<400> = comm(); if (big === "b") return; this.events.submit({ pid: pid(), text: "x" }); if (big === "ccccccccccccccccccccccccccccccc") return;`, "events = new PerfBuffer<Small>();");
  const spec = await compileWith(source, true);
  const scratch = spec.maps.find((m) => m.kind === "scratch");
  assert.ok(scratch, "no scratch map: the event stayed on the stack");
  assert.ok(spec.programs[0].stackSize <= 512);
});

test("a perf event over 32 KiB is a compile error that says the limit", async () => {
  const { CompileError } = await import("../../compiler/mod.ts");
  const source = SOURCE(`this.events.submit({ ${HUGE.map((f) => `${f}: "x"`).join(", ")} });`, "events = new PerfBuffer<Huge>();");
  await assert.rejects(compileWith(source, true), (e: unknown) => e instanceof CompileError && /perf buffer event can take at most 32752/.test(e.message));
});
