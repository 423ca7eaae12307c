// Lowering expressions: names, members (maps, the probe's context, structs, kernel memory),
// indexing, casts, the conditional operator and assignments.
import { Code, didYouMean } from "../../spec/diagnostics.ts";
import { type Base, isReg, type VReg } from "../ir.ts";
import type { Node } from "../parse.ts";
import type { ContextField } from "../../spec/target.ts";
import { bool, intType, isScalar, i64, layoutStruct, type PtrType, sizeOf, type Type, u64, u8 } from "../../spec/layout.ts";
import { type BinaryOp, commonType, wrap } from "../semantics.ts";
import { BUILTINS } from "../builtins.ts";
import { Helper } from "../../spec/bpf/helpers.ts";
import { checkLiteral, integerLiteral } from "../literals.ts";
import { PARAMS_MAP } from "../../spec/tracer_spec.ts";
import { ProgType } from "../../spec/prog_type.ts";
import { btfStruct, deref, kernelFieldOr, kernelIndex, kernelMember, kernelScalarType } from "../kernel_access.ts";
import { operandValue } from "../operand.ts";
import { placedField } from "../syscall_fields.ts";
import { check, type Checked, moduleConstant as checkedConstant } from "../check.ts";
import { type Binding, describeValue, type Lower, type ScalarType, Unsupported, type Value } from "./context.ts";
import { ARITH_OPS } from "./operators.ts";
import { missingThis } from "./missing_this.ts";
import { logicalValue } from "./conditions.ts";

/** Helpers called without arguments, for the hint when one is named without its call. */
const NO_ARGUMENTS = new Set(["pid", "tid", "ppid", "uid", "gid", "comm", "ktime", "cpu", "curtask", "cgroup", "kstack", "ustack", "probe", "elapsed"]);

export function expr(l: Lower, e: Node): Value {
  switch (e.type) {
    case "ParenthesizedExpression": return l.expr(e.expression);
    case "TSNonNullExpression": return l.expr(e.expression);
    case "NumericLiteral": {
      if (!Number.isInteger(e.value)) l.fail(e, Code.TypeMismatch, `handlers compute with integers; ${e.value} is not one`);
      return { kind: "scalar", type: i64, op: integerLiteral(l, e), literal: true };
    }
    case "BigIntLiteral": return { kind: "scalar", type: u64, op: integerLiteral(l, e), literal: true };
    case "BooleanLiteral": return { kind: "scalar", type: bool, op: e.value ? 1n : 0n };
    case "StringLiteral": return { kind: "string", value: e.value };
    case "Identifier": return l.identifier(e);
    case "ThisExpression": l.fail(e, Code.Unsupported, `"this" alone has no value in a handler`, "use this.<map> to reach a map");
    // falls through (fail never returns)
    case "MemberExpression": return l.member(e);
    case "CallExpression": return l.call(e);
    case "BinaryExpression": return l.binary(e);
    case "LogicalExpression":
      if (e.operator === "??") return kernelFieldOr(l, e);
    // falls through: && and || are materialized below
    case "UnaryExpression":
      if (e.operator === "-" ) return l.negate(e);
      if (e.operator === "~") {
        const v = l.intScalar(e.argument);
        return l.arith("^", v, { ...v, op: wrap(-1n, v.type) }, e);
      }
      if (e.operator === "+") return l.expr(e.argument);
      if (e.operator === "&&" || e.operator === "||") return logicalValue(l, e);
      if (e.operator === "!") return l.materialize(e);
      break;
    case "ConditionalExpression": return l.conditional(e);
    case "AssignmentExpression": return l.assign(e);
    case "UpdateExpression": return l.update(e);
    case "TSAsExpression":
    case "TSTypeAssertion": {
      // `as any` / `as unknown`: TypeScript's business only.
      if (e.typeAnnotation.type === "TSAnyKeyword" || e.typeAnnotation.type === "TSUnknownKeyword") return l.expr(e.expression);
      const kernelCast = l.kernelPointerCast(e);
      if (kernelCast) return kernelCast;
      const t = l.input.types.resolve(e.typeAnnotation);
      if (!t) throw new Unsupported("type");
      const v = l.expr(e.expression);
      if (!isScalar(t)) l.fail(e, Code.TypeMismatch, `only casts to integer types are supported`);
      return l.convert(l.asScalar(v, e.expression), t as ScalarType, e, true);
    }
  }
  const hints: Record<string, string> = {
    ClassExpression: "declare classes outside the handler; handlers run in the kernel",
    ArrowFunctionExpression: "functions cannot be created in the kernel; declare a function outside the class",
    FunctionExpression: "functions cannot be created in the kernel; declare a function outside the class",
    AwaitExpression: "handlers run to completion in the kernel; they cannot await",
    TemplateLiteral: "format strings in user space, where the event arrives",
    ArrayExpression: "arrays are not supported in handlers yet",
    ObjectExpression: "an object literal can only be submitted to a map or assigned to a typed variable",
    NewExpression: "objects cannot be allocated in the kernel",
    Super: "in a handler super reaches only the methods of a base tracer class declared in this file (super.name()); read a map or parameter as this.name",
  };
  l.fail(e, Code.Unsupported, `${describeNode(e)} is not supported in a handler`, ...(hints[e.type] ? [hints[e.type]] : []));
}

