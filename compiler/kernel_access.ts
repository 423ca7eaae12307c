// Reading memory through BTF-typed pointers: `task.real_parent.tgid` becomes a chain of probe
// reads at the offsets the running kernel's BTF gives. A pointer knows its address space (see
// PtrType): kernel memory is read with bpf_probe_read_kernel, user memory (a system call's
// arguments, what a user pointer points to) with bpf_probe_read_user.
import type { Btf } from "../btf/reader.ts";
import { Code, didYouMean } from "../spec/diagnostics.ts";
import type { Node } from "./parse.ts";
import { describeValue, type Lower, type ScalarType, type Value } from "./lower/context.ts";
import { Helper } from "../spec/bpf/helpers.ts";
import { bool, intType, isScalar, type PtrType, sizeOf, type Type, typeName } from "../spec/layout.ts";
import type { Base } from "./ir.ts";
import { absentMemberFact, memberFact } from "./assumptions.ts";

/** Memory a pointer points to, not read yet: in the kernel, or in the current process (user). */
export type KernelMem = Extract<Value, { kind: "kmem" }>;
export type Space = KernelMem["space"];

/**
 * The handler-language type of a kernel scalar type, or undefined for structs, arrays, ...
 * A pointer found in user memory points to user memory; one in kernel memory to kernel
 * memory, unless BTF tags it `__user` (btf_type_tag("user"), kernels built with clang).
 */
export function kernelScalarType(btf: Btf, id: number, from: Space = "kernel"): ScalarType | undefined {
  const t = btf.type(btf.resolve(id));
  switch (t.kind) {
    case "int": return t.bool ? bool : intType(Math.min(8, t.size) * 8, t.signed);
    case "enum": case "enum64": return intType(t.size * 8, t.signed);
    case "ptr": return { kind: "ptr", space: from === "user" || userTagged(btf, t.type) ? "user" : "kernel", cType: btf.typeName(id), btfId: t.type };
  }
  return undefined;
}

/** Whether a pointer's target type carries the `user` type tag (`char __user *`: ptr → type_tag → const → char). */
function userTagged(btf: Btf, id: number): boolean {
  for (let depth = 0; depth < 8 && id; depth++) {
    const t = btf.type(id);
    if (t.kind === "type_tag" && t.name === "user") return true;
    if (t.kind !== "type_tag" && t.kind !== "const" && t.kind !== "volatile" && t.kind !== "restrict") return false;
    id = t.type;
  }
  return false;
}

/** A struct or union of the kernel's BTF, by name. */
export function btfStruct(btf: Btf, name: string): number | undefined {
  return btf.findByName(name, "struct")[0] ?? btf.findByName(name, "union")[0];
}

/** The BTF type a pointer points to: its own, or (a tracepoint field typed `struct sockaddr *` by its format file) the struct of that name. */
export function pointee(btf: Btf, t: PtrType): number | undefined {
  const named = /^(?:const\s+)?(?:struct|union)\s+(\w+)\s*\*$/.exec(t.cType.replace(/\b__user\b/g, "").replace(/\s+/g, " ").trim());
  return t.btfId ?? (named ? btfStruct(btf, named[1]) : undefined);
}

/** The memory a pointer points to, not read yet. */
export function deref(l: Lower, ptr: Extract<Value, { kind: "scalar" }>, e: Node): KernelMem {
  const t = ptr.type;
  if (t.kind !== "ptr") return l.fail(e, Code.TypeMismatch, `${describeValue(ptr)} is not a pointer, so it has no fields`);
  const btf = l.input.target.btf();
  const btfId = pointee(btf, t);
  if (btfId === undefined) return l.fail(e, Code.TypeMismatch, `this pointer's type is unknown (${t.cType}), so its fields cannot be read`, ...unknownTypeHints(t));
  if (t.space === "either") {
    const name = btf.typeName(btf.resolve(btfId)).replace(/^(struct|union) /, "");
    return l.fail(e, Code.TypeMismatch, `this pointer (${t.cType}) may point to user or kernel memory, so its fields cannot be read`,
      `say which: user<${name}>(p) for memory of the traced process (a system call's or user function's argument), kernel<${name}>(p) for the kernel's own`);
  }
  const id = btf.resolve(btfId);
  if (btf.kindOf(id) === "void") return l.fail(e, Code.TypeMismatch, `a void pointer has no fields`, `cast it to the struct it points to: ${t.space}<sockaddr_in>(p), say`);
  return { kind: "kmem", space: t.space, addr: ptr.op, off: 0, btfId: id };
}

