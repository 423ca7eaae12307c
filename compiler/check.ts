// The type checker: what an expression is (its type, and its value when that is known while
// compiling) from the source and the names in scope, without emitting code or reporting
// anything. Lowering asks it before it lowers: whether a loop's bounds are constants, whether
// the operand of a cast is a pointer, whether an operand of === is a string. An expression that
// would not compile has no type here (undefined): lowering then reports it, once, where it lowers
// it. One exception: the arguments of a call whose result does not depend on them (a function
// with a declared return type, a map method) are left to lowering to check.
// tests/unit/check_agrees.test.ts checks it against lowering on every expression of the corpora.
import type { Node } from "./parse.ts";
import type { ContextField } from "../spec/target.ts";
import type { MapField } from "./map_fields.ts";
import { bool, cgroupType, inetType, ksymType, usymType, i64, intType, type IntType, isScalar, kstackType, layoutStruct, probeNameType, type Type, u64, u8, ustackType } from "../spec/layout.ts";
import { type BinaryOp, commonType, evalBinary, wrap } from "./semantics.ts";
import { probeId } from "../spec/tracer_spec.ts";
import { literalValue } from "./literals.ts";
import { btfStruct, kernelScalarType, pointee } from "./kernel_access.ts";
import { MAP_METHODS } from "./map_ops.ts";
import { AGGREGATIONS } from "./map_fields.ts";
import type { Binding, HandlerInput, ScalarType, Value } from "./lower/context.ts";
import { ARITH_OPS, COMPARE_OPS, isStartsWith, isStringLiteral } from "./lower/operators.ts";

/** What an expression is: a Value without its registers, and with the value of a constant. */
export type Checked =
  | { kind: "scalar"; type: ScalarType; value?: bigint; literal?: boolean }
  | { kind: "mem"; type: Type }
  | { kind: "ctx" }
  | { kind: "map"; map: MapField }
  | { kind: "string"; value: string }
  | { kind: "ctxfield"; field: ContextField }
  | { kind: "kmem"; space: "user" | "kernel"; btfId: number }
  | { kind: "void" };
type Scalar = Extract<Checked, { kind: "scalar" }>;

/** The names in scope where the expression is: the handler's, or none (a module constant). */
export interface Scope {
  readonly input: HandlerInput;
  lookup(name: string): Binding | undefined;
  /** Module constants being resolved: one defined by itself is not a constant. */
  readonly resolvingConstants: Set<string>;
}

/** An expression's type and constness, or undefined when it would not compile. */
export function check(s: Scope, e: Node): Checked | undefined {
  switch (e.type) {
    case "ParenthesizedExpression": case "TSNonNullExpression": return check(s, e.expression);
    case "NumericLiteral": {
      if (!Number.isInteger(e.value)) return undefined;
      const value = literalValue(e);
      return value === undefined ? undefined : { kind: "scalar", type: i64, value, literal: true };
    }
    case "BigIntLiteral": {
      const value = literalValue(e);
      return value === undefined ? undefined : { kind: "scalar", type: u64, value, literal: true };
    }
    case "BooleanLiteral": return { kind: "scalar", type: bool, value: e.value ? 1n : 0n };
    case "StringLiteral": return { kind: "string", value: e.value };
    case "Identifier": return identifier(s, e.name);
    case "MemberExpression": return member(s, e);
    case "CallExpression": return call(s, e);
    case "BinaryExpression": {
      if (COMPARE_OPS.has(e.operator)) return boolean(s, e);
      if (!ARITH_OPS.has(e.operator)) return undefined;
      const a = intScalar(s, e.left), b = intScalar(s, e.right);
      return a && b ? arith(e.operator, a, b) : undefined;
    }
    case "LogicalExpression":
      if (e.operator === "??") return fieldOr(s, e);
      return boolean(s, e);
    case "UnaryExpression": return unary(s, e);
    case "ConditionalExpression": return conditional(s, e);
    case "AssignmentExpression": case "UpdateExpression": {
      const target = e.type === "AssignmentExpression" ? e.left : e.argument;
      const b = target.type === "Identifier" ? s.lookup(target.name) : undefined;
      return b?.kind === "scalar" && b.mutable && typeof b.op === "number" ? { kind: "scalar", type: b.type } : undefined;
    }
    case "TSAsExpression": case "TSTypeAssertion": return cast(s, e);
  }
  return undefined;
}

