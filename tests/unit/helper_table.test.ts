// One table of helpers (spec/bpf/helpers.ts): the stubs handler code imports match its handler
// helpers one for one, the compiler's builtins are exactly those, and every kernel helper the
// compiler emits is named by plan and dump from it.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as stubs from "../../lang/helpers.ts";
import { HANDLER_HELPERS, Helper, helperLabel, KERNEL_HELPERS, kernelHelper } from "../../spec/bpf/helpers.ts";
import { BUILTINS } from "../../compiler/builtins.ts";
import { compile, fromBase64 } from "../../compiler/mod.ts";
import { describePlan, kernelWarnings } from "../../compiler/plan.ts";
import { decode } from "../../spec/bpf/isa.ts";
import { fakeTarget } from "./fake_target.ts";

test("every stub handler code imports has a table entry, and every entry a stub", () => {
  assert.deepEqual(Object.keys(stubs).sort(), Object.keys(HANDLER_HELPERS).sort());
});

test("the compiler's builtins are the table's handler helpers", () => {
  assert.deepEqual(Object.keys(BUILTINS).sort(), Object.keys(HANDLER_HELPERS).sort());
  for (const [name, b] of Object.entries(BUILTINS)) assert.equal(b.doc, HANDLER_HELPERS[name as keyof typeof HANDLER_HELPERS].doc, name);
});

test("the table is one entry per id and per name, and the compiler's ids are its ids", () => {
  assert.equal(new Set(KERNEL_HELPERS.map((h) => h.id)).size, KERNEL_HELPERS.length);
  assert.equal(new Set(KERNEL_HELPERS.map((h) => h.name)).size, KERNEL_HELPERS.length);
  for (const [name, id] of Object.entries(Helper)) assert.equal(kernelHelper(id)?.name, name);
  for (const h of Object.values(HANDLER_HELPERS)) for (const c of h.calls) assert.ok(c in Helper, c);
});

/** Every helper id in the compiled programs. */
function helperCalls(source: string, options = {}): Set<number> {
  const ids = new Set<number>();
  for (const spec of compile(source, "/x/all.ts", fakeTarget(), options)) {
    for (const p of spec.programs) for (const ins of decode(fromBase64(p.insns))) if (ins.code === 0x85 && ins.src === 0) ids.add(ins.imm);
  }
  return ids;
}

const EVERY_HELPER = `import { HashMap, QueueMap, StackMap, RingBuf, Tracer, rawTracepoint, tracepoint, pid, tid, uid, gid, ktime, cpu, ppid, kstack, ustack, probe, cgroup, cgroupName, curtask, user, kernel, comm, str, type u32, type u64, type Str } from "tsbpf";
interface E { pid: u32; name: Str<16> }
class All extends Tracer {
  events = new RingBuf<E>();
  counts = new HashMap<u64, u64>();
  q = new QueueMap<u32>(16);
  s = new StackMap<u32>(16);
  @rawTracepoint("sys_enter")
  h(args: any) {
    const n = pid() + tid() + uid() + gid() + cpu() + ppid();
    this.counts.set(ktime() + kstack() + ustack() + probe() + cgroup(), n + curtask().tgid);
    this.counts.delete(cgroupName(cgroup()));
    this.q.push(1); this.s.pop(); this.q.peek();
    this.events.submit({ pid: user<task_struct>(args[0]).tgid + kernel<task_struct>(args[1]).pid, name: comm() });
  }
  @tracepoint("syscalls:sys_enter_openat")
  o(args: any) { if (str(args.filename) === "x") return 1; return str(kernel(args.filename as u64)) === "y" ? 1 : 0; }
}
`;

test("plan names every helper the compiler emits, from the table", () => {
  const ids = new Set([...helperCalls(EVERY_HELPER), ...helperCalls(EVERY_HELPER, { cgroupFilter: true })]);
  assert.ok(ids.size >= 15, `only ${ids.size} helpers emitted`);
  const specs = compile(EVERY_HELPER, "/x/all.ts", fakeTarget(), { cgroupFilter: true });
  const report = describePlan(specs, { cpus: 2 });
  assert.doesNotMatch(report, /helper #/, report);
  for (const id of ids) assert.ok(kernelHelper(id), `helper ${id} is not in the table`);
});

test("plan warns of every helper the table says changes the system", () => {
  const changing = KERNEL_HELPERS.filter((h) => "changes" in h);
  assert.ok(changing.length >= 4);
  for (const h of changing) {
    const call = [0x85, 0, 0, 0, h.id, 0, 0, 0];
    const insns = btoa(String.fromCharCode(...call, 0x95, 0, 0, 0, 0, 0, 0, 0));
    const specs = [{ className: "K", file: "k.ts", maps: [], programs: [{ name: "h", probe: { kind: "tracepoint", target: "a:b" }, progType: 5, insns, relocs: [], lines: [], stackSize: 0, line: 1, column: 1 }] }];
    const warning = `${helperLabel(h.id)} ${(h as { changes: string }).changes}`;
    assert.deepEqual(kernelWarnings(specs), [warning]);
    assert.match(describePlan(specs, { cpus: 2 }), new RegExp(`WARNINGS:\\n    ${warning.replace(/[()]/g, "\\$&")}`));
  }
});
