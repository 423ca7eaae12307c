import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { openSync } from "node:fs";
import { CountedThrice, CountedTwice, ExitsAndEnters, OpensOnly } from "../fixtures/inherited_tracer.ts";
import { ClosesToo } from "../fixtures/inherited_tracer_imported.ts";

/** Starts `tracer` on this process, makes 20 failing openat() calls, then runs `check` before stopping it. */
async function afterOpens<T extends ExitsAndEnters | OpensOnly | CountedTwice>(tracer: T, check: (t: T) => void): Promise<void> {
  tracer.targetPid = process.pid;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    for (let i = 0; i < 20; i++) {
      try {
        openSync(`/nonexistent-tsbpf/${i}`, "r");
      } catch { /* the call is the point */ }
    }
    check(tracer);
  } finally {
    await tracer.stop();
  }
}

test("a tracer class extending another of its file has the base's maps, parameters and handlers, and its overrides", async () => {
  await afterOpens(new ExitsAndEnters(), (tracer) => {
    // openat is system call 257 on x86-64: counted at its exit by the base's handler, at its entry by the override.
    assert.ok((tracer.exits.get(257n) ?? 0n) >= 20n, `exits: ${tracer.exits.get(257n)}`);
    assert.ok((tracer.enters.get(257n) ?? 0n) >= 20n, `enters: ${tracer.enters.get(257n)}`);
  });
});

test("an override under another decorator attaches to its own probe, and one without a decorator is no handler", async () => {
  await afterOpens(new OpensOnly(), (tracer) => {
    // Only openat's entries (system call 257 on x86-64), read from its tracepoint's own field; the base's sys_exit handler is gone.
    assert.deepEqual([...tracer.opens.entries()].map(([nr]) => nr), [257]);
    assert.ok((tracer.opens.get(257) ?? 0n) >= 20n, `opens: ${tracer.opens.get(257)}`);
    assert.deepEqual([...tracer.exits.entries()], []);
  });
});

test("super.m() in an override calls the base's m, from a handler and from a plain method, the base's this.m() being the override", async () => {
  await afterOpens(new CountedTwice(), (tracer) => {
    // openat is 257 on x86-64: the base's handler (through super.onExit) calls the override's note, which counts 257 and 1257 through super.note.
    const exits = tracer.exits.get(257n) ?? 0n;
    assert.ok(exits >= 20n, `exits: ${exits}`);
    assert.equal(tracer.counts.get(257n), exits);
    assert.equal(tracer.counts.get(1257n), exits);
  });
});

test("super.m() through three levels of tracer classes reaches each level's m once", async () => {
  await afterOpens(new CountedThrice(), (tracer) => {
    const exits = tracer.exits.get(257n) ?? 0n;
    assert.ok(exits >= 20n, `exits: ${exits}`);
    assert.deepEqual([...tracer.counts.entries()].filter(([, n]) => n === exits).map(([nr]) => nr).sort(), [100257n, 101257n]);
  });
});

test("a tracer class extending a tracer class of another file is refused at its extends", async () => {
  await assert.rejects(new ClosesToo().start({ exitOnError: false }),
    /inherited_tracer_imported\.ts:7:32: error\[TSB\d+\]: ClosesToo extends Exits, imported from "\.\/inherited_tracer\.ts": [^\n]*its own file[\s\S]*hint: declare Exits in this file/);
});