/** The value of `e` when it is a constant number. */
export function constantValue(s: Scope, e: Node): bigint | undefined {
  const c = check(s, e);
  return c?.kind === "scalar" ? c.value : undefined;
}

/** Whether `e` is a string a handler can compare: a Str, a string field of the probe's record, kernel memory. */
export function isString(s: Scope, e: Node): boolean {
  const c = check(s, e);
  return (c?.kind === "mem" && c.type.kind === "str") || (c?.kind === "ctxfield" && c.field.kind !== "ptr") || c?.kind === "kmem";
}

/** A Value lowering already has, as the checker describes it. */
export function checkedOf(v: Value): Checked {
  switch (v.kind) {
    case "scalar": return { kind: "scalar", type: v.type, value: typeof v.op === "bigint" ? v.op : undefined, literal: v.literal };
    case "mem": return { kind: "mem", type: v.type };
    case "kmem": return { kind: "kmem", space: v.space, btfId: v.btfId };
    default: return v;
  }
}

/** A top-level `const` of the script whose value is a constant number, typed like a local const. */
export function moduleConstant(s: Scope, name: string): Scalar | undefined {
  const init = s.input.constants.get(name);
  if (!init || s.resolvingConstants.has(name)) return undefined;
  s.resolvingConstants.add(name);
  try {
    const c = check({ input: s.input, lookup: () => undefined, resolvingConstants: s.resolvingConstants }, init);
    return c?.kind === "scalar" && c.value !== undefined ? { kind: "scalar", type: c.type, value: c.value } : undefined;
  } finally {
    s.resolvingConstants.delete(name);
  }
}

function identifier(s: Scope, name: string): Checked | undefined {
  const b = s.lookup(name);
  if (!b) return moduleConstant(s, name);
  switch (b.kind) {
    case "ctx": return { kind: "ctx" };
    case "alias": return checkedOf(b.value);
    case "arg": return contextField(s, b.field);
    case "poisoned": return undefined;
    case "mem": return { kind: "mem", type: b.type };
    case "scalar": return { kind: "scalar", type: b.type, value: typeof b.op === "bigint" ? b.op : undefined };
  }
}

function member(s: Scope, e: Node): Checked | undefined {
  if (e.computed) return index(s, e);
  const name: string = e.property.name;
  const { tracer, probe } = s.input;
  if (e.object.type === "ThisExpression") {
    if (tracer.params.has(name)) {
      const layout = layoutStruct("params", [...tracer.params].map(([n, type]) => ({ name: n, type })));
      return memValue(layout.fields.find((f) => f.name === name)!.type);
    }
    const map = tracer.maps.get(name);
    return map ? { kind: "map", map } : undefined;
  }
  const obj = check(s, e.object);
  if (obj?.kind === "ctx") {
    const field = probe.fields.find((f) => f.name === name);
    return field ? contextField(s, field) : undefined;
  }
  if (obj?.kind === "scalar" && obj.type.kind === "ptr") {
    const base = deref(s, obj);
    return base && kernelMember(s, base, name);
  }
  if (obj?.kind === "kmem") return kernelMember(s, obj, name);
  if (obj?.kind === "mem" && obj.type.kind === "struct") {
    const f = obj.type.fields.find((x) => x.name === name);
    return f && memValue(f.type);
  }
  return undefined;
}

