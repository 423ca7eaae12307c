// The type checker (compiler/check.ts): what an expression is (type, and value when constant)
// without lowering it: no code, no diagnostics. Lowering asks it where it used to lower an
// expression on trial and throw the code away (Lowering.trial, gone).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiagnosticBag } from "../../spec/diagnostics.ts";
import { parseSource } from "../../compiler/parse.ts";
import { collect } from "../../compiler/collect.ts";
import { check, constantValue, isString, type Scope } from "../../compiler/check.ts";
import type { Binding } from "../../compiler/lower/context.ts";
import { probeId } from "../../spec/tracer_spec.ts";
import { typeName } from "../../spec/layout.ts";
import { fakeTarget } from "./fake_target.ts";

const SOURCE = `import { HashMap, Tracer, tracepoint, type u8, type u32, type Str } from "tsbpf";
const N = 10;
const M = N * 3 + 2;
const BIG = 0xffffffffffffffffffn;
interface E { pid: u32; name: Str<16> }
function twice(x: u32): u32 { return x * 2; }
class T extends Tracer {
  m = new HashMap<u32, E>();
  limit: u32 = 5;
  @tracepoint("syscalls:sys_enter_openat")
  h(args: any) {}
}
`;
const diags = new DiagnosticBag("/x/t.ts", SOURCE);
const mod = collect(parseSource(SOURCE, diags), diags);
const tracer = mod.tracers[0];
const target = fakeTarget();
const input = {
  node: tracer.handlers[0].node, tracer, types: mod.types, probe: target.probeContext(tracer.handlers[0].probe), programIndex: 0,
  functions: mod.functions, constants: mod.constants, assumptions: new Set<string>(), target, diags,
};
const bindings = new Map<string, Binding>([
  ["args", { kind: "ctx" }],
  ["x", { kind: "scalar", type: { kind: "int", bits: 32, signed: false }, op: 7, mutable: true, name: "x" }],
  ["k", { kind: "scalar", type: { kind: "int", bits: 16, signed: true }, op: -3n, mutable: false, name: "k" }],
  ["e", { kind: "mem", type: mod.types.resolve({ type: "TSTypeReference", typeName: { type: "Identifier", name: "E" } })!, off: -24, mutable: false, name: "e" }],
]);
const scope: Scope = { input, lookup: (name) => bindings.get(name), resolvingConstants: new Set() };

function expr(text: string) {
  const d = new DiagnosticBag("/x/e.ts", text);
  const ast = parseSource(`(${text});`, d);
  assert.equal(d.items.length, 0, text);
  return ast.program.body[0].expression;
}
function describe(text: string): string {
  const c = check(scope, expr(text));
  if (!c) return "-";
  if (c.kind === "scalar") return `${typeName(c.type)}${c.value === undefined ? "" : ` = ${c.value}`}${c.literal ? " (literal)" : ""}`;
  if (c.kind === "mem") return `mem ${typeName(c.type)}`;
  if (c.kind === "kmem") return `${c.space} memory ${target.btf().typeName(c.btfId)}`;
  if (c.kind === "ctxfield") return `field ${c.field.name}`;
  if (c.kind === "map") return `map ${c.map.name}`;
  return c.kind;
}

test("every kind of expression gets its type, and constants their value", () => {
  const cases: [string, string][] = [
    ["1 + 2", "i64 = 3 (literal)"],
    ["(200 as u8) + 100", "u8 = 44"],
    ["x + 1", "u32"],
    ["x / 0", "u32 = 0"],
    ["k * 2", "i16 = -6"],
    ["~(5 as u8)", "u8 = 250"],
    ["-5n", "u64 = -5 (literal)"],
    ["true", "bool = 1"],
    ["x < 3", "bool"],
    ["x > 1 ? x : (k as u8)", "u32"],
    ["N", "i64 = 10"],
    ["M << 1", "i64 = 64"],
    ["BIG", "-"],
    ["twice(3)", "u32"],
    ["this.limit", "u32"],
    ["this.m", "map m"],
    ["this.m.get(1)", "mem E"],
    ["this.m.get(1).name", "mem Str<16>"],
    ["this.m.has(1)", "bool"],
    ["e.pid", "u32"],
    ["args.filename", "const char *"],
    ["args.flags", "i32"], // int flags: the C type, though the format gives it 8 bytes
    ["args.dfd as i32", "i32"],
    ["pid() + tid()", "u32"],
    ["probe()", `ProbeName = ${probeId(0, 0)}`],
    ["cgroupName(5)", "Cgroup = 5"],
    ["curtask()", "struct task_struct *"],
    ["curtask().real_parent.tgid", "i32"],
    ["curtask().comm", "kernel memory char[16]"],
    ["curtask().comm[0]", "u8"],
    ["curtask().no_such_field ?? 9", "i64 = 9 (literal)"],
    ["kernel<sock>(x).__sk_common.skc_dport", "u16"],
    ["user<sock>(x).__sk_common", "user memory struct sock_common"],
    ["x as task_struct", "struct task_struct *"],
    ["\"text\"", "string"],
  ];
  const got = cases.map(([text]) => [text, describe(text)]);
  assert.deepEqual(got, cases);
});

test("an expression that would not compile has no type", () => {
  for (const text of ["1.5", "0xffffffffffffffffffn", "comm()", "curtask().nope", "args.nope", "this.nope", "nope", "pid(1)", "x + args", "kernel<nope>(x)", "`t${x}`", "curtask().comm[16]", "args[0]"]) {
    assert.equal(check(scope, expr(text)), undefined, text);
  }
});

test("constants and strings, as lowering asks", () => {
  assert.equal(constantValue(scope, expr("M - N")), 22n);
  assert.equal(constantValue(scope, expr("x - N")), undefined);
  for (const s of ["e.name", "curtask().comm", "args.filename"]) assert.equal(isString(scope, expr(s)), s !== "args.filename", s);
});

test("checking emits nothing and reports nothing", () => {
  const before = diags.items.length;
  for (const text of ["curtask().nope", "nope", "1.5", "BIG", "this.m.get(1).name"]) check(scope, expr(text));
  assert.equal(diags.items.length, before);
});
