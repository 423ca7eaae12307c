// A tracer that has gone quiet after its start asks the runtime, once, for a full collection of
// the garbage its start left (on Bun that collection otherwise came seconds later, inside an idle
// tracer's first quiet seconds: bench/NOTES.md, "Idle on Bun, session 10"). Deno offers a library
// no way to ask (the hook says so), and V8 collects an idle Deno process's leftovers by itself.
// Checked by the calls the pump makes to the runtime's hook and by the events delivered after
// it, never by how long anything took.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { Count, pid, RingBuf, Tracer, tracepoint, type u32 } from "../../mod.ts";
import { START_GARBAGE_MS } from "../../runtime/maps/event_pump.ts";

const c = await libc();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Call {
  pid: u32;
}

class RingCalls extends Tracer {
  events = new RingBuf<Call>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.events.submit({ pid: pid() });
  }
}

class CountCalls extends Tracer {
  calls = new Count<u32>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.calls.add(pid());
  }
}

/** Counts the pump's calls to the runtime's collectGarbage hook (still collecting) while `f` runs. */
async function watchingCollections(f: (asked: () => number[]) => Promise<void>): Promise<void> {
  const hooks = c.process;
  const real = hooks.collectGarbage;
  const answers: number[] = [];
  hooks.collectGarbage = () => {
    const collected = real.call(hooks);
    answers.push(collected ? 1 : 0);
    return collected;
  };
  try {
    await f(() => answers);
  } finally {
    hooks.collectGarbage = real;
  }
}

/** Polls `check` for up to 30 s (a start's half second, on a loaded machine). */
async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 600 && !check(); i++) await sleep(50);
  return check();
}

/** Starts `tracer` on this process's calls, waits until its pump asked for the collection (once), runs `then`, stops it. */
async function afterTheCollection(tracer: RingCalls | CountCalls, then: (asked: () => number[]) => Promise<void>): Promise<void> {
  await watchingCollections(async (asked) => {
    tracer.self = process.pid;
    await tracer.start({ exitOnError: false, reportLoss: false });
    try {
      assert.ok(await eventually(() => asked().length > 0), "the quiet tracer never asked for its start's garbage to be collected");
      // Bun collects; Deno has no way for a library to (and says so).
      assert.deepEqual(asked(), [c.runtime === "bun" ? 1 : 0]);
      await then(asked);
    } finally {
      await tracer.stop();
    }
  });
}

test("an idle tracer with a RingBuf has the garbage its start left collected once, and still wakes for the next events", async () => {
  const tracer = new RingCalls();
  await afterTheCollection(tracer, async (asked) => {
    const got: Call[] = [];
    tracer.events.on((e) => got.push(e));
    for (let n = 1; n <= 2; n++) {
      c.syscall(SYS.getppid);
      assert.ok(await eventually(() => got.length >= n), `event ${n} after the collection was not delivered`);
    }
    assert.equal(asked().length, 1, "the start's garbage was collected more than once");
  });
});

test("a tracer with maps only has the garbage its start left collected once; its counts go on", async () => {
  const tracer = new CountCalls();
  await afterTheCollection(tracer, async () => {
    c.syscall(SYS.getppid);
    assert.equal(tracer.calls.get(process.pid), 1n);
  });
});

test("a tracer stopped before its start's garbage is due never asks for it", async () => {
  await watchingCollections(async (asked) => {
    const tracer = new RingCalls();
    tracer.self = process.pid;
    await tracer.start({ exitOnError: false, reportLoss: false });
    await tracer.stop();
    // A wait as long as the start's, begun after it on the same clock (process.after; on Deno
    // not setTimeout's): it ends after the cancelled wait would have fired, however late either.
    const alive = setTimeout(() => {}, 600_000); // process.after keeps no event loop alive
    await new Promise<void>((r) => c.process.after(START_GARBAGE_MS, r));
    clearTimeout(alive);
    assert.deepEqual(asked(), []);
  });
});
