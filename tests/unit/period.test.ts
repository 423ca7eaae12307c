// Timer periods (runtime/period.ts, a one-liner's interval()) and what exit() becomes in a
// one-liner's handlers: unprivileged checks of what tests/lifecycle runs for real.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkPeriodMs, MAX_TIMER_MS } from "../../runtime/period.ts";
import { intervalPeriodMs } from "../../cli/oneliner/interval_period.ts";
import { transformOneLiner } from "../../cli/oneliner/oneliner.ts";

test("a timer period is 1 ms to 2^31-1 ms; anything else says what was given", () => {
  assert.equal(checkPeriodMs(1, "p", "e.g."), 1);
  assert.equal(checkPeriodMs(MAX_TIMER_MS, "p", "e.g."), MAX_TIMER_MS);
  for (const bad of [0, -1, 0.5, 1e-6, MAX_TIMER_MS + 1, NaN, Infinity, "5", undefined]) {
    assert.throws(() => checkPeriodMs(bad, "every()'s period", "every(1000, f)"), RangeError, String(bad));
  }
  assert.throws(() => checkPeriodMs(0, "every()'s period", "every(1000, f)"), /^RangeError: every\(\)'s period must be from 1 ms to 2147483647 ms \(24.8 days\), got 0 ms; e.g. every\(1000, f\)$/);
});

test("interval() periods: seconds or a duration, checked the same way, in the unit written", () => {
  assert.equal(intervalPeriodMs(1), 1000);
  assert.equal(intervalPeriodMs(0.25), 250);
  assert.equal(intervalPeriodMs("500ms"), 500);
  assert.equal(intervalPeriodMs("2s"), 2000);
  assert.throws(() => intervalPeriodMs(0), /got 0 s/);
  assert.throws(() => intervalPeriodMs(-1), /got -1 s/);
  assert.throws(() => intervalPeriodMs(1e-9), /got 1e-9 s/);
  assert.throws(() => intervalPeriodMs("0ms"), /got "0ms"/);
  assert.throws(() => intervalPeriodMs(30 * 24 * 3600), /24.8 days/);
});

const STUB = {
  modUrl: "file:///tsbpf/mod.ts",
  runtimeUrl: "file:///tsbpf/cli/oneliner_runtime.ts",
  exports: new Set(["Tracer", "RingBuf", "ArrayMap", "tracepoint", "pid", "u8", "u32", "TracepointArgs"]),
  pidFilter: false,
  kernel: { expand: () => [] },
};

test("exit() sets a flag every handler checks first, the ones written before it too", async () => {
  const { source } = await transformOneLiner(`tracepoint("a:b", () => printf("b\\n")); tracepoint("a:c", () => { printf("c\\n"); exit() })`, STUB);
  assert.match(source, /^ {2}_exited = new ArrayMap<u8>\(1\);$/m);
  assert.match(source, /^import \{ ArrayMap, /m);
  const handlers = source.match(/ h\d\([^)]*\) \{\n {4}.*/g) ?? [];
  assert.equal(handlers.length, 2, source);
  for (const h of handlers) assert.match(h, /\{\n {4}if \(this\._exited\.get\(0\) !== 0\) return;$/);
  assert.match(source, /this\._exited\.set\(0, 1\); this\._exit\.submit\(\{ _: 0 \}\);/);
  const without = (await transformOneLiner(`tracepoint("a:b", () => printf("b\\n"))`, STUB)).source;
  assert.doesNotMatch(without, /_exited/);
});