function index(s: Scope, e: Node): Checked | undefined {
  const obj = check(s, e.object), i = scalar(s, e.property);
  if (!obj || !i) return undefined;
  if (obj.kind === "scalar" && obj.type.kind === "ptr" && obj.type.space !== "kernel" && obj.type.btfId === undefined && /\*[^*]*\*\s*$/.test(obj.type.cType)) {
    return { kind: "scalar", type: { kind: "ptr", space: "user", cType: obj.type.cType.replace(/\s*\*\s*$/, "").replace(/\s*const$/, "") } };
  }
  if (i.value === undefined) return undefined;
  const at = Number(i.value);
  const { probe, target } = s.input;
  if (obj.kind === "ctx" && probe.argArray) return at >= 0 && at < probe.argArray ? { kind: "scalar", type: u64 } : undefined;
  if (obj.kind === "ctxfield" && obj.field.kind === "array") {
    const count = Number(/\[(\d+)\]/.exec(obj.field.cType)?.[1] ?? obj.field.size);
    const elem = obj.field.size / count;
    return at >= 0 && at < count && [1, 2, 4, 8].includes(elem) ? { kind: "scalar", type: intType(elem * 8, obj.field.signed) } : undefined;
  }
  const base = obj.kind === "kmem" ? obj : obj.kind === "scalar" && obj.type.kind === "ptr" ? deref(s, obj) : undefined;
  if (!base) return undefined;
  const btf = target.btf();
  const t = btf.type(base.btfId);
  if (t.kind !== "array" || at < 0 || at >= t.nelems) return undefined;
  return kernelValue(s, { space: base.space, btfId: btf.resolve(t.elemType) }, t.elemType);
}

function call(s: Scope, e: Node): Checked | undefined {
  const callee = e.callee;
  if (isStartsWith(e)) return boolean(s, e);
  const { tracer, functions } = s.input;
  if (callee.type === "MemberExpression" && !callee.computed) {
    const method = callee.object.type === "ThisExpression" ? tracer.methods.get(callee.property.name) : undefined;
    if (method) return functionResult(s, method.returnType);
    const obj = check(s, callee.object);
    return obj?.kind === "map" ? mapMethod(s, obj.map, callee.property.name, e.arguments) : undefined;
  }
  if (callee.type !== "Identifier") return undefined;
  const fn = functions.get(callee.name);
  if (fn) return functionResult(s, fn.returnType);
  return builtin(s, callee.name, e);
}

/** A call of the script's own function: a number of its declared return type (one undeclared is not known here). */
function functionResult(s: Scope, returnType: Node | undefined): Checked | undefined {
  const t = returnType ? s.input.types.resolveQuietly(returnType) : undefined;
  return t && isScalar(t) ? { kind: "scalar", type: t as ScalarType } : undefined;
}

function mapMethod(s: Scope, map: MapField, method: string, args: Node[]): Checked | undefined {
  if (AGGREGATIONS.has(map.kind)) return method === "add" ? { kind: "void" } : undefined;
  if (!(MAP_METHODS[map.kind] ?? []).includes(method)) return undefined;
  const t = map.value!;
  switch (method) {
    case "get": return args.length === 1 && check(s, args[0]) ? memValue(t) : undefined;
    case "pop": case "peek": return args.length === 0 ? memValue(t) : undefined;
    case "has": case "push": return { kind: "scalar", type: bool };
    case "kstack": case "ustack": return args.length === 0 ? { kind: "scalar", type: method === "kstack" ? kstackType : ustackType } : undefined;
  }
  return { kind: "void" };
}

const BUILTIN_TYPES: Record<string, IntType> = { pid: intType(32, false), tid: intType(32, false), uid: intType(32, false), gid: intType(32, false), cpu: intType(32, false), ppid: intType(32, false), ktime: u64, cgroup: u64, kstack: kstackType, ustack: ustackType };

