// Events that do not fit in a full ring buffer are counted in the kernel, exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { pid, RingBuf, Tracer, tracepoint, type u32, type u64, ktime } from "../../mod.ts";

const c = await libc();

interface Tick {
  pid: u32;
  ts: u64;
}

class Flood extends Tracer {
  events = new RingBuf<Tick>(4096);
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid(), ts: ktime() });
  }
}

test("flooding a 4 KiB ring buffer: every event is either delivered or counted as lost", async () => {
  const tracer = new Flood();
  tracer.self = process.pid;
  await tracer.start({ exitOnError: false, reportLoss: false });
  let received = 0;
  tracer.events.on(() => received++);
  const calls = 5000;
  // A synchronous burst: the consumer cannot run in between, so the buffer overflows.
  for (let i = 0; i < calls; i++) c.syscall(SYS.getppid);
  await new Promise((r) => setTimeout(r, 100));
  const lost = tracer.lost().get("onCall")!;
  await tracer.stop();
  assert.ok(lost > 0n, "nothing was lost: the burst did not overflow the buffer");
  assert.ok(received > 0, "nothing was delivered");
  assert.equal(BigInt(received) + lost, BigInt(calls), `received ${received} + lost ${lost} != ${calls} calls`);
});

/** Runs `f` with console.error captured; returns the lines it printed. */
async function stderrOf(f: (lines: string[]) => Promise<void>): Promise<string[]> {
  const lines: string[] = [], error = console.error;
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await f(lines);
  } finally {
    console.error = error;
  }
  return lines;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The heartbeat skips the loss counters while no event came (nothing can have been lost then):
// losses still show up while the tracer runs, whether their events were taken or not.
for (const listening of [true, false]) {
  test(`lost events are reported while the tracer runs, ${listening ? "with a listener" : "with nobody taking the events"}`, async () => {
    const tracer = new Flood();
    tracer.self = process.pid;
    await tracer.start({ exitOnError: false });
    let lost = 0n, whileRunning: string[] = [];
    const lines = await stderrOf(async (lines) => {
      if (listening) tracer.events.on(() => {});
      for (let i = 0; i < 5000; i++) c.syscall(SYS.getppid);
      lost = tracer.lost().get("onCall")!;
      // The next heartbeats (once a second) print it; the bound only keeps a broken build from hanging.
      for (let i = 0; i < 50 && !lines.some((l) => l.includes(`lost ${lost} events in onCall`)); i++) await sleep(100);
      whileRunning = [...lines];
      await tracer.stop();
    });
    assert.ok(lost > 0n, "nothing was lost: the burst did not overflow the buffer");
    const report = `tsbpf: lost ${lost} events in onCall: event buffer full; raise its size or filter in the kernel`;
    assert.deepEqual(whileRunning.filter((l) => l.includes("lost")), [report], "not reported while the tracer ran");
    assert.deepEqual(lines.filter((l) => l.includes("lost")), [report], "reported again at stop() with nothing more lost");
  });
}
