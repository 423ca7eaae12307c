// Tail calls against the fake compile target (no kernel): what plan and dump say about a
// ProgramArray and its targets, and the errors for ProgramArrays that cannot work, each at its
// line and column. (tests/kernel/tail_calls.test.ts runs them on the real kernel.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../compiler/mod.ts";
import { describePlan } from "../../compiler/plan.ts";
import { formatDump } from "../../cli/commands/dump_format.ts";
import { fakeTarget } from "./fake_target.ts";
import { refusals } from "./refusals.ts";
import { validateSpecs } from "../../spec/spec_schema.ts";

const kernel = fakeTarget();

const DISPATCH = `import { Count, ProgramArray, Tracer, rawTracepoint } from "tsbpf";
const SYS_read = 0;
class Dispatch extends Tracer {
  reads = new Count();
  writes = new Count();
  bySyscall = new ProgramArray({ [SYS_read]: this.onRead, 1: this.onWrite });
  @rawTracepoint("sys_enter")
  onEnter(args: any) {
    this.bySyscall.jump(args.id);
  }
  onRead(args: any) { this.reads.add(); }
  onWrite(args: any) { this.writes.add(); }
}
`;

function diagnostics(source: string) {
  return refusals(source, kernel);
}

test("each method in a ProgramArray a handler jumps through becomes a program of the handler's probe, not attached", () => {
  const [spec] = compile(DISPATCH, "/x/dispatch.ts", kernel);
  assert.deepEqual(spec.programs.map((p) => [p.name, p.probe.kind, p.probe.target, p.progType, p.tailCallTarget ?? false]), [
    ["onEnter", "rawTracepoint", "sys_enter", 17, false],
    ["onRead", "rawTracepoint", "sys_enter", 17, true],
    ["onWrite", "rawTracepoint", "sys_enter", 17, true],
  ]);
  const array = spec.maps.find((m) => m.name === "bySyscall")!;
  assert.equal(array.kind, "prog_array");
  assert.equal(array.size, 2);
  assert.deepEqual(array.slots, [{ index: 0, program: "onRead" }, { index: 1, program: "onWrite" }]);
});

test("plan lists the program array with its slots, the targets as reached by tail calls, and bpf_tail_call", () => {
  const report = describePlan(compile(DISPATCH, "/x/dispatch.ts", kernel), { cpus: 2 });
  assert.match(report, /^    rawTracepoint sys_enter  →  onEnter\(\) at line 8: /m);
  assert.match(report, /^    tail call from rawTracepoint sys_enter  →  onRead\(\) at line 11: /m);
  assert.match(report, /^    tail call from rawTracepoint sys_enter  →  onWrite\(\) at line 12: /m);
  assert.match(report, /^    bySyscall +program array \(tail calls\): 2 slots, 0 → onRead\(\), 1 → onWrite\(\); /m);
  assert.match(report, /^    tail_call +in onEnter$/m);
  assert.match(report, /warnings: none in the kernel/);
});

test("dump shows the tail call with its program array, and the targets as not attached", () => {
  const text = formatDump(compile(DISPATCH, "/x/dispatch.ts", kernel), DISPATCH, "dispatch.ts").join("\n");
  assert.match(text, /^Dispatch\.onRead: tail-call target \(not attached\) of rawTracepoint sys_enter \(/m);
  assert.match(text, /map\[bySyscall\][\s\S]*call bpf_tail_call#12/);
});

test("a target jumped to from two probes is refused: it runs on its caller's context", () => {
  const source = DISPATCH.replace("  onRead(args: any)", `  @rawTracepoint("sys_exit")\n  onExit(args: any) { this.bySyscall.jump(0); }\n  onRead(args: any)`);
  const ds = diagnostics(source);
  const d = ds.find((x) => /jumped to from handlers of rawTracepoint\("sys_enter"\) and of rawTracepoint\("sys_exit"\)/.test(x.message));
  assert.ok(d, ds.map((x) => x.message).join("\n"));
  assert.deepEqual([d.line, d.column], [12, 23]);
});

test("a slot holding a decorated handler or no method, a computed index, an array nobody jumps through: each refused where it is", () => {
  let [d] = diagnostics(DISPATCH.replace("1: this.onWrite", "1: this.onEnter"));
  assert.match(d.message, /slot 1 of bySyscall holds onEnter, which is a decorated handler/);
  assert.equal(d.line, 6);
  [d] = diagnostics(DISPATCH.replace("1: this.onWrite", "1: this.nothing"));
  assert.match(d.message, /slot 1 of bySyscall holds nothing, which is not a method of this tracer/);
  [d] = diagnostics(DISPATCH.replace("[SYS_read]", "[Math.random()]"));
  assert.match(d.message, /slot's index must be a whole number/);
  assert.deepEqual([d.line, d.column], [6, 35]);
  [d] = diagnostics(DISPATCH.replace("this.bySyscall.jump(args.id);", ""));
  assert.match(d.message, /no handler jumps through bySyscall/);
  assert.equal(d.line, 6);
  [d] = diagnostics(DISPATCH.replace("jump(args.id)", "jump()"));
  assert.match(d.message, /jump\(\) takes 1 argument/);
});

test("a spec with a ProgramArray passes the schema of cached specs; a slot naming no tail-call target does not", () => {
  const specs = compile(DISPATCH, "/x/dispatch.ts", kernel);
  const copy = JSON.parse(JSON.stringify(specs));
  assert.equal(validateSpecs(copy), copy);
  copy[0].maps.find((m: { name: string }) => m.name === "bySyscall").slots[0].program = "onEnter";
  assert.throws(() => validateSpecs(copy), /slots\[0\]\.program: names no tail-call target/);
});

test("a @kprobe handler that jumps asks for a kprobe (not fentry); other kinds keep their run-time options", () => {
  const asked: { kind: string; options?: Record<string, unknown> }[] = [];
  const recording = { ...kernel, probeContext: (ref: Parameters<typeof kernel.probeContext>[0]) => (asked.push({ kind: ref.kind, options: ref.options }), kernel.probeContext(ref)) };
  const source = DISPATCH.replace(`import { Count, ProgramArray, Tracer, rawTracepoint }`, `import { Count, ProgramArray, Tracer, kprobe, rawTracepoint }`)
    .replace(`  onRead(args: any)`, `  @kprobe("tcp_connect")\n  onConnect() { this.viaKprobe.jump(0); }\n  onRead(args: any)`)
    .replace(`  reads = new Count();`, `  reads = new Count();\n  viaKprobe = new ProgramArray([this.onKprobeTarget]);\n  onKprobeTarget() { this.writes.add(); }`);
  const [spec] = compile(source, "/x/dispatch.ts", recording);
  assert.deepEqual(asked, [{ kind: "rawTracepoint", options: undefined }, { kind: "kprobe", options: { kprobe: true } }]);
  assert.deepEqual(spec.programs.filter((p) => p.tailCallTarget).map((p) => [p.name, p.probe.kind, p.progType]), [
    ["onRead", "rawTracepoint", 17], ["onWrite", "rawTracepoint", 17], ["onKprobeTarget", "kprobe", 2],
  ]);
});