const CLOCK_HINTS = [
  "for the time of an event use ktime(): nanoseconds since boot (CLOCK_MONOTONIC), a u64",
  "tsbpf has no wall-clock helper in handlers: submit ktime() in an event and turn it into a date in JavaScript, where the event arrives",
];

/** JavaScript globals a handler might reach for, and what it can use instead. */
const JS_GLOBALS: Record<string, string[]> = {
  Date: CLOCK_HINTS,
  performance: CLOCK_HINTS,
  Math: ["write the arithmetic with integer operators (+ - * / % << >> & | ^), or do it in JavaScript on the values the handler submits"],
  JSON: ["submit the values in an event (this.events.submit({ ... })) and format them in JavaScript"],
  process: ["for the traced task use pid(), tid(), uid(), comm() or curtask(); the tracer's own process is not visible from the kernel"],
  globalThis: ["a handler sees only its arguments, the tracer's maps and fields (this.x), and top-level constants"],
};

export function identifier(l: Lower, e: Node): Value {
  const b = l.lookup(e.name) ?? l.moduleConstant(e.name);
  if (!b) {
    if (e.name === "undefined" || e.name === "null") l.fail(e, Code.Unsupported, `${e.name} has no value in a handler`, "use 0: a map's get() is 0 where the key is absent in a handler (has() tells an absent key from a 0)");
    if (l.input.constants.has(e.name)) {
      l.fail(e, Code.NotConstant, `"${e.name}" is not a constant number, so handlers cannot use it`, "handlers run in the kernel: they see only top-level consts whose value is known when compiling, and the tracer's own integer fields (this.x)");
    }
    if (l.input.variables?.has(e.name)) {
      l.fail(e, Code.NotConstant, `"${e.name}" is a let or var of the script, so handlers cannot use it: they run in the kernel and see only top-level consts whose value is known when compiling`,
        "make it a const, or pass it in a field of the tracer (this.x)", "for state that handlers change, use a map field of the tracer (a Count, Sum or HashMap)");
    }
    if (e.name === "console") {
      l.fail(e, Code.Unsupported, `console cannot be used in a handler: it runs in the kernel, which has no console`,
        "send the values to JavaScript in an event (this.events.submit({ ... }) on a RingBuf field) and print them there",
        "in a one-liner (tsbpf -e), print(...) and printf(...) do that for you");
    }
    if (e.name === "cpid") {
      l.fail(e, Code.UnknownIdentifier, `"cpid" is bpftrace's pid of the command started with -c; tsbpf has no such name`,
        "with -c CMD, a tsbpf one-liner traces only CMD already: drop the test",
        "in a script, the pid of the -c command is cliOptions.pid (import { cliOptions } from \"tsbpf/cli\")");
    }
    const global = JS_GLOBALS[e.name];
    if (global) l.fail(e, Code.Unsupported, `${e.name} cannot be used in a handler: handlers run in the kernel, where JavaScript's globals do not exist`, ...global);
    // bpftrace's builtins are plain names (comm, pid, retval, arg0); tsbpf's are calls and parameters.
    if (Object.hasOwn(BUILTINS, e.name)) {
      l.fail(e, Code.UnknownIdentifier, `"${e.name}" is a function in a handler: call it, ${e.name}(${NO_ARGUMENTS.has(e.name) ? "" : "..."})`,
        "bpftrace's builtins are plain names (comm, pid); tsbpf's helpers are calls (comm(), pid())");
    }
    if (e.name === "retval" || e.name === "args" || /^s?arg\d+$/.test(e.name)) {
      l.fail(e, Code.UnknownIdentifier, `unknown name "${e.name}": in tsbpf, ${e.name === "retval" ? "the return value is the handler's parameter" : "the arguments are the handler's parameters"}`,
        e.name === "retval" ? "a one-liner names it in the arrow, kretprobe(\"vfs_read\", ret => ...); a script's @kretprobe method takes it as its parameter, onReturn(ret: i64)"
          : "a one-liner names them in the arrow, kprobe(\"vfs_read\", (file, buf, count) => ...); a script's method takes them, onRead(file, buf, count); a tracepoint's are its parameter's fields (args.filename)");
    }
    const member = missingThis(l, e.name);
    if (member) l.fail(e, Code.UnknownIdentifier, `unknown name "${e.name}"${member}`);
    const names = l.scopes.flatMap((s) => [...s.keys()]);
    l.fail(e, Code.UnknownIdentifier, `unknown name "${e.name}"`, ...didYouMean(e.name, [...names, ...Object.keys(BUILTINS)]));
  }
  if (b.kind === "ctx") return { kind: "ctx" };
  if (b.kind === "alias") return b.value;
  if (b.kind === "arg") return l.contextField(b.field);
  if (b.kind === "poisoned") throw new Unsupported(e.name);
  if (b.kind === "mem") return { kind: "mem", type: b.type, base: "fp", off: b.off };
  return { kind: "scalar", type: b.type, op: b.op };
}

