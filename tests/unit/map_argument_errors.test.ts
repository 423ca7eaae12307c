// A map printed with options
// it cannot take (`counts.print(5)`), a period every() cannot wait, start()'s Promise used as the
// tracer, or a kernel-only helper called from JavaScript, throws from tsbpf's code on the user's
// behalf: the error's stack must
// start at the user's line. Bun shows the source of the first frame, which in the npm package
// is a line of the minified bundle, and Deno shows the user's line only if it comes first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ArrayMap, Count, HashMap, Histogram, LinearHistogram, LruHashMap, PerfBuffer, pid, QueueMap, RingBuf, StackTraceMap, Tracer } from "../../mod.ts";
import { refusedArguments } from "../../runtime/maps/refused_arguments.ts";

/** A tracer with no handlers: its errors in JavaScript come before anything reaches the kernel. */
class Idle extends Tracer {}

const THIS_FILE = new URL(import.meta.url).pathname.split("/").pop()!;

const CASES: [string, () => unknown, RegExp][] = [
  ["counts.print(5)", () => new Count().print(5 as never), /print\(\{ top: 5 \}\)/],
  ["counts.format({ top: -1 })", () => new Count().format({ top: -1 }), /top must be a whole number \(0: every entry\), got -1/],
  ["hist.format(3)", () => new Histogram().format(3 as never), /format\(\{ top: 3 \}\)/],
  ["hist.json({ out: 1 })", () => new Histogram().json({ out: 1 as never }), /out must be a function/],
  ["tracer.every(0, f)", () => new Idle().every(0, () => {}), /every\(\)'s period/],
  ["tracer.every(1000, f) before start()", () => new Idle().every(1000, () => {}), /call it after start\(\)/],
  ["start()'s Promise used as the tracer", () => {
    const starting = new Idle().start({ exitOnError: false, handleSignals: false });
    starting.catch(() => {});
    return (starting as unknown as Idle).lost();
  }, /start\(\) gives a Promise: \.lost is on the tracer/],
  ["pid() in JavaScript", () => { const p = pid(); return p; }, /runs only inside a probe handler/],
];

for (const [what, userCode, message] of CASES) {
  test(`${what}: the error's first frame is the user's line`, () => {
    try {
      userCode();
      assert.fail(`${what} was accepted`);
    } catch (e) {
      assert.match((e as Error).message, message);
      const frames = ((e as Error).stack ?? "").split("\n").filter((l) => /^\s*at /.test(l));
      assert.ok(frames[0]?.includes(THIS_FILE), `${what}: first frame is not the caller's:\n${frames.slice(0, 4).join("\n")}`);
    }
  });
}

// A map declared with arguments it cannot take (`new RingBuf<E>(1000)`) is a field of a tracer made
// inside `new T()`: its constructor keeps the error for start(), after the compiler has said where
// (tests/kernel/map_arguments_at_start.test.ts), instead of throwing before the compiler runs.
const REFUSED: [string, () => object, RegExp][] = [
  ["new RingBuf(1000)", () => new RingBuf(1000), /power of two/],
  ["new PerfBuffer(1000)", () => new PerfBuffer(1000), /power of two/],
  ["new HashMap(0)", () => new HashMap(0), /between 1 and/],
  ["new LruHashMap(0)", () => new LruHashMap(0), /between 1 and/],
  ["new ArrayMap(-1)", () => new ArrayMap(-1), /between 1 and/],
  ["new QueueMap(0)", () => new QueueMap(0), /between 1 and/],
  ["new Count(0)", () => new Count(0), /at least one entry/],
  ["new LinearHistogram(10, 0, 1)", () => new LinearHistogram(10, 0, 1), /LinearHistogram's max \(0\) must be larger than its min \(10\)/],
  ["new LinearHistogram(0, 1, 0)", () => new LinearHistogram(0, 1, 0), /LinearHistogram's step must be a whole number of at least 1, got 0/],
  ["new LinearHistogram(0.5, 1, 1)", () => new LinearHistogram(0.5, 1, 1), /LinearHistogram's min must be a whole number, got 0.5/],
  ["new HashMap(8, { pin: \"a/b\" })", () => new HashMap(8, { pin: "a/b" }), /HashMap's pin: "a\/b" is not a pin name/],
  ["new StackTraceMap(16, 500)", () => new StackTraceMap(16, 500), /depth/],
];

for (const [what, make, message] of REFUSED) {
  test(`${what}: kept for start(), not thrown from the constructor`, () => {
    const map = make();
    assert.match(refusedArguments(map)?.message ?? "accepted", message);
  });
}

test("arguments a map takes are not refused", () => {
  for (const map of [new RingBuf(4096), new HashMap(1), new Count(), new LinearHistogram(0, 10, 1), new StackTraceMap(16, 5)]) {
    assert.equal(refusedArguments(map), undefined);
  }
});