function unknownTypeHints(t: PtrType): string[] {
  const hints = [`cast it to the kernel struct it points to: ${t.space === "either" ? "kernel" : t.space}<sockaddr_in>(p) (any struct or union of the kernel's BTF; \`tsbpf types\` writes them for the editor)`];
  if (/\bchar\s*\*/.test(t.cType)) hints.unshift("a char pointer is a string: read it with str(p)");
  return hints;
}

/**
 * `user<T>(p)` / `kernel<T>(p)`: the pointer or address p, seen as pointing to the kernel struct
 * T (by its BTF name) in that address space. Without T, a pointer str() can read.
 */
export function spaceCast(l: Lower, e: Node, space: Space): Extract<Value, { kind: "scalar" }> {
  const spelling = `${space}<sockaddr_in>(p)`;
  if (e.arguments.length !== 1) l.fail(e, Code.BadCall, `${space}() takes one pointer or address`, `write ${spelling}`);
  const v = l.expr(e.arguments[0]);
  if (v.kind !== "scalar" || v.type.kind === "bool") {
    return l.fail(e.arguments[0], Code.TypeMismatch, `${space}() needs a pointer or an address, got ${describeValue(v)}`, `write ${spelling}`);
  }
  const typeArgs: Node[] = e.typeArguments?.params ?? e.typeParameters?.params ?? [];
  if (!typeArgs.length) return { kind: "scalar", type: { kind: "ptr", space, cType: "void *" }, op: v.op };
  const ann = typeArgs[0];
  if (typeArgs.length > 1 || ann.type !== "TSTypeReference" || ann.typeName.type !== "Identifier") {
    return l.fail(ann, Code.UnknownType, `${space}<T>() takes the name of one kernel struct or union`, `write ${spelling}`);
  }
  const btf = l.input.target.btf();
  const id = btfStruct(btf, ann.typeName.name);
  if (id === undefined) {
    return l.fail(ann, Code.UnknownType, `the kernel's BTF has no struct or union "${ann.typeName.name}"`, "name a kernel struct as `tsbpf types` lists them, e.g. sockaddr_in, task_struct");
  }
  return { kind: "scalar", type: { kind: "ptr", space, cType: `${btf.typeName(id)} *`, btfId: id }, op: v.op };
}

/** `base.name` on kernel memory: another location, or the value read from it. */
export function kernelMember(l: Lower, base: KernelMem, name: string, e: Node): Value {
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
  const loc: KernelMem = { ...base, off: base.off + Math.floor(m.bitOffset / 8), btfId: btf.resolve(m.type) };
  if (m.bitSize) return readBitfield(l, loc, m.bitOffset % 8, m.bitSize, m.type);
  return kernelScalarType(btf, m.type) ? readKernel(l, loc, m.type) : loc;
}

/**
 * `base.name ?? other`: the field where this kernel's BTF has it, `other` where it does not (a
 * field renamed between kernels: `rq.nr_queued ?? rq.nr_running`). Decided when compiling, and
 * the absence recorded like an offset, so a bundle compiled here is compiled again where it differs.
 */