export function member(l: Lower, e: Node): Value {
  if (e.computed) return l.index(e);
  const name: string = e.property.name;
  if (e.object.type === "ThisExpression") {
    if (l.input.tracer.params.has(name)) return l.param(name);
    const map = l.input.tracer.maps.get(name);
    // Its declaration's error is the one to read: this use would only repeat it.
    if (!map && l.input.tracer.refusedMaps.has(name)) throw new Unsupported(name);
    if (!map) l.fail(e.property, Code.UnknownField, `"${name}" is not a map of ${l.input.tracer.name}`,
      ...didYouMean(name, l.input.tracer.maps.keys()), "only maps declared as fields (counts = new HashMap<u32, u64>()) can be used in handlers");
    return { kind: "map", map };
  }
  const obj = l.expr(e.object);
  if (obj.kind === "ctx") {
    const field = l.input.probe.fields.find((f) => f.name === name);
    if (!field) l.fail(e.property, Code.UnknownField, `${l.input.probe.describe} has no field "${name}"`,
      ...didYouMean(name, l.input.probe.fields.map((f) => f.name)),
      // A syscall wildcard's arguments (hundreds of names) are each syscall's: not listed.
      `its fields are: ${l.input.probe.fields.filter((f) => !f.name.startsWith("common_") && !f.places).map((f) => f.name).join(", ")}${l.input.probe.fields.some((f) => f.places) ? ", and the arguments of each syscall" : ""}`,
      ...someMatchesHave(l.input.probe.matchesWith?.(name) ?? [], name, !!l.input.probe.syscalls));
    // The kernel lets a tracepoint program read its record from the 8th byte on (tp_prog_is_valid_access).
    if (l.input.probe.progType === ProgType.TRACEPOINT && field.offset < 8) {
      l.fail(e.property, Code.Unsupported, `${name} is in the record's common header, which the kernel does not let a tracepoint program read`, "pid() and tid() give the task's ids, comm() its name");
    }
    if (field.places) {
      return placedField(l, field, (f) => l.contextField(f)) ?? l.fail(e.property, Code.Unsupported,
        `${name} is an argument of only some of the syscalls of ${l.input.probe.describe}, or at another place in each: read it as ${fnParam(l)}.${name}`,
        "the handler then runs only in the syscalls that have it");
    }
    return l.contextField(field);
  }
  if (obj.kind === "scalar" && obj.type.kind === "ptr") return kernelMember(l, deref(l, obj, e.object), name, e.property);
  if (obj.kind === "kmem") return kernelMember(l, obj, name, e.property);
  if (obj.kind === "mem" && obj.type.kind === "struct") {
    const f = obj.type.fields.find((x) => x.name === name);
    if (!f) l.fail(e.property, Code.UnknownField, `${obj.type.name} has no field "${name}"`, ...didYouMean(name, obj.type.fields.map((x) => x.name)));
    return l.memValue(f.type, obj.base, obj.off + f.offset);
  }
  const address = obj.kind === "scalar" && obj.type.kind === "int" && obj.type.bits === 64;
  l.fail(e, Code.UnknownField, `"${name}" cannot be read from ${describeValue(obj)}`,
    ...(address ? ["an address held as a number: say what it points to and where, kernel<task_struct>(x) or user<sockaddr_in>(x)"] : []));
}

