// What the compiler does not do for a typical small handler (a pid filter, a ring buffer
// event): passes with nothing to work on return what they were given, and the passes that only
// clean up after them do not run. A cold start runs the compiler at the interpreter tiers, where
// each pass costs about as much as its work. Counted in operations, not time; the output must be
// the same either way (tests/unit/package_bundle.test.ts and the language cases check it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../compiler/mod.ts";
import { livenessWork } from "../../compiler/flow.ts";
import { narrow } from "../../compiler/narrow.ts";
import { crowdingWork } from "../../compiler/pressure.ts";
import { cleanup, cleanupWork } from "../../compiler/cleanup.ts";
import { allocate } from "../../compiler/regalloc.ts";
import type { Instr } from "../../compiler/ir.ts";
import { Helper } from "../../spec/bpf/helpers.ts";
import { fakeTarget } from "./fake_target.ts";

const kernel = fakeTarget();

function tracer(body: string): string {
  return `import { pid, RingBuf, Tracer, tracepoint, type u32 } from "tsbpf";
interface Call { pid: u32 }
class T extends Tracer {
  events = new RingBuf<Call>();
  @tracepoint("syscalls:sys_enter_openat")
  h() {
    ${body}
  }
}
`;
}

/** How many times `work` ran (liveness, the crowding walk, cleanup...) compiling `source`. */
function runs(work: { runs: number }, source: string): number {
  const before = work.runs;
  const [spec] = compile(source, "/x/t.ts", kernel);
  assert.equal(spec.programs.length, 1);
  return work.runs - before;
}

test("narrowing code with no 64-bit arithmetic, masks or zero-extending moves returns the very array it was given", () => {
  const code: Instr[] = [
    { op: "call", helper: Helper.get_current_pid_tgid, args: [], dst: 0 },
    { op: "alu", alu: "rsh", dst: 1, a: 0, b: 32n },
    { op: "ret", value: 1 },
  ];
  assert.equal(narrow(code), code);
});

test("a handler with nothing to narrow is not folded and swept a second time", () => {
  // The launch benchmark's handler: a pid filter and one event.
  const plain = runs(livenessWork, tracer(`if (pid() !== 1234) return;
    this.events.submit({ pid: pid() });`));
  // u32 arithmetic, normalised by shifts that narrowing turns into one 32-bit add: folded again after.
  const narrowed = runs(livenessWork, tracer(`const x: u32 = pid() + 7;
    if (x !== 1234) return;
    this.events.submit({ pid: x });`));
  assert.ok(plain < narrowed, `liveness computed ${plain} times for a handler with nothing to narrow, ${narrowed} for one narrowed`);
});

test("a handler with fewer values than fit in registers and the stack is not searched for a crowd of them", () => {
  // The launch benchmark's handler: a handful of values, far from the ~70 registers and slots.
  assert.equal(runs(crowdingWork, tracer(`if (pid() !== 1234) return;
    this.events.submit({ pid: pid() });`)), 0);
  // Many values, each used at once (it compiles): more registers than fit, so the walk is taken.
  const events = Array.from({ length: 40 }, (_, i) => `if (pid() === ${i}) this.events.submit({ pid: pid() + ${i} });`).join("\n    ");
  assert.ok(runs(crowdingWork, tracer(events)) > 0);
});

test("a typical handler is swept for unreachable code and needless jumps before register allocation, not again after it", () => {
  // Once after lowering, once after folding and dead code removal; none of the moves allocation
  // made redundant sat next to a jump.
  assert.equal(runs(cleanupWork, tracer(`if (pid() !== 1234) return;
    this.events.submit({ pid: pid() });`)), 2);
});

test("a move allocation removes from between a branch and its label leaves the code to be swept again", () => {
  // Tidy code where a branch skips a copy nothing reads (it gets its source's register, and goes),
  // with or without a store after the copy.
  const code = (store: boolean): Instr[] => [
    { op: "entry", dst: 0 },
    { op: "call", helper: Helper.get_current_pid_tgid, args: [], dst: 1 },
    { op: "br", cond: "jeq", a: 1, b: 0n, target: 0 },
    { op: "mov", dst: 2, src: 1 },
    ...(store ? [{ op: "store", base: "fp", off: -8, size: 8, value: 1 } as const] : []),
    { op: "label", label: 0 },
    { op: "ret", value: 1 },
  ];
  for (const store of [false, true]) assert.deepEqual(cleanup(code(store)), code(store));
  const alone = allocate(code(false), 0);
  assert.equal(alone.untidy, true);
  assert.notDeepEqual(cleanup(alone.code), alone.code, "a branch to the next instruction is left");
  const withStore = allocate(code(true), 8);
  assert.equal(withStore.untidy, undefined);
  assert.deepEqual(cleanup(withStore.code), withStore.code);
});
