// A burst of events while the reader cannot run (a garbage collection, a busy machine, a slow
// listener) is held whole by the default buffer sizes: nothing is lost and nothing is reported
// lost. The burst is made synchronously by this thread, so no drain can run until it ends: the
// buffer alone has to hold all of it, however fast or slow the machine is.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { comm, ktime, PerfBuffer, pid, RingBuf, Tracer, tracepoint, type Str, type u32, type u64 } from "../../mod.ts";

const c = await libc();

/** The benchmark's event (bench/tsbpf/stream.ts): 32 bytes, 40 with the ring buffer's header, 48 in a perf buffer. */
interface Event {
  pid: u32;
  counter: u64;
  comm: Str<16>;
}

class RingStream extends Tracer {
  events = new RingBuf<Event>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), counter: ktime(), comm: comm() });
  }
}

class PerfStream extends Tracer {
  events = new PerfBuffer<Event>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), counter: ktime(), comm: comm() });
  }
}

/** Makes `calls` events with the reader stopped, then stops the tracer (which drains the rest). */
async function burst(tracer: RingStream | PerfStream, calls: number): Promise<{ received: number; lost: bigint }> {
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  let received = 0;
  tracer.events.on(() => received++);
  for (let i = 0; i < calls; i++) c.syscall(SYS.getppid);
  const lost = tracer.lost().get("onCall")!;
  await tracer.stop();
  return { received, lost };
}

test("a RingBuf of the default size holds a 25 ms burst at 2 M events/s: every event arrives, none is lost", async () => {
  // 50 000 events of 40 bytes: 2 MB, 8× what the old 256 KiB default held.
  const calls = 50_000;
  const { received, lost } = await burst(new RingStream(), calls);
  assert.equal(lost, 0n, `${lost} events lost of ${calls}`);
  assert.equal(received, calls);
});

test("a PerfBuffer of the default size holds a burst of 15 000 events on one CPU: every event arrives, none is lost", async () => {
  // 15 000 records of 48 bytes: 720 KB, more than the old default of 256 KiB held on each of two CPUs together.
  const calls = 15_000;
  const { received, lost } = await burst(new PerfStream(), calls);
  assert.equal(lost, 0n, `${lost} events lost of ${calls}`);
  assert.equal(received, calls);
});

test("a RingBuf without a size falls back to a PerfBuffer's default per CPU, not its own 4 MiB on every CPU", () => {
  assert.equal(new RingBuf<Event>().size, 4 * 1024 * 1024);
  assert.equal(new RingBuf<Event>().perfBufferSize, new PerfBuffer<Event>().size);
  assert.equal(new RingBuf<Event>(8192).perfBufferSize, 8192);
});

class SmallRing extends Tracer {
  events = new RingBuf<{ pid: u32 }>(64 * 1024);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid() });
  }
}

class SmallPerf extends Tracer {
  events = new PerfBuffer<{ pid: u32 }>(64 * 1024);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid() });
  }
}

const SYS_SCHED_SETAFFINITY = 203, SYS_SCHED_GETAFFINITY = 204;

/** Runs `f` with this thread on one CPU, so that every event goes to the same perf buffer. */
async function onOneCpu<T>(f: () => Promise<T>): Promise<T> {
  const saved = new Uint8Array(128), one = new Uint8Array(128);
  assert.ok(c.syscall(SYS_SCHED_GETAFFINITY, 0n, 128n, c.addressOf(saved)) > 0, "sched_getaffinity failed");
  const byte = saved.findIndex((b) => b !== 0);
  one[byte] = saved[byte] & -saved[byte]; // the lowest CPU this thread may run on
  assert.equal(c.syscall(SYS_SCHED_SETAFFINITY, 0n, 128n, c.addressOf(one)), 0, "sched_setaffinity failed");
  try {
    return await f();
  } finally {
    c.syscall(SYS_SCHED_SETAFFINITY, 0n, 128n, c.addressOf(saved));
  }
}

for (const [name, Kind] of [["RingBuf", SmallRing], ["PerfBuffer", SmallPerf]] as const) {
  test(`a ${name} drain hands the space it has read back to the kernel as it goes, not only at its end`, async () => {
    // 16-byte records: the 64 KiB buffer holds 4096. A full buffer is drained; three quarters of
    // the way through, the listener makes 2000 more events (a slow listener, or a drain that a
    // garbage collection holds up, while the producer keeps going). Only the space the drain has
    // already handed back can take them: at the end of the drain only 1.5 KiB would be free.
    await onOneCpu(async () => {
      const tracer = new Kind();
      tracer.self = process.pid;
      await tracer.start({ exitOnError: false, reportLoss: false });
      const first = 4000, more = 2000;
      let received = 0;
      try {
        tracer.events.on(() => {
          if (++received === 3000) for (let i = 0; i < more; i++) c.syscall(SYS.getppid);
        });
        for (let i = 0; i < first; i++) c.syscall(SYS.getppid);
        for (let i = 0; i < 400 && received < first + more; i++) await new Promise((r) => setTimeout(r, 5));
        const lost = tracer.lost().get("onCall")!;
        assert.equal(lost, 0n, `${lost} of the events made during the drain found the buffer full`);
        assert.equal(received, first + more);
      } finally {
        await tracer.stop();
      }
    });
  });
}

class SeqRing extends Tracer {
  events = new RingBuf<{ pid: u32; t: u64 }>(64 * 1024);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), t: ktime() });
  }
}

class SeqPerf extends Tracer {
  events = new PerfBuffer<{ pid: u32; t: u64 }>(64 * 1024);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), t: ktime() });
  }
}

for (const [name, Kind] of [["RingBuf", SeqRing], ["PerfBuffer", SeqPerf]] as const) {
  test(`a ${name} drain that a listener's error ends resumes after the events it handed back, reading no overwritten space`, async () => {
    // A listener throws (the script catches uncaught errors and goes on) after the drain has
    // handed back part of the buffer: the kernel may then write there, so the next drain must not
    // start where the failed one did. 24-byte records (32 in a perf buffer): 64 KiB holds ~2000-2700.
    await onOneCpu(async () => {
      const tracer = new Kind();
      tracer.self = process.pid;
      await tracer.start({ exitOnError: false, reportLoss: false });
      const times: bigint[] = [];
      let thrown = false, pids = 0;
      try {
        for (let i = 0; i < 1900; i++) c.syscall(SYS.getppid);
        tracer.events.on((e) => {
          if (e.pid === process.pid) pids++;
          times.push(e.t);
          if (times.length === 1500 && !thrown) {
            thrown = true;
            throw new Error("the listener failed");
          }
        });
        // The drain, synchronously (the listener's own first drain is a microtask, which runs after this block).
        assert.throws(() => tracer.events.drain(), /the listener failed/);
        for (let i = 0; i < 1500; i++) c.syscall(SYS.getppid); // into the space handed back
        for (let i = 0; i < 200 && times.length < 3400 - Number(tracer.lost().get("onCall")); i++) await new Promise((r) => setTimeout(r, 5));
        assert.equal(pids, times.length, "an event that is not one of ours (read from overwritten space)");
        for (let i = 1; i < times.length; i++) assert.ok(times[i] > times[i - 1], `event ${i} is not newer than the one before it (read again, or overwritten)`);
        assert.equal(times.length + Number(tracer.lost().get("onCall")), 3400, "events neither delivered nor counted lost");
      } finally {
        await tracer.stop();
      }
    });
  });
}
