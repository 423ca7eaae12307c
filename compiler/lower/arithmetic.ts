// Lowering arithmetic: integer operations with the language's types (compiler/semantics.ts),
// conversions between widths and signedness, and the register invariant each type keeps.
import { Code } from "../../spec/diagnostics.ts";
import { isReg, type Operand, type VReg } from "../ir.ts";
import type { Node } from "../parse.ts";
import { intType, type IntType, typeName } from "../../spec/layout.ts";
import { type BinaryOp, commonType, evalBinary, wrap } from "../semantics.ts";
import { describeValue, type Lower, type ScalarType, type Value } from "./context.ts";
import { ARITH_OPS, COMPARE_OPS } from "./operators.ts";

export function scalar(l: Lower, e: Node): Extract<Value, { kind: "scalar" }> {
  return l.asScalar(l.expr(e), e);
}

export function asScalar(l: Lower, v: Value, e: Node): Extract<Value, { kind: "scalar" }> {
  if (v.kind === "scalar") return v;
  if (v.kind === "kmem") {
    // A kernel struct's array or struct field (curtask().comm): say what it is and how to read it.
    const what = l.input.target.btf().typeName(v.btfId);
    const text = /^(const )?(unsigned |signed )?char ?\[/.test(what);
    l.fail(e, Code.TypeMismatch, `expected a number here, got ${what} of ${v.space} memory`,
      text ? "a char array holds a string: read it with str(...), e.g. str(curtask().comm)" : "read one of its fields, or copy it whole into an event field of the same size");
  }
  // A struct where a number goes is most often a map's get() tested for absence (`if (!s)`, `s === undefined`).
  const struct = v.kind === "mem" && v.type.kind === "struct" && !v.type.tuple ? v.type.name : undefined;
  l.fail(e, Code.TypeMismatch, `expected a number here, got ${describeValue(v)}`,
    ...(struct ? [`a map's get() gives a zeroed ${struct} where the key is absent in a handler, never undefined: test this.map.has(key) first, or one of its fields`] : []),
    ...(v.kind === "ctxfield" && v.field.kind === "array" ? [arrayFieldHint(v.field, e)] : []));
}

/** How to read an inline array field (a tracepoint's `__u8 saddr[4]`) where a number goes: an element, or an address's text. */
function arrayFieldHint(field: { name: string; size: number; cType: string }, e: Node): string {
  const text = e.type === "MemberExpression" && !e.computed && e.object.type === "Identifier" ? `${e.object.name}.${field.name}` : field.name;
  const address = /^(__u8|u8|unsigned char)\s*\[(4|16)\]$/.test(field.cType.trim());
  return `an array field: read an element (${text}[0])${address ? `, or an address as text with ntop(${text})` : ""}`;
}

export function intScalar(l: Lower, e: Node): Extract<Value, { kind: "scalar" }> & { type: IntType } {
  return l.asInt(l.scalar(e), e);
}

export function asInt(l: Lower, v: Extract<Value, { kind: "scalar" }>, e: Node): Extract<Value, { kind: "scalar" }> & { type: IntType } {
  if (v.type.kind === "bool") return { ...v, type: intType(8, false) } as never;
  if (v.type.kind === "ptr" && v.type.number) return { ...v, type: v.type.number } as never;
  if (v.type.kind === "ptr") {
    // A uprobe's registers and a uretprobe's value are addresses until the script says otherwise.
    l.fail(e, Code.TypeMismatch, `arithmetic needs numbers, got ${typeName(v.type)}`, "to use the value as a number, say so: declare the parameter `(x: u64)` (or i32, u32, ...), or write `x as u64`", "to read what it points to: str(x), or a struct field through it");
  }
  if (v.type.kind !== "int") l.fail(e, Code.TypeMismatch, `arithmetic needs numbers, got ${typeName(v.type)}`, "read the pointer with str() or a kernel read first");
  return v as never;
}

export function binary(l: Lower, e: Node): Value {
  if (COMPARE_OPS.has(e.operator)) return l.materialize(e);
  // `x + 1 + 1 + ...` nests to the left, one level per operator: lowered in a loop, so a long
  // chain costs no stack (the nesting budget, compiler/nesting.ts, allows 2000 of them).
  const chain: Node[] = [];
  for (let n = e; n.type === "BinaryExpression" && !COMPARE_OPS.has(n.operator); n = n.left) {
    if (!ARITH_OPS.has(n.operator)) l.fail(n, Code.Unsupported, `operator "${n.operator}" is not supported in a handler`);
    chain.push(n);
  }
  let value: Extract<Value, { kind: "scalar" }> = operand(l, chain[chain.length - 1], "left");
  for (let i = chain.length - 1; i >= 0; i--) value = l.arith(chain[i].operator as BinaryOp, value, operand(l, chain[i], "right"), chain[i]);
  return value;
}

const STRING_HELPERS = new Set(["comm", "str"]);

/** One side of an arithmetic operator; a string beside `+` is someone concatenating. */
function operand(l: Lower, e: Node, side: "left" | "right"): Extract<Value, { kind: "scalar" }> & { type: IntType } {
  // comm() and str() refuse to be values without a Str<N> destination: recognized by name first.
  const stringCall = e[side].type === "CallExpression" && e[side].callee.type === "Identifier" && STRING_HELPERS.has(e[side].callee.name);
  const v = e.operator === "+" && stringCall ? undefined : l.expr(e[side]);
  if (e.operator === "+" && (!v || v.kind === "string" || (v.kind === "mem" && v.type.kind === "str"))) {
    l.fail(e, Code.TypeMismatch, `strings cannot be concatenated in a handler: + adds numbers, and ${v ? describeValue(v) : `${e[side].callee.name}()`} is a string`,
      "submit the parts as separate fields of an event (this.events.submit({ name: comm(), ... })) and join them in JavaScript",
      "in a one-liner, printf(\"x%s\\n\", comm()) formats them");
  }
  return l.asInt(l.asScalar(v!, e[side]), e[side]);
}

/** Literals take the type of the other operand, so `x + 1` keeps x's type. */
export function unifyLiterals<A extends { type: ScalarType; op: Operand; literal?: boolean }>(_l: Lower, a: A, b: A): [A, A] {
  if (a.literal && !b.literal && b.type.kind === "int") return [{ ...a, type: b.type, literal: false, op: wrap(a.op as bigint, b.type) }, b];
  if (b.literal && !a.literal && a.type.kind === "int") return [a, { ...b, type: a.type, literal: false, op: wrap(b.op as bigint, a.type) }];
  return [a, b];
}

export function arith(l: Lower, op: BinaryOp, a0: { type: ScalarType; op: Operand; literal?: boolean }, b0: { type: ScalarType; op: Operand; literal?: boolean }, e: Node): Extract<Value, { kind: "scalar" }> {
  const [a, b] = l.unifyLiterals(a0, b0);
  const shift = op === "<<" || op === ">>" || op === ">>>";
  const t = shift ? (a.type as IntType) : commonType(a.type as IntType, b.type as IntType);
  const literal = !!(a0.literal && b0.literal);
  const x = l.convert(a, t, e), y = shift ? b : l.convert(b, t, e);
  if (!isReg(x.op) && !isReg(y.op)) {
    return { kind: "scalar", type: t, op: evalBinary(op, t, x.op, shift ? BigInt.asUintN(64, y.op as bigint) : y.op as bigint), literal };
  }
  if ((op === "/" || op === "%") && y.op === 0n) {
    // The verifier refuses a division by the constant zero; the language defines its result.
    return { kind: "scalar", type: t, op: op === "/" ? 0n : x.op };
  }
  let amount = y.op;
  if (shift) amount = isReg(amount) ? l.b.alu("and", amount, BigInt(t.bits - 1)) : BigInt.asUintN(64, amount) & BigInt(t.bits - 1);
  let r: Operand;
  switch (op) {
    case "+": r = l.b.alu("add", x.op, y.op); break;
    case "-": r = l.b.alu("sub", x.op, y.op); break;
    case "*": r = l.b.alu("mul", x.op, y.op); break;
    case "&": return { kind: "scalar", type: t, op: l.b.alu("and", x.op, y.op) };
    case "|": return { kind: "scalar", type: t, op: l.b.alu("or", x.op, y.op) };
    case "^": return { kind: "scalar", type: t, op: l.b.alu("xor", x.op, y.op) };
    case "<<": r = l.b.alu("lsh", x.op, amount); break;
    case ">>": return { kind: "scalar", type: t, op: l.b.alu(t.signed ? "arsh" : "rsh", x.op, amount) };
    case ">>>": {
      const u = t.signed && t.bits < 64 ? l.b.alu("and", x.op, (1n << BigInt(t.bits)) - 1n) : x.op;
      r = l.b.alu("rsh", u, amount);
      break;
    }
    case "/": case "%":
      r = t.signed ? l.signedDivide(op, x.op, y.op) : l.b.alu(op === "/" ? "div" : "mod", x.op, y.op);
      if (!t.signed) return { kind: "scalar", type: t, op: r };
      break;
  }
  return { kind: "scalar", type: t, op: l.normalize(r, t) };
}

/** Signed division from unsigned: divide the magnitudes, then restore the sign (BPF before v4 has no sdiv). */
export function signedDivide(l: Lower, op: "/" | "%", a: Operand, b: Operand): VReg {
  const sa = l.b.alu("arsh", a, 63n), sb = l.b.alu("arsh", b, 63n);
  const absA = l.b.alu("sub", l.b.alu("xor", a, sa), sa);
  const absB = l.b.alu("sub", l.b.alu("xor", b, sb), sb);
  const q = l.b.alu(op === "/" ? "div" : "mod", absA, absB);
  const sign = op === "/" ? l.b.alu("xor", sa, sb) : sa;
  return l.b.alu("sub", l.b.alu("xor", q, sign), sign);
}

export function negate(l: Lower, e: Node): Value {
  const s = l.asScalar(l.expr(e.argument), e.argument);
  if (s.literal && !isReg(s.op)) return { ...s, op: -(s.op as bigint) };
  const v = l.asInt(s, e.argument);
  return l.arith("-", { type: v.type, op: 0n }, v, e);
}

/** Converts a scalar to type `t`: wraps to t's width, sign- or zero-extending (like a C cast). */
export function convert(l: Lower, v: { type: ScalarType; op: Operand; literal?: boolean }, t: ScalarType, e: Node, explicit = false): Extract<Value, { kind: "scalar" }> {
  if (t.kind === "ptr" || v.type.kind === "ptr") {
    if (t.kind === v.type.kind || explicit || (t.kind === "int" && t.bits === 64)) return { kind: "scalar", type: t, op: v.op };
    l.fail(e, Code.TypeMismatch, `a pointer (${typeName(v.type)}) cannot be used as ${typeName(t)}`, "cast it explicitly: p as u64");
  }
  if (t.kind === "bool") {
    if (v.type.kind === "bool") return { kind: "scalar", type: t, op: v.op };
    if (!isReg(v.op)) return { kind: "scalar", type: t, op: v.op !== 0n ? 1n : 0n };
    return l.materializeCond((label) => l.b.emit({ op: "br", cond: "jne", a: v.op, b: 0n, target: label }));
  }
  if (!isReg(v.op)) return { kind: "scalar", type: t, op: wrap(v.op, t) };
  const from = v.type.kind === "bool" ? intType(8, false) : v.type;
  const same = from.bits === t.bits && from.signed === t.signed;
  // Widening keeps the exact value already in the register, unless a signed value becomes unsigned.
  const widening = from.bits < t.bits && !(from.signed && !t.signed);
  if (same || widening || t.bits === 64) return { kind: "scalar", type: t, op: v.op };
  return { kind: "scalar", type: t, op: l.normalize(v.op, t) };
}

/** Re-establishes the register invariant for `t`: zero-extended if unsigned, sign-extended if signed. */
export function normalize(l: Lower, op: Operand, t: IntType): Operand {
  if (!isReg(op)) return wrap(op, t);
  if (t.bits === 64) return op;
  if (t.signed) return l.signExtend(op, t.bits);
  if (t.bits === 32) return l.zext32(op);
  return l.b.alu("and", op, (1n << BigInt(t.bits)) - 1n);
}

export function zext32(l: Lower, op: VReg): VReg {
  return l.b.alu("rsh", l.b.alu("lsh", op, 32n), 32n);
}

export function signExtend(l: Lower, op: VReg, bits: number): VReg {
  const s = BigInt(64 - bits);
  return l.b.alu("arsh", l.b.alu("lsh", op, s), s);
}