function builtin(s: Scope, name: string, e: Node): Checked | undefined {
  const args: Node[] = e.arguments;
  if (BUILTIN_TYPES[name]) return args.length ? undefined : { kind: "scalar", type: BUILTIN_TYPES[name] };
  switch (name) {
    case "probe": return args.length ? undefined : { kind: "scalar", type: probeNameType, value: s.input.probe.multi ? undefined : probeId(s.input.programIndex, 0) };
    case "cgroupName": {
      const id = args.length === 1 ? intScalar(s, args[0]) : undefined;
      return id && { kind: "scalar", type: cgroupType, value: id.value === undefined ? undefined : wrap(id.value, u64) };
    }
    case "ksym": {
      // an address: a number or a pointer (a tracepoint's void *function)
      const address = args.length === 1 ? scalar(s, args[0]) : undefined;
      if (!address || (address.type.kind !== "int" && address.type.kind !== "ptr")) return undefined;
      return { kind: "scalar", type: ksymType, value: address.value === undefined ? undefined : wrap(address.value, u64) };
    }
    case "usym": return args.length === 1 ? { kind: "mem", type: usymType } : undefined;
    case "ntop": return args.length === 1 || args.length === 2 ? { kind: "mem", type: inetType } : undefined;
    case "reg": return args.length === 1 && args[0].type === "StringLiteral" ? { kind: "scalar", type: u64 } : undefined;
    case "curtask": {
      if (args.length) return undefined;
      const [task] = s.input.target.btf().findByName("task_struct", "struct");
      return { kind: "scalar", type: { kind: "ptr", space: "kernel", cType: "struct task_struct *", btfId: task } };
    }
    case "user": case "kernel": {
      const v = args.length === 1 ? check(s, args[0]) : undefined;
      if (v?.kind !== "scalar" || v.type.kind === "bool") return undefined;
      const typeArgs: Node[] = e.typeArguments?.params ?? e.typeParameters?.params ?? [];
      if (!typeArgs.length) return { kind: "scalar", type: { kind: "ptr", space: name, cType: "void *" }, value: v.value };
      const ann = typeArgs[0];
      if (typeArgs.length > 1 || ann.type !== "TSTypeReference" || ann.typeName.type !== "Identifier") return undefined;
      const btf = s.input.target.btf();
      const id = btfStruct(btf, ann.typeName.name);
      return id === undefined ? undefined : { kind: "scalar", type: { kind: "ptr", space: name, cType: `${btf.typeName(id)} *`, btfId: id }, value: v.value };
    }
  }
  return undefined;
}

/** A condition's value (0 or 1, in a register), when it checks. */
function boolean(s: Scope, e: Node): Checked | undefined {
  return condition(s, e) ? { kind: "scalar", type: bool } : undefined;
}

/** Whether lowering can branch on `e` (as lower/conditions.ts branch() does). */
function condition(s: Scope, e: Node): boolean {
  if (e.type === "ParenthesizedExpression") return condition(s, e.expression);
  if (isStartsWith(e)) return stringOperand(s, e.callee.object);
  if (e.type === "UnaryExpression" && e.operator === "!") return condition(s, e.argument);
  if (e.type === "LogicalExpression" && (e.operator === "&&" || e.operator === "||")) return condition(s, e.left) && condition(s, e.right);
  if (e.type === "BinaryExpression" && COMPARE_OPS.has(e.operator)) {
    if (isStringLiteral(e.left) || isStringLiteral(e.right)) {
      return (e.operator === "===" || e.operator === "!==" || e.operator === "==" || e.operator === "!=") && stringOperand(s, isStringLiteral(e.left) ? e.right : e.left);
    }
    if (stringOperand(s, e.left) && stringOperand(s, e.right)) return EQUALITY.has(e.operator);
    return !!scalar(s, e.left) && !!scalar(s, e.right);
  }
  return !!scalar(s, e);
}

const EQUALITY = new Set(["===", "!==", "==", "!="]);

/** What lowering compares with a string literal (or with another string): comm() or str(...), or a string (isString). */
function stringOperand(s: Scope, e: Node): boolean {
  const aggregate = e.type === "CallExpression" && e.callee.type === "Identifier" && (e.callee.name === "comm" || e.callee.name === "str");
  return aggregate || ((e.type === "Identifier" || e.type === "MemberExpression") && isString(s, e));
}

function unary(s: Scope, e: Node): Checked | undefined {
  switch (e.operator) {
    case "-": {
      const v = scalar(s, e.argument);
      if (!v) return undefined;
      if (v.literal && v.value !== undefined) return { ...v, value: -v.value };
      const n = asInt(v);
      return n && arith("-", { kind: "scalar", type: n.type, value: 0n }, n);
    }
    case "~": {
      const v = intScalar(s, e.argument);
      return v && arith("^", v, { ...v, value: wrap(-1n, v.type) });
    }
    case "+": return check(s, e.argument);
    case "!": return boolean(s, e);
  }
  return undefined;
}

/** Literals take the type of the other operand (as lowering's unifyLiterals). */
function unify(a: Scalar, b: Scalar): [Scalar, Scalar] {
  if (a.literal && !b.literal && b.type.kind === "int") return [{ ...a, type: b.type, literal: false, value: wrap(a.value!, b.type) }, b];
  if (b.literal && !a.literal && a.type.kind === "int") return [a, { ...b, type: a.type, literal: false, value: wrap(b.value!, a.type) }];
  return [a, b];
}

