// Integer literals as the user wrote them: every digit kept (a number literal past 2^53 is not
// exact as a JavaScript number), and refused when it does not fit the 64 bits handlers compute
// with, instead of silently wrapping.
import { Code } from "../spec/diagnostics.ts";
import type { Node } from "./parse.ts";
import type { Lower } from "./lower/context.ts";

const LIMIT = 1n << 64n;
/** Integer spellings BigInt() reads exactly as the source means them. */
const EXACT = /^(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/;

/** The value of a NumericLiteral (an integer) or BigIntLiteral, or undefined when it is 2^64 or more. */
export function literalValue(e: Node): bigint | undefined {
  const raw: string = (e.extra?.raw ?? String(e.value)).replace(/_/g, "");
  const digits = e.type === "BigIntLiteral" ? raw.replace(/n$/, "") : raw;
  const value = EXACT.test(digits) ? BigInt(digits) : BigInt(e.value);
  return value < LIMIT ? value : undefined;
}

/** The value of a NumericLiteral (an integer) or BigIntLiteral, below 2^64; reported when larger. */
export function integerLiteral(l: Lower, e: Node): bigint {
  const value = literalValue(e);
  if (value === undefined) {
    const raw: string = (e.extra?.raw ?? String(e.value)).replace(/_/g, "");
    l.fail(e, Code.TypeMismatch, `${raw} does not fit in 64 bits: handlers compute with 64-bit integers, and the largest is 18446744073709551615 (0xffffffffffffffffn)`,
      "use a value below 2^64 (u64), or between -2^63 and 2^63 - 1 (i64)",
      ...(e.type === "BigIntLiteral" ? [] : ["a number literal this long is not exact in JavaScript either: write integers past 2^53 as BigInt literals (123n)"]));
  }
  return value;
}

/** Reports `e` if it is an integer literal too large (under casts, parentheses and a sign). */
export function checkLiteral(l: Lower, e: Node): void {
  while (e.type === "TSAsExpression" || e.type === "ParenthesizedExpression" || (e.type === "UnaryExpression" && e.operator === "-")) e = e.expression ?? e.argument;
  if (e.type === "BigIntLiteral" || (e.type === "NumericLiteral" && Number.isInteger(e.value))) integerLiteral(l, e);
}
