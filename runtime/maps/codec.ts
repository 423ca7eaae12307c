// Moving typed values between JavaScript and map memory: one encoder and one decoder per type,
// generated once (as code made only of fixed text and integers) so the per-record cost is a few
// property reads and DataView calls.
import type { StructType, Type } from "../../spec/layout.ts";
import { sizeOf } from "../../spec/layout.ts";
import { makeStack } from "./stacks.ts";
import { decodeCgroup, encodeCgroup } from "../cgroup.ts";
import { decodeKernelSymbol, encodeKernelSymbol } from "./kernel_symbol.ts";
import { decodeUserSymbol, userSymbolAddress, userSymbolPid } from "./user_symbol.ts";
import { decodeInet, encodeInet } from "./inet.ts";
import { NO_PROBE_NAMES, type ProbeNames } from "./probe_names.ts";
import { fitBigint, fitNumber } from "./fit.ts";
import { decodeBytes, encodeBytes } from "./byte_strings.ts";

export type Decoder<T> = (view: DataView, bytes: Uint8Array, offset: number) => T;
export type Encoder<T> = (value: T, view: DataView, bytes: Uint8Array, offset: number) => void;

/**
 * A NUL-terminated string of at most `len` bytes; ASCII without TextDecoder (the common case).
 * Bytes that are not UTF-8 stay distinct (byte_strings.ts): `encodeStr` writes them back.
 */
export function decodeStr(bytes: Uint8Array, start: number, len: number): string {
  let end = start;
  const limit = start + len;
  let ascii = true;
  while (end < limit && bytes[end] !== 0) {
    if (bytes[end] > 0x7f) ascii = false;
    end++;
  }
  return stringOf(bytes, start, end, ascii);
}

/** The string of bytes [start, end): `ascii` says none is above 0x7f. */
function stringOf(bytes: Uint8Array, start: number, end: number, ascii: boolean): string {
  if (!ascii) return decodeBytes(bytes.subarray(start, end));
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/**
 * decodeStr for one field of one decoder, remembering the last string it made: a field such as a
 * comm repeats from one record to the next, and an equal string is then returned without making
 * a new one (the bytes up to the NUL are compared; strings are values, so nobody can tell).
 */
export function lastStrDecoder(len: number): (bytes: Uint8Array, start: number) => string {
  // The last string's bytes, zero after its end; as long as records have held, not `len` (a
  // layout read from disk could give any length).
  let seen = new Uint8Array(16);
  let seenLength = -1;
  let seenString = "";
  const remember = (bytes: Uint8Array, start: number): string => {
    const limit = Math.min(len, bytes.length - start);
    if (seen.length < limit) seen = new Uint8Array(limit);
    let n = 0, ascii = true;
    for (; n < limit; n++) {
      const c = bytes[start + n];
      if (c === 0) break;
      if (c > 0x7f) ascii = false;
      seen[n] = c;
    }
    for (let j = n; j < seenLength; j++) seen[j] = 0;
    seenLength = n;
    return (seenString = stringOf(bytes, start, start + n, ascii));
  };
  return (bytes, start) => {
    let i = 0;
    for (; i < len; i++) {
      const c = bytes[start + i];
      if (c === 0) break;
      if (c !== seen[i]) return remember(bytes, start);
    }
    return i === seenLength ? seenString : remember(bytes, start);
  };
}

/** Writes `s` and a NUL into `len` bytes (truncating), zero-filling the rest. */
export function encodeStr(s: string, bytes: Uint8Array, start: number, len: number): void {
  const encoded = encodeBytes(s);
  const n = Math.min(encoded.length, len - 1);
  bytes.set(encoded.subarray(0, n), start);
  bytes.fill(0, start + n, start + len);
}

/**
 * Builds `(view, bytes, offset) => value` for a type; `names` decodes probe() values.
 *
 * The decoder is generated as code for speed (3-10x faster than composed closures, bench/NOTES.md),
 * but a layout may come from disk (the compile cache, a bundle), and nothing read from disk may
 * become code (docs/security.md). So the code is made only of fixed text and integers checked
 * as integers: field names are passed in an array (`k`) and read as computed keys, never pasted.
 */
export function makeDecoder<T>(t: Type, names: ProbeNames = NO_PROBE_NAMES): Decoder<T> {
  const keys: string[] = [];
  const strs: ((bytes: Uint8Array, start: number) => string)[] = [];
  const body = valueExpr(t, "o", keys, strs);
  const make = new Function("s", "makeStack", "decodeProbeName", "decodeCgroup", "decodeKernelSymbol", "decodeUserSymbol", "decodeInet", "k", `return (v, b, o) => (${body});`);
  return make(Object.freeze(strs), makeStack, names.decode, decodeCgroup, decodeKernelSymbol, decodeUserSymbol, decodeInet, Object.freeze(keys));
}

/**
 * Builds `(value, view, bytes, offset) => void` for a type; `names` encodes probe() values. An
 * integer that does not fit its field throws MapValueError naming the field from `root` (`key.x`).
 */
export function makeEncoder<T>(t: Type, names: ProbeNames = NO_PROBE_NAMES, root = "value"): Encoder<T> {
  const keys: string[] = [];
  const fields: string[] = [];
  const body = encodeStmts(t, "x", "o", keys, { fields, path: root });
  const make = new Function("encodeStr", "encodeProbeName", "encodeCgroup", "encodeKernelSymbol", "userSymbolAddress", "userSymbolPid", "encodeInet", "fitNumber", "fitBigint", "k", "p", `return (x, v, b, o) => { ${body} };`);
  return make(encodeStr, names.encode, encodeCgroup, encodeKernelSymbol, userSymbolAddress, userSymbolPid, encodeInet, fitNumber, fitBigint, Object.freeze(keys), Object.freeze(fields));
}

/** Where the encoder is in the value (`value.x[2]`), for errors; `fields` collects the paths. */
interface Where {
  fields: string[];
  path: string;
}

/** The position of the current path in `where.fields`, as an integer in code. */
function fieldAt(where: Where): string {
  where.fields.push(where.path);
  return int(where.fields.length - 1);
}

const RANGE: Record<string, [number, number]> = {
  "8u": [0, 0xff], "8s": [-0x80, 0x7f], "16u": [0, 0xffff], "16s": [-0x8000, 0x7fff],
  "32u": [0, 0xffffffff], "32s": [-0x80000000, 0x7fffffff],
};

export { sizeOf };

/** An integer as code text; anything else in a layout is refused before it can become code. */
function int(n: unknown): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`Bad type layout: ${typeof n} where an integer belongs`);
  return String(n);
}