/** As lowering's arith(): the operation's type, and its value when both operands are constants. */
function arith(op: BinaryOp, a0: Scalar, b0: Scalar): Scalar {
  const [a, b] = unify(a0, b0);
  const shift = op === "<<" || op === ">>" || op === ">>>";
  const t = shift ? (a.type as IntType) : commonType(a.type as IntType, b.type as IntType);
  const x = a.value === undefined ? undefined : wrap(a.value, t);
  const y = b.value === undefined ? undefined : shift ? b.value : wrap(b.value, t);
  if (x !== undefined && y !== undefined) return { kind: "scalar", type: t, value: evalBinary(op, t, x, shift ? BigInt.asUintN(64, y) : y), literal: !!(a0.literal && b0.literal) };
  // A division by the constant zero has the language's result (x / 0 is 0, x % 0 is x).
  if ((op === "/" || op === "%") && y === 0n) return { kind: "scalar", type: t, value: op === "/" ? 0n : x };
  return { kind: "scalar", type: t };
}

function conditional(s: Scope, e: Node): Checked | undefined {
  let a = scalar(s, e.consequent), b = scalar(s, e.alternate);
  if (!condition(s, e.test) || !a || !b) return undefined;
  // A bool beside an integer is the u8 0 or 1, as in arithmetic.
  if (a.type.kind === "bool" && b.type.kind === "int") a = { ...a, type: u8 };
  if (b.type.kind === "bool" && a.type.kind === "int") b = { ...b, type: u8 };
  const [ta, tb] = unify(a, b);
  return { kind: "scalar", type: ta.type.kind === "int" && tb.type.kind === "int" ? commonType(ta.type, tb.type) : ta.type };
}

function cast(s: Scope, e: Node): Checked | undefined {
  const ann = e.typeAnnotation;
  if (ann.type === "TSAnyKeyword" || ann.type === "TSUnknownKeyword") return check(s, e.expression);
  const kernel = kernelPointerCast(s, e);
  if (kernel) return kernel;
  const t = s.input.types.resolveQuietly(ann);
  const v = t && isScalar(t) ? scalar(s, e.expression) : undefined;
  return v && convert(v, t as ScalarType, true);
}

/** `p as task_struct`: a pointer to the kernel struct of that name, unless the script's own interface of the name is meant. */
export function kernelPointerCast(s: Scope, e: Node): Scalar | undefined {
  const ann = e.typeAnnotation;
  if (ann.type !== "TSTypeReference" || ann.typeName.type !== "Identifier") return undefined;
  const own = s.input.types.resolveQuietly(ann);
  if (own && own.kind !== "struct") return undefined;
  const btf = s.input.target.btf();
  const id = btfStruct(btf, ann.typeName.name);
  if (id === undefined) return undefined;
  const v = scalar(s, e.expression);
  if (own && v?.type.kind !== "ptr") return undefined;
  if (!v || v.type.kind === "bool") return undefined;
  const space = v.type.kind === "ptr" ? v.type.space : "either";
  return { kind: "scalar", type: { kind: "ptr", space, cType: `${btf.typeName(id)} *`, btfId: id }, value: v.value };
}

/** As lowering's convert(), without code: the converted type, and the value of a constant. */
function convert(v: Scalar, t: ScalarType, explicit: boolean): Scalar | undefined {
  if (t.kind === "ptr" || v.type.kind === "ptr") {
    return t.kind === v.type.kind || explicit || (t.kind === "int" && t.bits === 64) ? { kind: "scalar", type: t, value: v.value } : undefined;
  }
  if (t.kind === "bool") return { kind: "scalar", type: t, value: v.type.kind === "bool" || v.value === undefined ? v.value : v.value !== 0n ? 1n : 0n };
  return { kind: "scalar", type: t, value: v.value === undefined ? undefined : wrap(v.value, t) };
}

