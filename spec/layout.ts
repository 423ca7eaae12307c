// The handler language's types and their memory layout (natural alignment, as C lays out structs).

export type IntBits = 8 | 16 | 32 | 64;
export interface IntType {
  kind: "int";
  bits: IntBits;
  signed: boolean;
  /** A captured stack (kstack()/ustack()): a u64 id into the tracer's stack-trace map, shown as frames. */
  stack?: "kernel" | "user";
  /** probe()'s value: a u64 id of the attached probe (spec.ts probeId), shown as its name. */
  probeName?: boolean;
  /** A cgroup id that JavaScript shows as the cgroup's path and container (cgroupName()). */
  cgroup?: boolean;
  /** A kernel address that JavaScript shows as the name of the function holding it (ksym()). */
  ksym?: boolean;
}
export interface BoolType {
  kind: "bool";
}
/** Str<N>: N bytes holding a NUL-terminated string. */
export interface StrType {
  kind: "str";
  len: number;
}
export interface ArrayType {
  kind: "array";
  elem: Type;
  len: number;
}
export interface StructField {
  name: string;
  type: Type;
  offset: number;
}
export interface StructType {
  kind: "struct";
  name: string;
  fields: StructField[];
  size: number;
  align: number;
  /** A tuple type ([u32, Str<16>]): fields are named "0", "1", ... and JS sees an array. */
  tuple?: boolean;
  /** usym()'s value, a user address and its process: JavaScript shows the function holding it. */
  usym?: boolean;
  /** ntop()'s value, an address family and an IPv4 or IPv6 address: JavaScript shows it as "127.0.0.1" or "::1". */
  inet?: boolean;
}
/**
 * A pointer held as a 64-bit value; reading through it needs a probe read from `space`.
 * "either": the compiler does not know (an integer seen as a pointer, a kernel function's
 * `char *` argument that may be a user path): str() reads it with the helper that takes either,
 * but its fields cannot be read until the script says which (`user<T>(p)`, `kernel<T>(p)`).
 */
export interface PtrType {
  kind: "ptr";
  space: "user" | "kernel" | "either";
  cType: string;
  /** BTF type id of the pointee, when known. */
  btfId?: number;
  /**
   * A register the script declared a 64-bit integer (`n: u64`, bpftrace's argN): a number in
   * arithmetic, of this type, and still an address str() reads through.
   */
  number?: IntType;
}
export interface VoidType {
  kind: "void";
}
export type Type = IntType | BoolType | StrType | ArrayType | StructType | PtrType | VoidType;

export const u8: IntType = { kind: "int", bits: 8, signed: false };
export const u16: IntType = { kind: "int", bits: 16, signed: false };
export const u32: IntType = { kind: "int", bits: 32, signed: false };
export const u64: IntType = { kind: "int", bits: 64, signed: false };
export const i8: IntType = { kind: "int", bits: 8, signed: true };
export const i16: IntType = { kind: "int", bits: 16, signed: true };
export const i32: IntType = { kind: "int", bits: 32, signed: true };
export const i64: IntType = { kind: "int", bits: 64, signed: true };
export const bool: BoolType = { kind: "bool" };
export const voidType: VoidType = { kind: "void" };

export const INT_TYPES: Record<string, IntType> = { u8, u16, u32, u64, i8, i16, i32, i64 };
export const kstackType: IntType = { kind: "int", bits: 64, signed: false, stack: "kernel" };
export const ustackType: IntType = { kind: "int", bits: 64, signed: false, stack: "user" };
export const probeNameType: IntType = { kind: "int", bits: 64, signed: false, probeName: true };
export const cgroupType: IntType = { kind: "int", bits: 64, signed: false, cgroup: true };
export const ksymType: IntType = { kind: "int", bits: 64, signed: false, ksym: true };

/** usym(address): the address and the pid of the process it is in (the symbols are that process's files'). */
export const usymType: StructType = {
  kind: "struct", name: "USym", size: 16, align: 8, usym: true,
  fields: [{ name: "address", type: u64, offset: 0 }, { name: "pid", type: u32, offset: 8 }],
};

/** ntop(af, address): the family (AF_INET 2, AF_INET6 10) and the address's bytes as they sit in memory (network order), an IPv4 one in the first 4. */
export const inetType: StructType = {
  kind: "struct", name: "Inet", size: 20, align: 4, inet: true,
  fields: [{ name: "family", type: u32, offset: 0 }, { name: "addr", type: { kind: "array", elem: u8, len: 16 }, offset: 4 }],
};

/** Whether a value of type `t` holds a ksym() or usym() anywhere (then symbols are loaded to print it). */
export function holdsKernelSymbol(t: Type | undefined): boolean {
  if (!t) return false;
  if (t.kind === "int") return !!t.ksym;
  if (t.kind === "struct") return !!t.usym || t.fields.some((f) => holdsKernelSymbol(f.type));
  if (t.kind === "array") return holdsKernelSymbol(t.elem);
  return false;
}

export function intType(bits: number, signed: boolean): IntType {
  return { kind: "int", bits: bits as IntBits, signed };
}

/** Scalars live in registers; everything else lives in memory. */
export function isScalar(t: Type): t is IntType | BoolType | PtrType {
  return t.kind === "int" || t.kind === "bool" || t.kind === "ptr";
}

export function sizeOf(t: Type): number {
  switch (t.kind) {
    case "int": return t.bits / 8;
    case "bool": return 1;
    case "ptr": return 8;
    case "str": return t.len;
    case "array": return sizeOf(t.elem) * t.len;
    case "struct": return t.size;
    case "void": return 0;
  }
}

export function alignOf(t: Type): number {
  switch (t.kind) {
    case "int": return t.bits / 8;
    case "bool": case "str": case "void": return 1;
    case "ptr": return 8;
    case "array": return alignOf(t.elem);
    case "struct": return t.align;
  }
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Lays out fields in declaration order with natural alignment. */
export function layoutStruct(name: string, fields: { name: string; type: Type }[]): StructType {
  let offset = 0;
  let align = 1;
  const laid: StructField[] = [];
  for (const f of fields) {
    const a = alignOf(f.type);
    offset = alignUp(offset, a);
    laid.push({ name: f.name, type: f.type, offset });
    offset += sizeOf(f.type);
    align = Math.max(align, a);
  }
  return { kind: "struct", name, fields: laid, size: alignUp(Math.max(offset, 1), align), align };
}

export function typeName(t: Type): string {
  switch (t.kind) {
    case "int": return t.stack ? (t.stack === "kernel" ? "KStack" : "UStack") : t.probeName ? "ProbeName" : t.cgroup ? "Cgroup" : t.ksym ? "KSym" : `${t.signed ? "i" : "u"}${t.bits}`;
    case "bool": return "bool";
    case "str": return `Str<${t.len}>`;
    case "array": return `${typeName(t.elem)}[${t.len}]`;
    case "struct": return t.name;
    case "ptr": return t.cType;
    case "void": return "void";
  }
}

export function sameType(a: Type, b: Type): boolean {
  return typeName(a) === typeName(b) && sizeOf(a) === sizeOf(b);
}