/** A top-level `const` of the script whose value is a constant number. */
export function moduleConstant(l: Lower, name: string): Binding | undefined {
  const init = l.input.constants.get(name);
  if (!init || l.resolvingConstants.has(name)) return undefined;
  // Like a local const: the value's type (i64 for a plain number), folded into every use.
  checkLiteral(l, init); // a literal too large is reported at its definition, not as "not a constant"
  const c = checkedConstant(l, name);
  return c && { kind: "scalar", type: c.type, op: c.value!, mutable: false, name };
}

/** A tracer's integer field: a load from the frozen parameter map, which the verifier knows as a constant. */
export function param(l: Lower, name: string): Value {
  const layout = layoutStruct("params", [...l.input.tracer.params].map(([n, type]) => ({ name: n, type })));
  const f = layout.fields.find((x) => x.name === name)!;
  const addr = l.b.reg();
  l.b.emit({ op: "map", dst: addr, map: PARAMS_MAP, valueOffset: f.offset });
  return l.memValue(f.type, addr, 0);
}

/** `p as tcp_sock`: a pointer (or address) seen as pointing to another kernel struct, found in BTF by name. */
export function kernelPointerCast(l: Lower, e: Node): Value | undefined {
  const ann = e.typeAnnotation;
  if (ann.type !== "TSTypeReference" || ann.typeName.type !== "Identifier") return undefined;
  // An interface of the script named like the kernel struct (declared for the editor) still means the kernel's.
  const own = l.input.types.resolveQuietly(ann);
  if (own && own.kind !== "struct") return undefined;
  const name: string = ann.typeName.name;
  const btf = l.input.target.btf();
  const id = btfStruct(btf, name);
  if (id === undefined || (own && !isPointer(check(l, e.expression)))) return undefined;
  const v = l.scalar(e.expression);
  if (v.type.kind === "bool") l.fail(e, Code.TypeMismatch, `a bool cannot point to ${name}`);
  // A cast keeps the pointer's address space; an integer has none (user<T>(x)/kernel<T>(x) give one).
  const space = v.type.kind === "ptr" ? v.type.space : "either";
  return { kind: "scalar", type: { kind: "ptr", space, cType: `${btf.typeName(id)} *`, btfId: id }, op: v.op };
}

/** `x[i]` with a constant index: a raw tracepoint's arguments, or a kernel array. */
export function index(l: Lower, e: Node): Value {
  const obj = l.expr(e.object);
  const i = l.scalar(e.property);
  if (obj.kind === "scalar" && isUserPointerArray(obj.type)) return l.userPointerAt(obj, i);
  if (isReg(i.op)) l.fail(e.property, Code.NotConstant, `the index must be a constant here`);
  const index = Number(i.op);
  if (obj.kind === "ctx" && l.input.probe.argArray) {
    if (index < 0 || index >= l.input.probe.argArray) l.fail(e.property, Code.TypeMismatch, `${l.input.probe.describe} has arguments 0 to ${l.input.probe.argArray - 1}`);
    return { kind: "scalar", type: u64, op: l.b.load(l.ctx, index * 8, 8) };
  }
  if (obj.kind === "ctxfield" && obj.field.kind === "array") {
    // An inline array of the tracepoint record, e.g. `__u8 saddr[4]`.
    const count = Number(/\[(\d+)\]/.exec(obj.field.cType)?.[1] ?? obj.field.size);
    const elem = obj.field.size / count;
    if (index < 0 || index >= count || ![1, 2, 4, 8].includes(elem)) l.fail(e.property, Code.TypeMismatch, `${obj.field.name} has elements 0 to ${count - 1}`);
    const raw = l.b.load(l.ctx, obj.field.offset + index * elem, elem as 1 | 2 | 4 | 8);
    const t = intType(elem * 8, obj.field.signed);
    return { kind: "scalar", type: t, op: t.signed && elem < 8 ? l.signExtend(raw, elem * 8) : raw };
  }
  if (obj.kind === "scalar" && obj.type.kind === "ptr") return kernelIndex(l, deref(l, obj, e.object), index, e);
  if (obj.kind === "kmem") return kernelIndex(l, obj, index, e);
  l.fail(e, Code.Unsupported, `${describeValue(obj)} cannot be indexed`);
}