/** The position of `name` in `keys`, as code that reads it (`k[3]`). */
function key(name: string, keys: string[]): string {
  if (typeof name !== "string") throw new TypeError("Bad type layout: a field name that is not a string");
  keys.push(name);
  return `k[${keys.length - 1}]`;
}

const GET: Record<string, string> = {
  "8u": "getUint8", "8s": "getInt8", "16u": "getUint16", "16s": "getInt16",
  "32u": "getUint32", "32s": "getInt32", "64u": "getBigUint64", "64s": "getBigInt64",
};
const SET: Record<string, string> = {
  "8u": "setUint8", "8s": "setInt8", "16u": "setUint16", "16s": "setInt16",
  "32u": "setUint32", "32s": "setInt32", "64u": "setBigUint64", "64s": "setBigInt64",
};

function method(table: Record<string, string>, bits: number, signed: boolean): string {
  const m = table[`${bits}${signed ? "s" : "u"}`];
  if (!m) throw new TypeError(`Bad type layout: an integer of ${int(bits)} bits`);
  return m;
}

/** One string field's decoder (lastStrDecoder) per place in the type: `s[2]`. */
type StrDecoders = ((bytes: Uint8Array, start: number) => string)[];

function fieldsExpr(t: StructType, base: string, keys: string[], strs: StrDecoders): string {
  if (t.tuple) return `[${t.fields.map((f) => valueExpr(f.type, `${base} + ${int(f.offset)}`, keys, strs)).join(", ")}]`;
  return `{ ${t.fields.map((f) => `[${key(f.name, keys)}]: ${valueExpr(f.type, `${base} + ${int(f.offset)}`, keys, strs)}`).join(", ")} }`;
}

