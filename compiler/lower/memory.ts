// Lowering values into memory: struct and tuple literals, strings, copies and zeroing, with
// accesses aligned as the verifier requires.
import { Code, didYouMean } from "../../spec/diagnostics.ts";
import type { Base, VReg } from "../ir.ts";
import { type Node, posOf } from "../parse.ts";
import { isScalar, sizeOf, type StructType, type Type, typeName } from "../../spec/layout.ts";
import { BUILTINS } from "../builtins.ts";
import { readInto } from "../kernel_access.ts";
import { describeValue, type Lower, type ScalarType, Unsupported, type Value } from "./context.ts";

/** Writes the value of `e` into memory of type `t` at base+off. */
export function into(l: Lower, e: Node, t: Type, base: Base, off: number): void {
  if (isScalar(t)) {
    const value = l.scalar(e);
    // A stack is an id in its stack map: kept as a plain integer it prints as that number.
    const stack = (value.type as { stack?: string }).stack;
    if (stack && !(t as { stack?: string }).stack) {
      const type = stack === "kernel" ? "KStack" : "UStack";
      l.fail(e, Code.TypeMismatch, `a ${stack} stack stored as ${typeName(t)} prints as its id, not its frames`, `declare it ${type} (new Count<${type}>(), a field of type ${type}) to store the stack`);
    }
    const v = l.convert(value, t as ScalarType, e);
    l.b.emit({ op: "store", base, off, size: sizeOf(t) as 1 | 2 | 4 | 8, value: v.op });
    return;
  }
  if (e.type === "ParenthesizedExpression") return l.into(e.expression, t, base, off);
  if (e.type === "ConditionalExpression") {
    // c ? "a" : comm() into a string (a struct): each arm writes the memory itself.
    const otherwise = l.b.label(), done = l.b.label();
    l.branch(e.test, false, otherwise);
    l.into(e.consequent, t, base, off);
    l.b.emit({ op: "jmp", target: done });
    l.b.place(otherwise);
    l.into(e.alternate, t, base, off);
    return l.b.place(done);
  }
  if (t.kind === "struct" && e.type === "ObjectExpression") return l.objectInto(e, t, base, off);
  if (t.kind === "struct" && t.tuple && e.type === "ArrayExpression") {
    if (e.elements.length !== t.fields.length) l.fail(e, Code.TypeMismatch, `${t.name} has ${t.fields.length} elements, got ${e.elements.length}`);
    e.elements.forEach((el: Node | null, i: number) => {
      if (!el || el.type === "SpreadElement") l.fail(el ?? e, Code.Unsupported, `each element of ${t.name} needs a value`);
      l.into(el, t.fields[i].type, base, off + t.fields[i].offset);
    });
    return;
  }
  if (l.isAggregateCall(e)) return BUILTINS[e.callee.name].aggregate!.into(l, e, t, base, off);
  const v = l.expr(e);
  if (v.kind === "string" && t.kind === "str") return l.stringInto(v.value, t.len, base, off, e);
  if (v.kind === "mem" && typeName(v.type) === typeName(t)) return l.copy(v, base, off);
  if (v.kind === "mem" && v.type.kind === "str" && t.kind === "str" && v.type.len < t.len) {
    // A shorter string into a longer one (a Str<16> local into a Str<64> field): its bytes, then NULs.
    l.copy(v, base, off);
    return l.zero(base, off + v.type.len, t.len - v.type.len);
  }
  if (v.kind === "mem" && v.type.kind === "str" && t.kind === "str") {
    // A longer string into a shorter one keeps what fits and its NUL, as str(p) read straight
    // into the same place does (a Str<256> local as a Count<Str<16>> key).
    l.copy({ ...v, type: { kind: "str", len: t.len - 1 } }, base, off);
    return l.zero(base, off + t.len - 1, 1);
  }
  if (v.kind === "kmem") return readInto(l, v, t, base, off, e);
  l.fail(e, Code.TypeMismatch, `expected ${typeName(t)} here, got ${describeValue(v)}`, ...(t.kind === "str" ? pointerHint(v, e) : []));
}