/**
 * `argv[i]` on a user-space array of pointers (`const char *const *argv`): the i-th pointer,
 * read with bpf_probe_read_user, 0 where it cannot be read. Any index: the helper checks the address.
 */
export function userPointerAt(l: Lower, array: Extract<Value, { kind: "scalar" }>, i: Extract<Value, { kind: "scalar" }>): Value {
  const t = array.type as PtrType;
  const index = l.convert(i, u64, l.input.node).op;
  const addr = typeof index === "bigint" ? l.b.alu("add", array.op, index * 8n) : l.b.alu("add", array.op, l.b.alu("lsh", index, 3n));
  const slot = l.b.allocStack(8, 8);
  l.b.emit({ op: "store", base: "fp", off: slot, size: 8, value: 0n });
  l.b.emit({ op: "call", helper: Helper.probe_read_user, args: [l.b.frame(slot), 8n, addr] });
  const elem = t.cType.replace(/\s*\*\s*$/, "").replace(/\s*const$/, "");
  return { kind: "scalar", type: { kind: "ptr", space: "user", cType: elem }, op: l.b.load("fp", slot, 8) };
}

export function contextField(l: Lower, f: ContextField): Value {
  if (f.kind === "operand") return operandValue(l, f);
  if (f.btfId !== undefined) {
    // A raw argument slot: a u64 holding the argument converted by the kernel.
    const raw = l.b.load(l.ctx, f.offset, 8);
    const t = kernelScalarType(l.input.target.btf(), f.btfId, f.space === "user" ? "user" : "kernel");
    if (!t) l.fail(l.input.node, Code.Unsupported, `argument "${f.name}" (${f.cType}) is passed by value and cannot be read`);
    if (t.kind === "int") return l.convert({ type: u64, op: raw }, t, l.input.node);
    // A char pointer argument not tagged __user may be a user-space string (a path, say): read it with the helper that takes either.
    return { kind: "scalar", type: t.kind === "ptr" && t.space === "kernel" && /\bchar \*$/.test(t.cType) ? { ...t, space: f.space } : t, op: raw };
  }
  if (f.kind === "data_loc" || f.kind === "array") return { kind: "ctxfield", field: f };
  const size = f.size as 1 | 2 | 4 | 8;
  const raw = l.b.load(l.ctx, f.offset, size);
  if (f.kind === "ptr") return { kind: "scalar", type: { kind: "ptr", space: f.space, cType: f.cType, ...(f.number && { number: f.number }) }, op: raw };
  const t = intType(size * 8, f.signed);
  return { kind: "scalar", type: t, op: size < 8 && f.signed ? l.signExtend(raw, size * 8) : raw };
}

export function memValue(l: Lower, t: Type, base: Base, off: number): Value {
  if (!isScalar(t)) return { kind: "mem", type: t, base, off };
  const raw = l.b.load(base, off, sizeOf(t) as 1 | 2 | 4 | 8);
  if (t.kind === "int" && t.signed && t.bits < 64) return { kind: "scalar", type: t, op: l.signExtend(raw, t.bits) };
  return { kind: "scalar", type: t, op: raw };
}