function valueExpr(t: Type, at: string, keys: string[], strs: StrDecoders): string {
  switch (t.kind) {
    case "int": {
      if (t.stack) return `makeStack(${t.stack === "kernel" ? '"kernel"' : '"user"'}, v.getBigUint64(${at}, true))`;
      if (t.probeName) return `decodeProbeName(v.getBigUint64(${at}, true))`;
      if (t.cgroup) return `decodeCgroup(v.getBigUint64(${at}, true))`;
      if (t.ksym) return `decodeKernelSymbol(v.getBigUint64(${at}, true))`;
      const m = method(GET, t.bits, t.signed);
      return t.bits === 8 ? `v.${m}(${at})` : `v.${m}(${at}, true)`;
    }
    case "bool": return `v.getUint8(${at}) !== 0`;
    case "ptr": return `v.getBigUint64(${at}, true)`;
    case "str": {
      strs.push(lastStrDecoder(Number(int(t.len))));
      return `s[${int(strs.length - 1)}](b, ${at})`;
    }
    case "struct":
      if (t.usym) return `decodeUserSymbol(v.getBigUint64(${at}, true), v.getUint32((${at}) + 8, true))`;
      if (t.inet) return `decodeInet(b, ${at})`;
      return fieldsExpr(t, `(${at})`, keys, strs);
    case "array": {
      const size = sizeOf(t.elem);
      return `[${Array.from({ length: t.len }, (_, i) => valueExpr(t.elem, `${at} + ${int(i * size)}`, keys, strs)).join(", ")}]`;
    }
    case "void": return "undefined";
    default: throw new TypeError("Bad type layout: an unknown kind of type");
  }
}

function encodeStmts(t: Type, x: string, at: string, keys: string[], where: Where): string {
  switch (t.kind) {
    case "int": {
      if (t.probeName) return `v.setBigUint64(${at}, encodeProbeName(${x}), true);`;
      if (t.cgroup) return `v.setBigUint64(${at}, encodeCgroup(${x}), true);`;
      if (t.ksym) return `v.setBigUint64(${at}, encodeKernelSymbol(${x}), true);`;
      const m = method(SET, t.bits, t.signed);
      if (t.bits === 64) return `v.${m}(${at}, fitBigint(${x}, ${t.signed ? "true" : "false"}, p, ${fieldAt(where)}), true);`;
      const [lo, hi] = RANGE[`${t.bits}${t.signed ? "s" : "u"}`];
      const fitted = `fitNumber(${x}, ${int(lo)}, ${int(hi)}, p, ${fieldAt(where)})`;
      return t.bits === 8 ? `v.${m}(${at}, ${fitted});` : `v.${m}(${at}, ${fitted}, true);`;
    }
    case "bool": return `v.setUint8(${at}, ${x} ? 1 : 0);`;
    case "ptr": return `v.setBigUint64(${at}, fitBigint(${x}, false, p, ${fieldAt(where)}), true);`;
    case "str": return `encodeStr(String(${x}), b, ${at}, ${int(t.len)});`;
    case "struct": {
      const fill = `b.fill(0, ${at}, ${at} + ${int(t.size)});`; // padding is part of a key's identity
      if (t.usym) return `${fill} v.setBigUint64(${at}, userSymbolAddress(${x}), true); v.setUint32((${at}) + 8, userSymbolPid(${x}), true);`;
      if (t.inet) return `encodeInet(${x}, b, ${at}, p[${fieldAt(where)}]);`;
      return fill + t.fields.map((f, i) => {
        const inner = { fields: where.fields, path: t.tuple ? `${where.path}[${i}]` : `${where.path}.${f.name}` };
        return encodeStmts(f.type, t.tuple ? `${x}[${int(i)}]` : `${x}[${key(f.name, keys)}]`, `(${at}) + ${int(f.offset)}`, keys, inner);
      }).join(" ");
    }
    case "array": {
      const size = sizeOf(t.elem);
      return Array.from({ length: t.len }, (_, i) => encodeStmts(t.elem, `${x}[${int(i)}]`, `(${at}) + ${int(i * size)}`, keys, { fields: where.fields, path: `${where.path}[${i}]` })).join(" ");
    }
    case "void": return "";
    default: throw new TypeError("Bad type layout: an unknown kind of type");
  }
}
