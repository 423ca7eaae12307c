/**
 * The BTF wire constants (from the kernel's include/uapi/linux/btf.h) and the decoded shape of
 * each type kind. Shared by the reader and the writer so the two cannot disagree.
 */

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** Size of `struct btf_header` as of BTF version 1; a longer header is allowed (zero tail). */
export const BTF_HEADER_LEN = 24;

/** Numeric kinds, as stored in bits 24-28 of `btf_type.info`. */
export const Kind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** Kind names used in decoded types; index = numeric kind. */
export const KIND_NAMES = [
  "void", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile",
  "const", "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag", "type_tag",
  "enum64",
] as const;

export type BtfKind = (typeof KIND_NAMES)[number];

/** `BTF_INT_ENCODING` bits of an INT's extra word. */
export const INT_SIGNED = 1 << 0;
export const INT_CHAR = 1 << 1;
export const INT_BOOL = 1 << 2;

export type Linkage = "static" | "global" | "extern";
export const LINKAGES: readonly Linkage[] = ["static", "global", "extern"];

/** A struct/union member. `bitSize` is 0 unless the member is a bitfield. */
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  readonly bitOffset: number;
  readonly bitSize: number;
}

export interface BtfParam {
  readonly name: string;
  readonly type: number;
}

export interface BtfEnumValue<V extends number | bigint> {
  readonly name: string;
  readonly value: V;
}

export interface BtfVarSecInfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

interface Base<K extends BtfKind> {
  readonly kind: K;
  readonly id: number;
  /** "" for anonymous types. */
  readonly name: string;
}

export interface BtfVoid extends Base<"void"> {}
export interface BtfInt extends Base<"int"> {
  readonly size: number;
  /** Number of value bits (`BTF_INT_BITS`). */
  readonly bits: number;
  /** Bit offset of the value inside `size` bytes (`BTF_INT_OFFSET`, old-style bitfields). */
  readonly bitOffset: number;
  readonly signed: boolean;
  readonly char: boolean;
  readonly bool: boolean;
}
export interface BtfPtr extends Base<"ptr"> { readonly type: number }
export interface BtfArray extends Base<"array"> {
  readonly elemType: number;
  readonly indexType: number;
  readonly nelems: number;
}
export interface BtfComposite<K extends "struct" | "union"> extends Base<K> {
  readonly size: number;
  readonly members: readonly BtfMember[];
}
export interface BtfEnum extends Base<"enum"> {
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue<number>[];
}
export interface BtfEnum64 extends Base<"enum64"> {
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue<bigint>[];
}
export interface BtfFwd extends Base<"fwd"> { readonly union: boolean }
export interface BtfRef<K extends "typedef" | "volatile" | "const" | "restrict"> extends Base<K> {
  readonly type: number;
}
export interface BtfTypeTag extends Base<"type_tag"> {
  readonly type: number;
  /** kind_flag: the tag is an `__attribute__` rather than a btf_type_tag. */
  readonly attr: boolean;
}
export interface BtfFunc extends Base<"func"> {
  /** The FUNC_PROTO id. */
  readonly type: number;
  readonly linkage: Linkage;
}
export interface BtfFuncProto extends Base<"func_proto"> {
  readonly returnType: number;
  /** Named parameters; a trailing `...` is reported as `variadic`, not as a parameter. */
  readonly params: readonly BtfParam[];
  readonly variadic: boolean;
}
export interface BtfVar extends Base<"var"> {
  readonly type: number;
  readonly linkage: Linkage;
}
export interface BtfDatasec extends Base<"datasec"> {
  readonly size: number;
  readonly vars: readonly BtfVarSecInfo[];
}
export interface BtfFloat extends Base<"float"> { readonly size: number }
export interface BtfDeclTag extends Base<"decl_tag"> {
  readonly type: number;
  /** -1: the tag applies to the type itself; otherwise a member or parameter index. */
  readonly componentIdx: number;
  readonly attr: boolean;
}

/** A decoded BTF type, discriminated by `kind`. */
export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfComposite<"struct">
  | BtfComposite<"union">
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfRef<"typedef">
  | BtfRef<"volatile">
  | BtfRef<"const">
  | BtfRef<"restrict">
  | BtfTypeTag
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** The decoded type of a given kind, e.g. `TypeOfKind<"struct">`. */
export type TypeOfKind<K extends BtfKind> = Extract<BtfType, { kind: K }>;
