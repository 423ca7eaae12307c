// A perf buffer wakes the reader at every record only while the event pump sleeps in epoll: each
// wakeup costs the traced process an interrupt (bench/NOTES.md, "Streaming, session 13"). Once
// events flow, the pump drains on its timer and the wakeups must stop, also when each drain finds
// only a few events (a moderate rate, or a producer slowed by a loaded machine), not only when a
// drain finds the buffer busy.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { PerfBuffer, pid, Tracer, tracepoint, type u32 } from "../../mod.ts";
import type { PerfEventArray } from "../../runtime/perf_event_array.ts";

const c = await libc();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Calls extends Tracer {
  events = new PerfBuffer<{ pid: u32 }>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid() });
  }
}

test("events that keep coming a few per drain stop the perf buffers' wakeup per event", async () => {
  const tracer = new Calls();
  tracer.self = process.pid;
  let array: PerfEventArray | undefined;
  const attach = tracer.events.attach.bind(tracer.events);
  tracer.events.attach = (map, type, names) => {
    array = map as PerfEventArray;
    attach(map, type, names);
  };
  await tracer.start({ exitOnError: false, reportLoss: false });
  let got = 0, wanted = 0;
  let delivered: () => void = () => {};
  tracer.events.on(() => {
    if (++got === wanted) delivered();
  });
  try {
    // No events yet: the pump goes quiet and the buffers wake it per event.
    for (let i = 0; i < 2000 && !array!.waking; i++) await sleep(5);
    assert.ok(array!.waking, "the pump never went quiet");
    // Batches of 4 (a drain takes each whole, far under a busy drain's 32), each made as soon as
    // the last was delivered: every drain finds events, so the pump keeps draining on its timer.
    const BATCHES = 40, PER_BATCH = 4;
    for (let b = 0; b < BATCHES; b++) {
      wanted += PER_BATCH;
      const all = new Promise<void>((resolve) => (delivered = resolve));
      for (let j = 0; j < PER_BATCH; j++) c.syscall(SYS.getppid);
      await all;
    }
    assert.equal(got, BATCHES * PER_BATCH);
    assert.equal(array!.waking, false, "events flow, and the buffers still wake the reader at every one");
  } finally {
    await tracer.stop();
  }
});
