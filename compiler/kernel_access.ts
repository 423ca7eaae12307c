// Reading kernel memory through BTF-typed pointers: `task.real_parent.tgid` becomes a chain of
// bpf_probe_read_kernel calls at the offsets the running kernel's BTF gives.
import type { Btf } from "../btf/reader.ts";
import { Code, didYouMean } from "./diagnostics.ts";
import type { Node } from "./parse.ts";
import type { Lowering, ScalarType, Value } from "./lower.ts";
import { Helper } from "./builtins.ts";
import { bool, intType } from "./types.ts";
import { absentMemberFact, memberFact } from "./assumptions.ts";

export type KernelMem = Extract<Value, { kind: "kmem" }>;

/** The handler-language type of a kernel scalar type, or undefined for structs, arrays, ... */
export function kernelScalarType(btf: Btf, id: number): ScalarType | undefined {
  const t = btf.type(btf.resolve(id));
  switch (t.kind) {
    case "int": return t.bool ? bool : intType(Math.min(8, t.size) * 8, t.signed);
    case "enum": case "enum64": return intType(t.size * 8, t.signed);
    case "ptr": return { kind: "ptr", space: "kernel", cType: btf.typeName(id), btfId: t.type };
  }
  return undefined;
}

/** The memory a kernel pointer points to, not read yet. */
export function deref(l: Lowering, ptr: Extract<Value, { kind: "scalar" }>, e: Node): KernelMem {
  const t = ptr.type;
  if (t.kind !== "ptr" || t.btfId === undefined) return l.fail(e, Code.TypeMismatch, `this pointer's type is unknown, so its fields cannot be read`);
  if (t.space === "user") return l.fail(e, Code.TypeMismatch, `${t.cType} points to user memory`, "read user strings with str(p)");
  const btf = l.input.target.btf();
  const id = btf.resolve(t.btfId);
  if (btf.kindOf(id) === "void") return l.fail(e, Code.TypeMismatch, `a void pointer has no fields`, "cast it to a kernel type first");
  return { kind: "kmem", addr: ptr.op, off: 0, btfId: id };
}

/** `base.name` on kernel memory: another location, or the value read from it. */
export function kernelMember(l: Lowering, base: KernelMem, name: string, e: Node): Value {
  const btf = l.input.target.btf();
  const t = btf.type(base.btfId);
  if (t.kind !== "struct" && t.kind !== "union") {
    return l.fail(e, Code.UnknownField, `${btf.typeName(base.btfId)} has no fields`);
  }
  const m = btf.member(base.btfId, name);
  if (m) l.assume(memberFact(btf, base.btfId, name)!);
  if (!m) {
    return l.fail(e, Code.UnknownField, `${btf.typeName(base.btfId)} has no field "${name}"`, ...didYouMean(name, btf.memberNames(base.btfId)));
  }
  const loc: KernelMem = { kind: "kmem", addr: base.addr, off: base.off + Math.floor(m.bitOffset / 8), btfId: btf.resolve(m.type) };
  if (m.bitSize) return readBitfield(l, loc, m.bitOffset % 8, m.bitSize, m.type);
  return kernelScalarType(btf, m.type) ? readKernel(l, loc, m.type) : loc;
}

/**
 * `base.name ?? other`: the field where this kernel's BTF has it, `other` where it does not (a
 * field renamed between kernels: `rq.nr_queued ?? rq.nr_running`). Decided when compiling, and
 * the absence recorded like an offset, so a bundle compiled here is compiled again where it differs.
 */
export function kernelFieldOr(l: Lowering, e: Node): Value {
  const left = e.left;
  const hint = "?? picks a kernel struct's field where the running kernel has it, and the right side where not: write a.field ?? b.other";
  if (left.type !== "MemberExpression" || left.computed) return l.fail(e, Code.Unsupported, `?? needs a kernel struct's field on its left`, hint);
  const obj = l.expr(left.object);
  const base = obj.kind === "kmem" ? obj : obj.kind === "scalar" && obj.type.kind === "ptr" ? deref(l, obj, left.object) : undefined;
  if (!base) return l.fail(left, Code.Unsupported, `?? needs a kernel struct's field on its left, not a field of ${obj.kind === "ctx" ? "the probe's arguments" : "a value of the handler"}`, hint);
  const btf = l.input.target.btf();
  const kind = btf.kindOf(base.btfId);
  if ((kind === "struct" || kind === "union") && !btf.member(base.btfId, left.property.name)) {
    l.assume(absentMemberFact(btf, base.btfId, left.property.name));
    return l.expr(e.right);
  }
  return kernelMember(l, base, left.property.name, left.property);
}

/** `base[i]` on a kernel array, with a constant index. */
export function kernelIndex(l: Lowering, base: KernelMem, index: number, e: Node): Value {
  const btf = l.input.target.btf();
  const t = btf.type(base.btfId);
  if (t.kind !== "array") return l.fail(e, Code.TypeMismatch, `${btf.typeName(base.btfId)} is not an array`);
  if (index < 0 || index >= t.nelems) return l.fail(e, Code.TypeMismatch, `index ${index} is outside ${btf.typeName(base.btfId)}`);
  const loc: KernelMem = { kind: "kmem", addr: base.addr, off: base.off + index * btf.sizeOf(t.elemType), btfId: btf.resolve(t.elemType) };
  return kernelScalarType(btf, t.elemType) ? readKernel(l, loc, t.elemType) : loc;
}

/** The address of a kernel location, in a register. */
export function kernelAddress(l: Lowering, loc: KernelMem): number {
  return loc.off ? l.b.alu("add", loc.addr, BigInt(loc.off)) : l.b.mov(loc.addr);
}

function scratch(l: Lowering): number {
  l.kernelScratch ??= l.b.allocStack(8, 8);
  return l.kernelScratch;
}

function readKernel(l: Lowering, loc: KernelMem, typeId: number): Value {
  const btf = l.input.target.btf();
  const type = kernelScalarType(btf, typeId)!;
  const size = btf.sizeOf(btf.resolve(typeId)) as 1 | 2 | 4 | 8;
  const off = scratch(l);
  l.b.emit({ op: "call", helper: Helper.probe_read_kernel, args: [l.b.frame(off), BigInt(size), kernelAddress(l, loc)] });
  const raw = l.b.load("fp", off, size);
  const op = type.kind === "int" && type.signed && type.bits < 64 ? l.signExtend(raw, type.bits) : raw;
  return { kind: "scalar", type, op };
}

function readBitfield(l: Lowering, loc: KernelMem, shift: number, bits: number, typeId: number): Value {
  const off = scratch(l);
  const bytes = Math.ceil((shift + bits) / 8);
  l.b.emit({ op: "store", base: "fp", off, size: 8, value: 0n }); // the read fills only `bytes` of the slot
  l.b.emit({ op: "call", helper: Helper.probe_read_kernel, args: [l.b.frame(off), BigInt(bytes), kernelAddress(l, loc)] });
  let v = l.b.load("fp", off, 8);
  v = l.b.alu("rsh", v, BigInt(shift));
  const type = kernelScalarType(l.input.target.btf(), typeId);
  const t = type?.kind === "int" ? type : intType(8, false);
  const masked = l.b.alu("and", v, (1n << BigInt(bits)) - 1n);
  return { kind: "scalar", type: t, op: t.signed ? l.signExtend(masked, bits) : masked };
}