/** Where a string is wanted and `v` (of `e`) is a pointer (args.filename), the hint to read the string behind it. */
export function pointerHint(v: Value, e: Node): string[] {
  return v.kind === "scalar" && v.type.kind === "ptr" ? [`that is a pointer: read the string it points to with str(${dotted(e) ?? "..."})`] : [];
}

export function objectInto(l: Lower, e: Node, t: StructType, base: Base, off: number): void {
  const seen = new Set<string>();
  for (const p of e.properties) {
    if (p.type !== "ObjectProperty" || p.computed) l.fail(p, Code.Unsupported, `only plain "name: value" properties are supported`);
    const name = p.key.type === "Identifier" ? p.key.name : p.key.value;
    const f = t.fields.find((x) => x.name === name);
    if (!f) {
      l.diags.error(Code.UnknownField, posOf(p.key), `${t.name} has no field "${name}"`, ...didYouMean(name, t.fields.map((x) => x.name)));
      continue;
    }
    seen.add(name);
    l.b.loc = posOf(p);
    try {
      l.into(p.value, f.type, base, off + f.offset);
    } catch (err) {
      if (!(err instanceof Unsupported) || l.tooLarge) throw err;
    }
  }
  const missing = t.fields.filter((f) => !seen.has(f.name)).map((f) => f.name);
  if (missing.length) l.fail(e, Code.TypeMismatch, `${t.name} needs ${missing.map((m) => `"${m}"`).join(", ")}`, "every field of an event must be given a value");
}

export function stringInto(l: Lower, s: string, len: number, base: Base, off: number, e: Node): void {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length >= len) l.fail(e, Code.TypeMismatch, `"${s}" needs ${bytes.length + 1} bytes with its NUL; the field has ${len}`);
  const padded = new Uint8Array(len);
  padded.set(bytes);
  l.storeBytes(padded, base, off);
}

export function storeBytes(l: Lower, bytes: Uint8Array, base: Base, off: number): void {
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < bytes.length;) {
    const step = alignedStep(off + i, bytes.length - i, 4);
    const value = step === 4 ? v.getInt32(i, true) : step === 2 ? v.getInt16(i, true) : bytes[i];
    l.b.emit({ op: "store", base, off: off + i, size: step, value: BigInt(value) });
    i += step;
  }
}

export function zero(l: Lower, base: Base, off: number, size: number): void {
  l.storeBytes(new Uint8Array(size), base, off);
}

export function copy(l: Lower, v: Extract<Value, { kind: "mem" }>, base: Base, off: number): void {
  const size = sizeOf(v.type);
  for (let i = 0; i < size;) {
    const step = alignedStep((off + i) | (v.off + i), size - i, 8); // aligned for both sides
    l.b.emit({ op: "store", base, off: off + i, size: step, value: l.b.load(v.base, v.off + i, step) });
    i += step;
  }
}

/** The address base+off in a register. */
export function address(l: Lower, base: Base, off: number): VReg {
  if (base === "fp") return l.b.frame(off);
  return off === 0 ? base : l.b.alu("add", base, BigInt(off));
}

/** The widest access (at most `max` bytes) that is aligned at `offset` and fits in `left` bytes: the verifier refuses misaligned stack access. */
function alignedStep(offset: number, left: number, max: 8 | 4): 1 | 2 | 4 | 8 {
  for (const step of [8, 4, 2] as const) {
    if (step <= max && step <= left && offset % step === 0) return step;
  }
  return 1;
}

/** `args.filename` for a plain chain of names, else undefined. */
function dotted(e: Node): string | undefined {
  if (e.type === "Identifier") return e.name;
  if (e.type !== "MemberExpression" || e.computed || e.property.type !== "Identifier") return undefined;
  const object = dotted(e.object);
  return object && `${object}.${e.property.name}`;
}
