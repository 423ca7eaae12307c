// Moving typed values between JavaScript and map memory: one encoder and one decoder per type,
// generated once (as code) so the per-record cost is a few property reads and DataView calls.
import type { StructType, Type } from "../../compiler/types.ts";
import { sizeOf } from "../../compiler/types.ts";
import { makeStack } from "./stacks.ts";
import { NO_PROBE_NAMES, type ProbeNames } from "./probe_names.ts";

export type Decoder<T> = (view: DataView, bytes: Uint8Array, offset: number) => T;
export type Encoder<T> = (value: T, view: DataView, bytes: Uint8Array, offset: number) => void;

/** A NUL-terminated string of at most `len` bytes; ASCII without TextDecoder (the common case). */
export function decodeStr(bytes: Uint8Array, start: number, len: number): string {
  let end = start;
  const limit = start + len;
  let ascii = true;
  while (end < limit && bytes[end] !== 0) {
    if (bytes[end] > 0x7f) ascii = false;
    end++;
  }
  if (!ascii) return utf8.decode(bytes.subarray(start, end));
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** Writes `s` and a NUL into `len` bytes (truncating), zero-filling the rest. */
export function encodeStr(s: string, bytes: Uint8Array, start: number, len: number): void {
  const encoded = utf8Encoder.encode(s);
  const n = Math.min(encoded.length, len - 1);
  bytes.set(encoded.subarray(0, n), start);
  bytes.fill(0, start + n, start + len);
}

/** Builds `(view, bytes, offset) => value` for a type; `names` decodes probe() values. */
export function makeDecoder<T>(t: Type, names: ProbeNames = NO_PROBE_NAMES): Decoder<T> {
  const make = new Function("decodeStr", "makeStack", "decodeProbeName", `return (v, b, o) => (${valueExpr(t, "o")});`);
  return make(decodeStr, makeStack, names.decode);
}

/** Builds `(value, view, bytes, offset) => void` for a type; `names` encodes probe() values. */
export function makeEncoder<T>(t: Type, names: ProbeNames = NO_PROBE_NAMES): Encoder<T> {
  const make = new Function("encodeStr", "encodeProbeName", `return (x, v, b, o) => { ${encodeStmts(t, "x", "o")} };`);
  return make(encodeStr, names.encode);
}

export { sizeOf };

function fieldsExpr(t: StructType, base: string): string {
  if (t.tuple) return `[${t.fields.map((f) => valueExpr(f.type, `${base} + ${f.offset}`)).join(", ")}]`;
  return `{ ${t.fields.map((f) => `${JSON.stringify(f.name)}: ${valueExpr(f.type, `${base} + ${f.offset}`)}`).join(", ")} }`;
}

function valueExpr(t: Type, at: string): string {
  switch (t.kind) {
    case "int": {
      if (t.stack) return `makeStack("${t.stack}", v.getBigUint64(${at}, true))`;
      if (t.probeName) return `decodeProbeName(v.getBigUint64(${at}, true))`;
      const method = t.bits === 64 ? (t.signed ? "getBigInt64" : "getBigUint64") : `get${t.signed ? "Int" : "Uint"}${t.bits}`;
      return t.bits === 8 ? `v.${method}(${at})` : `v.${method}(${at}, true)`;
    }
    case "bool": return `v.getUint8(${at}) !== 0`;
    case "ptr": return `v.getBigUint64(${at}, true)`;
    case "str": return `decodeStr(b, ${at}, ${t.len})`;
    case "struct": return fieldsExpr(t, `(${at})`);
    case "array": {
      const size = sizeOf(t.elem);
      return `[${Array.from({ length: t.len }, (_, i) => valueExpr(t.elem, `${at} + ${i * size}`)).join(", ")}]`;
    }
    case "void": return "undefined";
  }
}

function encodeStmts(t: Type, x: string, at: string): string {
  switch (t.kind) {
    case "int": {
      if (t.probeName) return `v.setBigUint64(${at}, encodeProbeName(${x}), true);`;
      if (t.bits === 64) return `v.${t.signed ? "setBigInt64" : "setBigUint64"}(${at}, BigInt(${x}), true);`;
      const method = `set${t.signed ? "Int" : "Uint"}${t.bits}`;
      return t.bits === 8 ? `v.${method}(${at}, Number(${x}));` : `v.${method}(${at}, Number(${x}), true);`;
    }
    case "bool": return `v.setUint8(${at}, ${x} ? 1 : 0);`;
    case "ptr": return `v.setBigUint64(${at}, BigInt(${x}), true);`;
    case "str": return `encodeStr(String(${x}), b, ${at}, ${t.len});`;
    case "struct": {
      const fill = `b.fill(0, ${at}, ${at} + ${t.size});`; // padding is part of a key's identity
      return fill + t.fields.map((f) => encodeStmts(f.type, t.tuple ? `${x}[${f.name}]` : `${x}[${JSON.stringify(f.name)}]`, `(${at}) + ${f.offset}`)).join(" ");
    }
    case "array": {
      const size = sizeOf(t.elem);
      return Array.from({ length: t.len }, (_, i) => encodeStmts(t.elem, `${x}[${i}]`, `(${at}) + ${i * size}`)).join(" ");
    }
    case "void": return "";
  }
}