/** `c ? a : b`: both arms converted to their common type, each in its own arm. */
export function conditional(l: Lower, e: Node): Value {
  // The common type needs both arms' types, known once both are lowered: the first arm's
  // conversion is then moved to the end of its code. (Trial-lowering each arm first, to learn
  // its type, took time exponential in the depth of nested conditionals.)
  const elseLabel = l.b.label(), done = l.b.label();
  const r = l.b.reg();
  l.branch(e.test, false, elseLabel);
  const valueA = l.scalar(e.consequent);
  const endOfA = l.b.code.length;
  l.b.emit({ op: "jmp", target: done });
  l.b.place(elseLabel);
  const valueB = l.scalar(e.alternate);
  const probe = (v: typeof valueA) => ({ type: v.type, op: isReg(v.op) ? 0 : v.op, literal: v.literal });
  let probeA = probe(valueA), probeB = probe(valueB);
  // A bool beside an integer is the u8 0 or 1, as in arithmetic (`c ? 300 : x < y` is a u8).
  if (probeA.type.kind === "bool" && probeB.type.kind === "int") probeA = { ...probeA, type: u8 };
  if (probeB.type.kind === "bool" && probeA.type.kind === "int") probeB = { ...probeB, type: u8 };
  const [ta, tb] = l.unifyLiterals(probeA, probeB);
  const t: ScalarType = ta.type.kind === "int" && tb.type.kind === "int" ? commonType(ta.type, tb.type) : ta.type;
  const move = (v: typeof valueA, node: Node) => {
    const typed = v.literal && t.kind === "int" ? { ...v, type: t, op: wrap(v.op as bigint, t), literal: false } : v;
    l.b.emit({ op: "mov", dst: r, src: t.kind === "int" ? l.convert(typed, t, node).op : typed.op });
  };
  move(valueB, e.alternate);
  const moveB = l.b.code.length;
  move(valueA, e.consequent);
  l.b.code.splice(endOfA, 0, ...l.b.code.splice(moveB));
  l.b.place(done);
  return { kind: "scalar", type: t, op: r };
}

export function assign(l: Lower, e: Node): Value {
  if (e.left.type !== "Identifier") notAVariable(l, e.left, "assigned");
  const b = l.lookup(e.left.name);
  if (!b) unassignable(l, e.left);
  if (b.kind === "mem" && b.mutable && e.operator === "=") {
    // let s = "a"; s = "b": a string (or struct) local is written in place, its type kept.
    const bytes = e.right.type === "StringLiteral" ? new TextEncoder().encode(e.right.value).length : 0;
    if (b.type.kind === "str" && bytes >= b.type.len) {
      l.fail(e.right, Code.TypeMismatch, `"${b.name}" holds a Str<${b.type.len}> (${b.type.len - 1} bytes and a NUL); this string needs ${bytes + 1}`,
        `declare it with room for the longest: let ${b.name}: Str<${bytes + 1}> = ...`);
    }
    // Zeroed first, as a declaration is: what the local held must not stay after a shorter string's NUL.
    if (e.right.type !== "StringLiteral") l.zero("fp", b.off, sizeOf(b.type));
    l.into(e.right, b.type, "fp", b.off);
    return { kind: "mem", type: b.type, base: "fp", off: b.off };
  }
  if (b.kind !== "scalar" || !b.mutable || !isReg(b.op)) l.fail(e.left, Code.TypeMismatch, `"${e.left.name}" cannot be assigned`, ...(b.kind === "mem" || b.kind === "scalar") && !b.mutable ? ["declare it with let"] : []);
  let v: Extract<Value, { kind: "scalar" }>;
  if (e.operator === "=") v = l.scalar(e.right);
  else {
    const op = e.operator.slice(0, -1) as BinaryOp;
    if (!ARITH_OPS.has(op)) l.fail(e, Code.Unsupported, `operator "${e.operator}" is not supported`);
    v = l.arith(op, { type: b.type, op: b.op }, l.intScalar(e.right), e);
  }
  const c = l.convert(v, b.type, e);
  l.b.emit({ op: "mov", dst: b.op as VReg, src: c.op });
  return { kind: "scalar", type: b.type, op: b.op };
}

export function update(l: Lower, e: Node): Value {
  if (e.argument.type !== "Identifier") notAVariable(l, e.argument, "incremented");
  const b = l.lookup(e.argument.name);
  if (!b) unassignable(l, e.argument);
  if (b.kind !== "scalar" || !b.mutable || !isReg(b.op)) l.fail(e.argument, Code.TypeMismatch, `"${e.argument.name}" cannot be assigned`, b.kind === "scalar" && !b.mutable ? "declare it with let" : "");
  const old = e.prefix ? undefined : l.b.mov(b.op);
  const v = l.arith(e.operator === "++" ? "+" : "-", { type: b.type, op: b.op }, { type: b.type, op: 1n }, e);
  l.b.emit({ op: "mov", dst: b.op as VReg, src: v.op });
  return { kind: "scalar", type: b.type, op: old ?? b.op };
}

