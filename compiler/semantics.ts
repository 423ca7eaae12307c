// The integer semantics of the handler language, as plain functions on bigint.
// Constant folding uses them, and the differential tests use them as the reference that
// the kernel's results must match.
import type { IntType } from "../spec/layout.ts";

export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>" | ">>>";
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** The value `v` wrapped to `t`'s width and signedness. */
export function wrap(v: bigint, t: IntType): bigint {
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

/**
 * The type two operands are computed in: the wider width; unsigned unless both are signed,
 * or the signed one is strictly wider (it then holds every value of the unsigned one).
 */
export function commonType(a: IntType, b: IntType): IntType {
  const bits = Math.max(a.bits, b.bits) as IntType["bits"];
  let signed: boolean;
  if (a.signed === b.signed) signed = a.signed;
  else signed = a.signed ? a.bits > b.bits : b.bits > a.bits;
  return { kind: "int", bits, signed };
}

/** a op b in type t (both already wrapped to t). Division by zero gives 0, modulo by zero gives a (as the kernel does). */
export function evalBinary(op: BinaryOp, t: IntType, a: bigint, b: bigint): bigint {
  const mask = BigInt(t.bits - 1);
  switch (op) {
    case "+": return wrap(a + b, t);
    case "-": return wrap(a - b, t);
    case "*": return wrap(a * b, t);
    case "/": return b === 0n ? 0n : wrap(a / b, t); // bigint division truncates toward zero, like C
    case "%": return b === 0n ? a : wrap(a % b, t);
    case "&": return wrap(a & b, t);
    case "|": return wrap(a | b, t);
    case "^": return wrap(a ^ b, t);
    case "<<": return wrap(a << (BigInt.asUintN(64, b) & mask), t);
    case ">>": return wrap(a >> (BigInt.asUintN(64, b) & mask), t);
    case ">>>": return wrap(BigInt.asUintN(t.bits, a) >> (BigInt.asUintN(64, b) & mask), t);
  }
}

/** Comparisons are exact: they compare the mathematical values, whatever the types. */
export function evalCompare(op: CompareOp, a: bigint, b: bigint): boolean {
  switch (op) {
    case "==": return a === b;
    case "!=": return a !== b;
    case "<": return a < b;
    case "<=": return a <= b;
    case ">": return a > b;
    case ">=": return a >= b;
  }
}
