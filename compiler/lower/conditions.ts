// Lowering conditions: jumps on a condition's truth, comparisons of integers (exact across
// signedness) and of strings with literals, and a condition's value as 0 or 1.
import { Code } from "../../spec/diagnostics.ts";
import { isReg } from "../ir.ts";
import type { Node } from "../parse.ts";
import { bool, typeName, u64, u8 } from "../../spec/layout.ts";
import { type CompareOp, evalCompare } from "../semantics.ts";
import type { CondName } from "../../spec/bpf/isa.ts";
import { isStringLiteral, isStringValued, stringCompareBranch, stringsEqualBranch } from "../strings.ts";
import type { Lower, Value } from "./context.ts";
import { pointerHint } from "./memory.ts";
import { COMPARE_OPS, isStartsWith } from "./operators.ts";

/**
 * The `&&` or `||` whose value is being computed, per Lower: its operands that are integers
 * would be its value in JavaScript (`m.get(k) || 7n` is the map's value, or 7n), while a handler's
 * is 0 or 1 (docs/language.md), so such an operand is refused rather than silently tested.
 */
const keptLogical = new WeakMap<Lower, Node>();

/** The value (0 or 1) of `a && b` or `a || b`, refusing integer operands whose JavaScript value would be the operand. */
export function logicalValue(l: Lower, e: Node): Extract<Value, { kind: "scalar" }> {
  const outer = keptLogical.get(l);
  keptLogical.set(l, e);
  try {
    return materialize(l, e);
  } finally {
    if (outer) keptLogical.set(l, outer);
    else keptLogical.delete(l);
  }
}

/** Jumps to `label` when `e` is truthy (`when` = true) or falsy (`when` = false); otherwise falls through. */
export function branch(l: Lower, e: Node, when: boolean, label: number): void {
  if (e.type === "ParenthesizedExpression") return l.branch(e.expression, when, label);
  const kept = keptLogical.get(l);
  if (kept && !(e.type === "LogicalExpression" && (e.operator === "&&" || e.operator === "||"))) {
    // Below the kept && / ||: `!x`, a comparison, a call... each gives a bool there; only a leaf tested for truth is checked.
    keptLogical.delete(l);
    try {
      return branchOperand(l, e, when, label, kept);
    } finally {
      keptLogical.set(l, kept);
    }
  }
  return branchOperand(l, e, when, label, undefined);
}

/** Refuses `e` where a string is wanted; a pointer (args.filename) is told to be read with str(). */
function notString(l: Lower, e: Node, message: string): never {
  // Lowering e reports its own error first, if it has one (an unknown field): that one is meant.
  return l.fail(e, Code.TypeMismatch, message, ...pointerHint(l.expr(e), e));
}

function branchOperand(l: Lower, e: Node, when: boolean, label: number, kept: Node | undefined): void {
  if (isStartsWith(e)) {
    if (!isStringValued(l, e.callee.object)) notString(l, e.callee.object, `startsWith() needs a string (comm(), str(p), a Str field)`);
    return stringCompareBranch(l, e.callee.object, e.arguments[0], true, when, label);
  }
  if (e.type === "UnaryExpression" && e.operator === "!") return l.branch(e.argument, !when, label);
  if (e.type === "LogicalExpression" && (e.operator === "&&" || e.operator === "||")) {
    const and = e.operator === "&&";
    if (and !== when) {
      // && jumping when false, || jumping when true: either operand decides alone.
      l.branch(e.left, when, label);
      l.branch(e.right, when, label);
    } else {
      const skip = l.b.label();
      l.branch(e.left, !when, skip);
      l.branch(e.right, when, label);
      l.b.place(skip);
    }
    return;
  }
  if (e.type === "BinaryExpression" && COMPARE_OPS.has(e.operator)) {
    return l.compareBranch(e, when, label);
  }
  const v = l.scalar(e);
  if (kept && v.type.kind !== "bool") {
    l.fail(kept, Code.TypeMismatch, `${kept.operator} gives 0 or 1 in a handler, not one of its operands as in JavaScript (here ${typeName(v.type)})`,
      kept.operator === "||" ? "write the choice out with a ternary, which keeps the value: x !== 0n ? x : 7n" : "write the choice out with a ternary, which keeps the value: x === 0n ? x : y");
  }
  if (!isReg(v.op)) {
    if ((v.op !== 0n) === when) l.b.emit({ op: "jmp", target: label });
    return;
  }
  l.b.emit({ op: "br", cond: when ? "jne" : "jeq", a: v.op, b: 0n, target: label });
}