function fieldOr(s: Scope, e: Node): Checked | undefined {
  const left = e.left;
  if (left.type !== "MemberExpression" || left.computed) return undefined;
  const obj = check(s, left.object);
  const base = obj?.kind === "kmem" ? obj : obj?.kind === "scalar" && obj.type.kind === "ptr" ? deref(s, obj) : undefined;
  if (!base) return undefined;
  const btf = s.input.target.btf();
  const kind = btf.kindOf(base.btfId);
  if ((kind === "struct" || kind === "union") && !btf.member(base.btfId, left.property.name)) return check(s, e.right);
  return kernelMember(s, base, left.property.name);
}

type KernelMem = Extract<Checked, { kind: "kmem" }>;

function deref(s: Scope, ptr: Scalar): KernelMem | undefined {
  if (ptr.type.kind !== "ptr" || ptr.type.space === "either") return undefined;
  const btf = s.input.target.btf();
  const btfId = pointee(btf, ptr.type);
  if (btfId === undefined) return undefined;
  const id = btf.resolve(btfId);
  return btf.kindOf(id) === "void" ? undefined : { kind: "kmem", space: ptr.type.space, btfId: id };
}

function kernelMember(s: Scope, base: KernelMem, name: string): Checked | undefined {
  const btf = s.input.target.btf();
  const t = btf.type(base.btfId);
  const m = t.kind === "struct" || t.kind === "union" ? btf.member(base.btfId, name) : undefined;
  if (!m) return undefined;
  if (m.bitSize) {
    const type = kernelScalarType(btf, m.type);
    return { kind: "scalar", type: type?.kind === "int" ? type : intType(8, false) };
  }
  return kernelValue(s, { space: base.space, btfId: btf.resolve(m.type) }, m.type);
}

/** What reading kernel memory of type `typeId` gives: a number (read), or the memory itself (a struct, an array). */
function kernelValue(s: Scope, loc: Omit<KernelMem, "kind">, typeId: number): Checked {
  const btf = s.input.target.btf();
  return kernelScalarType(btf, typeId) ? { kind: "scalar", type: kernelScalarType(btf, typeId, loc.space)! } : { kind: "kmem", ...loc };
}

function contextField(s: Scope, f: ContextField): Checked | undefined {
  if (f.kind === "operand") {
    const o = f.operand!;
    const size = f.size;
    const value = o.deref || o.regs.length ? undefined : f.signed ? BigInt.asIntN(size * 8, o.disp) : BigInt.asUintN(size * 8, o.disp);
    if (o.pointer) return { kind: "scalar", type: { kind: "ptr", space: "user", cType: f.cType, ...(f.number && { number: f.number }) }, value };
    return { kind: "scalar", type: intType(size * 8, f.signed), value };
  }
  if (f.btfId !== undefined) {
    const t = kernelScalarType(s.input.target.btf(), f.btfId, f.space === "user" ? "user" : "kernel");
    if (!t) return undefined;
    if (t.kind !== "ptr") return { kind: "scalar", type: t };
    return { kind: "scalar", type: t.space === "kernel" && /\bchar \*$/.test(t.cType) ? { ...t, space: f.space } : t };
  }
  if (f.kind === "data_loc" || f.kind === "array") return { kind: "ctxfield", field: f };
  if (f.kind === "ptr") return { kind: "scalar", type: { kind: "ptr", space: f.space, cType: f.cType, ...(f.number && { number: f.number }) } };
  return { kind: "scalar", type: intType(f.size * 8, f.signed) };
}

/** A value in memory: a number is loaded (into a register), anything else stays where it is. */
function memValue(t: Type): Checked {
  return isScalar(t) ? { kind: "scalar", type: t as ScalarType } : { kind: "mem", type: t };
}

function scalar(s: Scope, e: Node): Scalar | undefined {
  const c = check(s, e);
  return c?.kind === "scalar" ? c : undefined;
}

function asInt(v: Scalar): (Scalar & { type: IntType }) | undefined {
  if (v.type.kind === "bool") return { ...v, type: u8 };
  if (v.type.kind === "ptr" && v.type.number) return { ...v, type: v.type.number };
  return v.type.kind === "int" ? v as Scalar & { type: IntType } : undefined;
}

function intScalar(s: Scope, e: Node): (Scalar & { type: IntType }) | undefined {
  const v = scalar(s, e);
  return v && asInt(v);
}
