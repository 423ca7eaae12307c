// A map field's constructor arguments the compiler can see are refused at the argument that is
// wrong, naming it: LinearHistogram's min, max or step (it said "needs number literals ... with
// min < max and step > 0" under the whole constructor, whichever was wrong), and a pin name that
// cannot be one (it threw from the constructor, inside `new T()`, before the compiler could say
// where). Against the fake target: no kernel, no privileges.
import { test } from "node:test";
import assert from "node:assert/strict";
import { refusals } from "./refusals.ts";

function refused(field: string) {
  const source = `import { HashMap, LinearHistogram, Tracer, tracepoint, type u32 } from "tsbpf";
const STEP = 10;
class T extends Tracer {
  ${field}
  @tracepoint("syscalls:sys_enter_openat")
  h(args: any) {}
}
`;
  const [d] = refusals(source);
  const column = source.split("\n")[3].indexOf("/*here*/") + "/*here*/".length + 1;
  return { d, column };
}

test("LinearHistogram: the wrong argument is named, at its place", () => {
  const cases: [string, RegExp][] = [
    ["h = new LinearHistogram(0, 100, /*here*/0);", /LinearHistogram's step must be a whole number of at least 1, got 0/],
    ["h = new LinearHistogram(100, /*here*/0, 10);", /LinearHistogram's max \(0\) must be larger than its min \(100\)/],
    ["h = new LinearHistogram(0, 100, /*here*/1.5);", /LinearHistogram's step must be a whole number of at least 1, got 1.5/],
    ["h = new LinearHistogram(/*here*/Date.now(), 100, 10);", /LinearHistogram's min must be a whole number the compiler can see \(a literal or a top-level const\)/],
  ];
  for (const [field, message] of cases) {
    const { d, column } = refused(field);
    assert.match(d.message, message, field);
    assert.deepEqual([d.line, d.column], [4, column], field);
  }
});

test("LinearHistogram with too few arguments says which are missing; top-level consts are accepted", () => {
  const { d } = refused("h = new LinearHistogram(0, 100);");
  assert.match(d.message, /new LinearHistogram\(min, max, step\) is missing its step/);
  // A const step compiles: the first error is then elsewhere (none here but the one we add).
  const { d: other } = refused("h = new LinearHistogram(0, 100, STEP);\n  m = new HashMap<u32>();");
  assert.doesNotMatch(other.message, /LinearHistogram/);
});

test("a pin name that cannot be one is refused at the name, when the compiler sees it", () => {
  for (const bad of ["..", "a/b", "a.b", "x".repeat(65)]) {
    const { d, column } = refused(`m = new HashMap<u32, u32>(8, { pin: /*here*/"${bad}" });`);
    assert.match(d.message, /is not a pin name: use letters, digits, "_" and "-"/, bad);
    assert.deepEqual([d.line, d.column], [4, column], bad);
  }
});