const USE_A_MAP = "keep what handlers change in a map field of the tracer: count = new Count() with this.count.add(), or a Sum, HashMap or Array";

/** An assignment to something else than a name: a tracer field, a map entry, a struct field. */
function notAVariable(l: Lower, target: Node, what: string): never {
  const field = target.type === "MemberExpression" && !target.computed && target.object.type === "ThisExpression" ? target.property.name : undefined;
  if (field !== undefined && l.input.tracer.params.has(field)) {
    l.fail(target, Code.Unsupported, `this.${field} is a tracer field that JavaScript sets: handlers can read it but not change it`, USE_A_MAP);
  }
  l.fail(target, Code.Unsupported, `only local variables can be ${what} in a handler`, "a map's entries change with this.<map>.set(key, value) or .add(key)");
}

/** A name assigned in a handler that is not one of its locals: a script variable, or nothing. */
function unassignable(l: Lower, name: Node): never {
  if (l.input.constants.has(name.name) || l.input.variables?.has(name.name)) {
    l.fail(name, Code.TypeMismatch, `"${name.name}" is a variable of the script in user space: a handler runs in the kernel and cannot change it`,
      USE_A_MAP,
      "JavaScript reads it while or after the tracer runs (tracer.count.get())");
  }
  const member = missingThis(l, name.name);
  if (member) l.fail(name, Code.UnknownIdentifier, `unknown name "${name.name}"${member}`);
  l.fail(name, Code.UnknownIdentifier, `unknown name "${name.name}"`, ...didYouMean(name.name, l.scopes.flatMap((s) => [...s.keys()])));
}

function describeNode(e: Node): string {
  const names: Record<string, string> = {
    ClassExpression: "a class expression", ArrowFunctionExpression: "an arrow function", FunctionExpression: "a function expression",
    AwaitExpression: "await", TemplateLiteral: "a template string", ArrayExpression: "an array literal", ObjectExpression: "an object literal here",
    NewExpression: "new", NullLiteral: "null", RegExpLiteral: "a regular expression", SpreadElement: "spread", YieldExpression: "yield",
    SequenceExpression: "the comma operator", TaggedTemplateExpression: "a tagged template", OptionalMemberExpression: "optional chaining",
    OptionalCallExpression: "optional chaining", Super: "super",
  };
  return names[e.type] ?? `"${e.type}"`;
}

/** A pointer to pointers in user memory (`char **`, `const char *const *`): indexable, as `argv[i]`. */
function isUserPointerArray(t: ScalarType): t is PtrType {
  return t.kind === "ptr" && t.space !== "kernel" && t.btfId === undefined && /\*[^*]*\*\s*$/.test(t.cType);
}

/** Whether the checker says `c` is a pointer. */
function isPointer(c: Checked | undefined): boolean {
  return c?.kind === "scalar" && c.type.kind === "ptr";
}

/** Why a wildcard's handler cannot read a field some of its matches have, and what to write instead. */
function someMatchesHave(matches: string[], name: string, syscalls: boolean): string[] {
  if (!matches.length) return [];
  const shown = matches.slice(0, 3).join(", ") + (matches.length > 3 ? `, ... (${matches.length} in all)` : "");
  // A syscall wildcard reads an argument wherever it is, if it has one type in every syscall that has it.
  if (syscalls) return [`"${name}" is an argument of ${shown}, not of one type in all: give the syscalls of each type a handler of their own, e.g. @tracepoint("${matches[0]}")`];
  return [`a wildcard's handler reads only the fields all its matches have at one place with one type; "${name}" is a field of ${shown}: give each a handler of its own, e.g. @tracepoint("${matches[0]}")`];
}

/** The name of the handler's parameter (its record), for messages. */
function fnParam(l: Lower): string {
  const p = l.input.node.params?.[0];
  return p?.type === "Identifier" ? p.name : "args";
}
