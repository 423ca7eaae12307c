// Integers written from JavaScript into map keys and values: a number or bigint the field cannot
// hold is refused (a DataView setter would cut it to another key or value without a word).
// Only the JavaScript → kernel direction is checked; decoding what the kernel wrote needs nothing.
import { UserFacingError } from "../../spec/user_facing.ts";

/** A key or value written from JavaScript does not fit its field's type. */
export class MapValueError extends UserFacingError {
  /** `field` is where in the key or value (`key`, `value.x`), `allowed` what it takes. */
  constructor(readonly field: string, readonly value: unknown, readonly allowed: string, readonly map?: string) {
    super(`${map === undefined ? "" : `${map}: `}${field} must be ${allowed}, got ${show(value)}`);
    this.name = "MapValueError";
  }
}

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) return String(value);
  return typeof value;
}

/** `x` as a number for an integer field of `lo`..`hi` (at most 32 bits); `fields[at]` names the field. */
export function fitNumber(x: unknown, lo: number, hi: number, fields: readonly string[], at: number): number {
  if (typeof x === "number" && Number.isInteger(x) && x >= lo && x <= hi) return x;
  if (typeof x === "bigint" && x >= BigInt(lo) && x <= BigInt(hi)) return Number(x);
  if (typeof x === "boolean") return x ? 1 : 0;
  throw new MapValueError(fields[at], x, `an integer from ${lo} to ${hi}`);
}

const U64_MAX = (1n << 64n) - 1n, I64_MIN = -(1n << 63n), I64_MAX = (1n << 63n) - 1n;

/** `x` as a bigint for a 64-bit integer field; `fields[at]` names the field. */
export function fitBigint(x: unknown, signed: boolean, fields: readonly string[], at: number): bigint {
  const lo = signed ? I64_MIN : 0n, hi = signed ? I64_MAX : U64_MAX;
  let b: bigint | undefined;
  if (typeof x === "bigint") b = x;
  else if (typeof x === "number" && Number.isInteger(x)) b = BigInt(x);
  else if (typeof x === "boolean") b = x ? 1n : 0n;
  if (b !== undefined && b >= lo && b <= hi) return b;
  throw new MapValueError(fields[at], x, `an integer from ${lo} to ${hi}`);
}
