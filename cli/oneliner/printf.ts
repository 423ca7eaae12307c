// printf for one-liners, formatted in user space from the values a handler sent: the
// conversions bpftrace users write (%d %i %u %x %X %o %s %c %%), with flags (- 0 + space),
// widths, precisions, and C's length modifiers (l, ll, h, hh, z, j, t) accepted and ignored.
import { UserFacingError } from "../../spec/user_facing.ts";

import { printable } from "../../runtime/output.ts";
import { Stack } from "../../runtime/maps/stacks.ts";

export type PrintfValue = number | bigint | string | boolean | Stack;

/** One piece of a parsed format: literal text, or a conversion taking the next value. */
export type FormatPart = string | { flags: string; width?: number; precision?: number; conversion: string };

const SPEC = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?(?:hh|h|ll|l|z|j|t)?([diuxXoscp%])/g;

export class PrintfFormatError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = "PrintfFormatError";
  }
}

export function parseFormat(format: string): FormatPart[] {
  const parts: FormatPart[] = [];
  let last = 0;
  for (const m of format.matchAll(SPEC)) {
    if (m.index! > last) parts.push(format.slice(last, m.index));
    if (m[4] === "%") parts.push("%");
    else parts.push({ flags: m[1], width: m[2] ? Number(m[2]) : undefined, precision: m[3] ? Number(m[3]) : undefined, conversion: m[4] });
    last = m.index! + m[0].length;
  }
  if (last < format.length) parts.push(format.slice(last));
  const stray = parts.find((p) => typeof p === "string" && p !== "%" && /%(?!%)/.test(p)) as string | undefined;
  if (stray) {
    const conversion = /%[-+ 0#]*\d*(?:\.\d*)?[a-zA-Z]?/.exec(stray)![0];
    const bpftrace = conversion.endsWith("r") ? "; bpftrace's %r prints a buf()'s bytes, which tsbpf does not read: print text with %s and str(p, N), or bytes one by one with %x" : "";
    throw new PrintfFormatError(`printf format has a conversion tsbpf does not know, "${conversion}" in ${JSON.stringify(format)}; use %d %u %x %o %s %c${bpftrace}`);
  }
  return parts;
}

/** How many values a format takes. */
export function conversionCount(parts: FormatPart[]): number {
  return parts.filter((p) => typeof p !== "string").length;
}

/** A value's conversion that would print something else than the value: %s of a number, %d of a string. */
export interface ConversionMismatch { index: number; message: string; hint: string }

/**
 * The first conversion whose value has the wrong kind, given the values' tsbpf types (u32,
 * Str<16>, ...; undefined when not known). bpftrace refuses these too: %s of an integer would
 * print its digits, %d of a string 0.
 */
export function conversionMismatch(parts: FormatPart[], types: (string | undefined)[]): ConversionMismatch | undefined {
  const conversions = parts.filter((p) => typeof p !== "string");
  for (const [index, spec] of conversions.entries()) {
    const type = types[index];
    if (type === undefined) continue;
    const integer = /^([iu](8|16|32|64)|bool)$/.test(type);
    if (spec.conversion === "s" && integer) {
      return { index, message: `%s needs a string, and value ${index + 1} is not one (its type: ${type})`, hint: "use %d (or %u, %x) for a number; str(p) reads the string a pointer points to" };
    }
    if ("diuxXop".includes(spec.conversion) && type.startsWith("Str<")) {
      return { index, message: `%${spec.conversion} needs a number, and value ${index + 1} is a string (${type})`, hint: "use %s for a string" };
    }
  }
  return undefined;
}

/**
 * A stack as printf's %s and print() show it, as bpftrace does: a line per frame indented by
 * eight spaces, after a newline (a map key's frames are indented by four: Stack.toString()).
 */
export function printedStack(stack: Stack): string {
  if (stack.failed || !stack.addresses.length) return "";
  return "\n" + stack.frames().map((f) => `        ${printable(f)}\n`).join("");
}

export function format(parts: FormatPart[], values: PrintfValue[]): string {
  let i = 0;
  return parts.map((p) => (typeof p === "string" ? p : convert(p, values[i++]))).join("");
}

function convert(spec: Exclude<FormatPart, string>, value: PrintfValue | undefined): string {
  let body: string;
  let sign = "";
  switch (spec.conversion) {
    // What a %s or %c prints comes from the kernel (a process or file name): shown printable().
    case "s":
      if (value instanceof Stack) {
        body = printedStack(value);
        break;
      }
      body = String(value ?? "");
      if (spec.precision !== undefined) body = body.slice(0, spec.precision);
      body = printable(body);
      break;
    case "c":
      body = printable(typeof value === "string" ? value.charAt(0) : String.fromCharCode(Number(value ?? 0)));
      break;
    default: {
      let n = toBigInt(value);
      if (spec.conversion === "d" || spec.conversion === "i") {
        if (n < 0n) (sign = "-", n = -n);
        else if (spec.flags.includes("+")) sign = "+";
        else if (spec.flags.includes(" ")) sign = " ";
      } else if (n < 0n) {
        n = BigInt.asUintN(64, n); // %u %x %o of a negative value: its 64-bit two's complement, as C
      }
      const radix = spec.conversion === "x" || spec.conversion === "X" || spec.conversion === "p" ? 16 : spec.conversion === "o" ? 8 : 10;
      body = n.toString(radix);
      if (spec.conversion === "X") body = body.toUpperCase();
      if (spec.precision !== undefined) body = body.padStart(spec.precision, "0");
      if (spec.conversion === "p" || (spec.flags.includes("#") && radix === 16 && n !== 0n)) body = `0x${body}`;
    }
  }
  const width = spec.width ?? 0;
  const len = sign.length + body.length;
  if (len >= width) return sign + body;
  if (spec.flags.includes("-")) return sign + body + " ".repeat(width - len);
  if (spec.flags.includes("0") && spec.conversion !== "s" && spec.conversion !== "c" && spec.precision === undefined) {
    return sign + "0".repeat(width - len) + body;
  }
  return " ".repeat(width - len) + sign + body;
}

function toBigInt(v: PrintfValue | undefined): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(Math.trunc(v));
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

/** conversionMismatch of a format that may not parse (checkFormat reports that one). */
export function conversionMismatchOf(format: string, types: (string | undefined)[]) {
  try {
    return conversionMismatch(parseFormat(format), types);
  } catch (e) {
    if (e instanceof PrintfFormatError) return undefined;
    throw e;
  }
}
