// Turns an event's bytes into a JS object, with a decoder generated once per event type.
import type { StructType, Type } from "../compiler/types.ts";

export type Decoder<T> = (view: DataView, bytes: Uint8Array, offset: number) => T;

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

/** Builds `(view, bytes, offset) => ({ ...fields })` for a struct layout. */
export function makeDecoder<T>(t: StructType): Decoder<T> {
  const make = new Function("decodeStr", `return (v, b, o) => (${fieldsExpr(t, "o")});`);
  return make(decodeStr);
}

function fieldsExpr(t: StructType, base: string): string {
  return `{ ${t.fields.map((f) => `${JSON.stringify(f.name)}: ${valueExpr(f.type, `${base} + ${f.offset}`)}`).join(", ")} }`;
}

function valueExpr(t: Type, at: string): string {
  switch (t.kind) {
    case "int": {
      const method = t.bits === 64 ? (t.signed ? "getBigInt64" : "getBigUint64") : `get${t.signed ? "Int" : "Uint"}${t.bits}`;
      return t.bits === 8 ? `v.${method}(${at})` : `v.${method}(${at}, true)`;
    }
    case "bool": return `v.getUint8(${at}) !== 0`;
    case "ptr": return `v.getBigUint64(${at}, true)`;
    case "str": return `decodeStr(b, ${at}, ${t.len})`;
    case "struct": return fieldsExpr(t, `(${at})`);
    case "array": {
      const elem = t.elem;
      const size = elem.kind === "int" ? elem.bits / 8 : 1;
      return `[${Array.from({ length: t.len }, (_, i) => valueExpr(elem, `${at} + ${i * size}`)).join(", ")}]`;
    }
    case "void": return "undefined";
  }
}
