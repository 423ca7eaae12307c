// A listener that unsubscribes (the function on() returned) gets no more events, not even the
// rest of the batch being delivered; and what nobody takes stays in the kernel's buffer for
// whoever listens next, instead of being read and thrown away, also when the next listener is
// given by the last one during the drain.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { PerfBuffer, pid, RingBuf, Tracer, tracepoint, type u32 } from "../../mod.ts";
import { waitFor } from "./util.ts";

const c = await libc();

class RingEvents extends Tracer {
  events = new RingBuf<{ n: u32 }>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ n: 1 });
  }
}

class PerfEvents extends Tracer {
  events = new PerfBuffer<{ n: u32 }>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ n: 1 });
  }
}

for (const [kind, make] of [["RingBuf", () => new RingEvents()], ["PerfBuffer", () => new PerfEvents()]] as const) {
  test(`${kind}: a listener that unsubscribes in its first event gets no more; the rest wait for the next listener`, async () => {
    const tracer = make();
    tracer.self = process.pid;
    await tracer.start({ exitOnError: false, reportLoss: false });
    try {
      const calls = 100;
      for (let i = 0; i < calls; i++) c.syscall(SYS.getppid); // one batch, made before anyone listens
      let first = 0;
      await new Promise<void>((resolve) => {
        const off = tracer.events.on(() => {
          first++;
          off();
          resolve();
        });
      });
      let second = 0;
      tracer.events.on(() => second++);
      // Every event delivered: the first listener's count is final.
      await waitFor(() => second >= calls - 1, 60_000);
      assert.equal(first, 1, "events reached a listener after it unsubscribed");
      assert.equal(second, calls - 1, "events nobody took were thrown away");
    } finally {
      await tracer.stop();
    }
  });

  test(`${kind}: a listener that hands over to another in its first event: every event reaches one of them`, async () => {
    const tracer = make();
    tracer.self = process.pid;
    await tracer.start({ exitOnError: false, reportLoss: false });
    try {
      const calls = 100;
      for (let i = 0; i < calls; i++) c.syscall(SYS.getppid); // one batch, made before anyone listens
      let first = 0, second = 0;
      const off = tracer.events.on(() => {
        first++;
        off();
        tracer.events.on(() => second++);
      });
      await waitFor(() => first + second >= calls, 10_000);
      assert.equal(first, 1, "events reached a listener after it unsubscribed");
      assert.equal(second, calls - 1, "events given to no one were read and thrown away");
    } finally {
      await tracer.stop();
    }
  });
}