export function kernelFieldOr(l: Lower, e: Node): Value {
  const left = e.left;
  const hint = "?? picks a kernel struct's field where the running kernel has it, and the right side where not: write a.field ?? b.other";
  // Not a field: most likely JavaScript's idiom for a missing value (`this.m.get(k) ?? 0n`).
  const neverUndefined = "a map's get() gives 0 for a key that is absent, and helpers always give a value: drop the ?? and its right side";
  if (left.type !== "MemberExpression" || left.computed) return l.fail(e, Code.Unsupported, `?? needs a kernel struct's field on its left: a value in a handler is never null or undefined`, neverUndefined, hint);
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
export function kernelIndex(l: Lower, base: KernelMem, index: number, e: Node): Value {
  const btf = l.input.target.btf();
  const t = btf.type(base.btfId);
  if (t.kind !== "array") return l.fail(e, Code.TypeMismatch, `${btf.typeName(base.btfId)} is not an array`);
  if (index < 0 || index >= t.nelems) return l.fail(e, Code.TypeMismatch, `index ${index} is outside ${btf.typeName(base.btfId)}`);
  const loc: KernelMem = { ...base, off: base.off + index * btf.sizeOf(t.elemType), btfId: btf.resolve(t.elemType) };
  return kernelScalarType(btf, t.elemType) ? readKernel(l, loc, t.elemType) : loc;
}

/**
 * A struct or array of kernel or user memory copied whole into a value of the same size (an
 * event's `addr: [u32, u32, u32, u32]` from `sin6_addr.in6_u.u6_addr32`): one probe read, like memcpy.
 */
export function readInto(l: Lower, v: KernelMem, t: Type, base: Base, off: number, e: Node): void {
  const btf = l.input.target.btf();
  const size = btf.sizeOf(v.btfId);
  if (t.kind === "str") l.fail(e, Code.TypeMismatch, `expected ${typeName(t)} here, got ${btf.typeName(v.btfId)}`, "read a string with str(...)");
  if (isScalar(t) || size !== sizeOf(t)) {
    l.fail(e, Code.TypeMismatch, `expected ${typeName(t)} (${sizeOf(t)} bytes) here, got ${btf.typeName(v.btfId)} (${size} bytes) of ${v.space} memory`,
      "a struct or array is copied whole into a field of the same size");
  }
  l.b.emit({ op: "call", helper: readHelper(v.space), args: [l.address(base, off), BigInt(size), kernelAddress(l, v)] });
}

/** The address of a kernel location, in a register. */
export function kernelAddress(l: Lower, loc: KernelMem): number {
  return loc.off ? l.b.alu("add", loc.addr, BigInt(loc.off)) : l.b.mov(loc.addr);
}

/** The probe-read helper for memory in `space`. */
export function readHelper(space: Space): number {
  return space === "user" ? Helper.probe_read_user : Helper.probe_read_kernel;
}

/** The string-read helper for memory in `space` ("either": the one that takes both, on x86-64). */
export function readStrHelper(space: Space | "either"): number {
  return { user: Helper.probe_read_user_str, kernel: Helper.probe_read_kernel_str, either: Helper.probe_read_str }[space];
}

function scratch(l: Lower): number {
  l.kernelScratch ??= l.b.allocStack(8, 8);
  return l.kernelScratch;
}

function readKernel(l: Lower, loc: KernelMem, typeId: number): Value {
  const btf = l.input.target.btf();
  const type = kernelScalarType(btf, typeId, loc.space)!;
  const size = btf.sizeOf(btf.resolve(typeId)) as 1 | 2 | 4 | 8;
  const off = scratch(l);
  l.b.emit({ op: "call", helper: readHelper(loc.space), args: [l.b.frame(off), BigInt(size), kernelAddress(l, loc)] });
  const raw = l.b.load("fp", off, size);
  const op = type.kind === "int" && type.signed && type.bits < 64 ? l.signExtend(raw, type.bits) : raw;
  return { kind: "scalar", type, op };
}

function readBitfield(l: Lower, loc: KernelMem, shift: number, bits: number, typeId: number): Value {
  const off = scratch(l);
  const bytes = Math.ceil((shift + bits) / 8);
  l.b.emit({ op: "store", base: "fp", off, size: 8, value: 0n }); // the read fills only `bytes` of the slot
  l.b.emit({ op: "call", helper: readHelper(loc.space), args: [l.b.frame(off), BigInt(bytes), kernelAddress(l, loc)] });
  let v = l.b.load("fp", off, 8);
  v = l.b.alu("rsh", v, BigInt(shift));
  const type = kernelScalarType(l.input.target.btf(), typeId);
  const t = type?.kind === "int" ? type : intType(8, false);
  const masked = l.b.alu("and", v, (1n << BigInt(bits)) - 1n);
  return { kind: "scalar", type: t, op: t.signed ? l.signExtend(masked, bits) : masked };
}