export function compareBranch(l: Lower, e: Node, when: boolean, label: number): void {
  const op = (e.operator === "===" ? "==" : e.operator === "!==" ? "!=" : e.operator) as CompareOp;
  const literalLeft = isStringLiteral(e.left), literalRight = isStringLiteral(e.right);
  if (literalLeft || literalRight) {
    if (op !== "==" && op !== "!=") l.fail(e, Code.TypeMismatch, `strings can only be compared with === and !==`);
    const other = literalLeft ? e.right : e.left;
    if (!isStringValued(l, other)) notString(l, other, `a string literal can only be compared with a string (comm(), str(p), a Str field)`);
    return stringCompareBranch(l, other, literalLeft ? e.left : e.right, false, op === "==" ? when : !when, label);
  }
  if (isStringValued(l, e.left) && isStringValued(l, e.right)) {
    if (op !== "==" && op !== "!=") l.fail(e, Code.TypeMismatch, `strings can only be compared with === and !==`);
    return stringsEqualBranch(l, e.left, e.right, op === "==" ? when : !when, label);
  }
  let a = l.scalar(e.left), b = l.scalar(e.right);
  if (a.type.kind === "ptr" || b.type.kind === "ptr") {
    if (op !== "==" && op !== "!=") l.fail(e, Code.TypeMismatch, `"${op}" compares numbers, not ${typeName(a.type.kind !== "int" ? a.type : b.type)}`);
  }
  // A bool compares as the number 0 or 1.
  if (a.type.kind === "bool") a = { ...a, type: u8 };
  if (b.type.kind === "bool") b = { ...b, type: u8 };
  [a, b] = l.unifyLiterals(a, b);
  if (!isReg(a.op) && !isReg(b.op)) {
    if (evalCompare(op, a.op, b.op) === when) l.b.emit({ op: "jmp", target: label });
    return;
  }
  const at = a.type.kind === "int" ? a.type : u64, bt = b.type.kind === "int" ? b.type : u64;
  const finalOp = when ? op : NEGATE[op];
  if (at.signed === bt.signed || (at.signed ? bt.bits < 64 : at.bits < 64)) {
    // Both values are exact in a 64-bit register of the same signedness, or both fit in i64.
    const signed = at.signed || bt.signed;
    l.b.emit({ op: "br", cond: condFor(finalOp, signed), a: a.op, b: b.op, target: label });
    return;
  }
  // A signed value against a u64: a negative signed value is below every u64.
  const signedIsLeft = at.signed;
  const s = signedIsLeft ? a.op : b.op;
  const negResult = evalCompare(finalOp, signedIsLeft ? -1n : 0n, signedIsLeft ? 0n : -1n);
  const skip = l.b.label();
  l.b.emit({ op: "br", cond: "jslt", a: s, b: 0n, target: negResult ? label : skip });
  l.b.emit({ op: "br", cond: condFor(finalOp, false), a: a.op, b: b.op, target: label });
  l.b.place(skip);
}

/** A condition's value as 0 or 1. */
export function materialize(l: Lower, e: Node): Extract<Value, { kind: "scalar" }> {
  return l.materializeCond((label) => l.branch(e, true, label));
}

export function materializeCond(l: Lower, branchTrue: (label: number) => void): Extract<Value, { kind: "scalar" }> {
  const r = l.b.mov(1n);
  const done = l.b.label();
  branchTrue(done);
  l.b.emit({ op: "mov", dst: r, src: 0n });
  l.b.place(done);
  return { kind: "scalar", type: bool, op: r };
}

const NEGATE: Record<CompareOp, CompareOp> = { "==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">" };

function condFor(op: CompareOp, signed: boolean): CondName {
  switch (op) {
    case "==": return "jeq";
    case "!=": return "jne";
    case "<": return signed ? "jslt" : "jlt";
    case "<=": return signed ? "jsle" : "jle";
    case ">": return signed ? "jsgt" : "jgt";
    case ">=": return signed ? "jsge" : "jge";
  }
}
