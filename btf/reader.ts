/**
 * A BTF reader: parses the kernel's BPF Type Format (include/uapi/linux/btf.h) from bytes,
 * e.g. the whole of /sys/kernel/btf/vmlinux or a module's split BTF on top of it.
 *
 * Pure: no I/O, no runtime APIs. Parsing is one validating pass (scan.ts) that records where
 * each type starts (vmlinux has ~130k types in ~5 MB); types are decoded on first use and
 * cached. Lookups by name: names.ts.
 *
 * @example
 * ```ts
 * const btf = Btf.parse(bytes);
 * const task = btf.find("task_struct", "struct")!;
 * const tgid = btf.member(task.id, "tgid")!;     // { bitOffset, bitSize, type }
 * btf.typeName(tgid.type);                        // "pid_t"
 * btf.sizeOf(tgid.type);                          // 4
 * ```
 */
import { BtfError } from "./error.ts";
import { type ScannedBlob, scanBlob } from "./scan.ts";
import { BtfNames } from "./names.ts";
import { renderTypeName } from "./type_name.ts";
import {
  type BtfEnumValue,
  type BtfKind,
  type BtfMember,
  type BtfParam,
  type BtfType,
  type BtfVarSecInfo,
  INT_BOOL,
  INT_CHAR,
  INT_SIGNED,
  Kind,
  KIND_NAMES,
  LINKAGES,
  type Linkage,
  type TypeOfKind,
} from "./types.ts";

/** How many typedef/qualifier/array hops we follow before calling it a cycle (as libbpf). */
const MAX_DEPTH = 32;

// Not fatal: a name with invalid UTF-8 should decode to U+FFFD, not throw a TypeError.
const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();
const VOID: BtfType = Object.freeze({ kind: "void", id: 0, name: "" });

/** A member found by {@link Btf.member}: offsets are from the start of the outer struct. */
export type MemberRef = BtfMember;

export { SEARCHES_BEFORE_INDEX } from "./names.ts";

/** The prototype of a kernel function, from {@link Btf.funcProto}. */
export interface FuncProto {
  readonly funcId: number;
  readonly protoId: number;
  readonly linkage: Linkage;
  readonly params: readonly BtfParam[];
  readonly returnType: number;
  readonly variadic: boolean;
}

export class Btf {
  /** The base BTF of a split (module) BTF; undefined for vmlinux itself. */
  readonly base: Btf | undefined;
  /** First type id defined by this blob: 1, or the base's `typeCount` for split BTF. */
  readonly firstId: number;
  /** One past the highest type id (id 0 is `void`, so vmlinux has `typeCount - 1` types). */
  readonly typeCount: number;

  private readonly words: Uint32Array;
  /** Word offset in `words` of local type i (id = firstId + i). */
  private readonly index: Uint32Array;
  private readonly names: BtfNames;
  private readonly strs: Uint8Array;
  /** String offsets below this belong to the base. */
  private readonly strBase: number;
  /** One past the highest valid string offset (the base's strings included). */
  readonly strEnd: number;

  private cache: (BtfType | undefined)[] | undefined;
  private decodes = 0;
  private ptrSize = 0;

  private constructor(base: Btf | undefined, blob: ScannedBlob) {
    const { words, index, strs } = blob;
    this.base = base;
    this.firstId = base ? base.typeCount : 1;
    this.typeCount = this.firstId + index.length;
    this.words = words;
    this.index = index;
    this.strs = strs;
    this.strBase = base ? base.strEnd : 0;
    this.names = new BtfNames(blob, this.firstId, this.strBase, base?.names);
    this.strEnd = this.strBase + strs.length;
  }

  /**
   * Parses a BTF blob. With `base`, the blob is split BTF (as in /sys/kernel/btf/<module>):
   * its type ids continue after the base's and its string offsets after the base's strings.
   * The bytes are referenced, not copied (when aligned): do not modify them afterwards.
   *
   * @throws {BtfError} on a bad header, truncated or overlapping sections, an unknown kind,
   * or a string offset or type id out of range.
   */
  static parse(bytes: Uint8Array, base?: Btf): Btf {
    return new Btf(base, scanBlob(bytes, base));
  }

  /** Decodes type `id` (0 is `void`). Results are cached: do not mutate them. */
  type(id: number): BtfType {
    if (id < this.firstId) {
      if (this.base) return this.base.type(id);
      if (id === 0) return VOID;
    }
    const i = this.localIndex(id);
    const cache = (this.cache ??= new Array(this.index.length));
    if (cache[i] === undefined) {
      this.decodes++;
      cache[i] = this.decode(id, this.index[i]);
    }
    return cache[i];
  }

  /** How many types have been decoded so far (for tests of how much of the kernel's BTF a compile reads). */
  get decodedTypes(): number {
    return this.decodes;
  }

  /** The kind of type `id`, without decoding it. */
  kindOf(id: number): BtfKind {
    return KIND_NAMES[this.kindNum(id)];
  }

  /** The name of type `id` ("" if anonymous), without decoding the rest of it. */
  nameOf(id: number): string {
    if (id < this.firstId) {
      if (this.base) return this.base.nameOf(id);
      if (id === 0) return "";
    }
    return this.string(this.words[this.index[this.localIndex(id)]]);
  }

  /** The string at `offset` in the string section (base strings included for split BTF). */
  string(offset: number): string {
    if (offset < this.strBase) return this.base!.string(offset);
    const start = offset - this.strBase;
    if (!(start >= 0 && start < this.strs.length)) {
      throw new BtfError(`String offset ${offset} is out of range (0..${this.strEnd - 1})`);
    }
    if (this.strs[start] === 0) return "";
    return decoder.decode(this.strs.subarray(start, this.strs.indexOf(0, start)));
  }

  /** Ids of all types named `name` (of `kind`, if given), in ascending order. */
  findByName(name: string, kind?: BtfKind): number[] {
    const found = this.base ? this.base.findByName(name, kind) : [];
    if (name === "") return found;
    return this.names.find(name, kind === undefined ? -1 : KIND_NAMES.indexOf(kind), found);
  }

  /** How many names the hash index holds: 0 until lookups by name have been many (for tests of what a compile does). */
  get indexedNames(): number {
    return this.names.indexed;
  }

  /** The first type named `name` of `kind`, decoded, or undefined. */
  find<K extends BtfKind>(name: string, kind: K): TypeOfKind<K> | undefined {
    const ids = this.findByName(name, kind);
    return ids.length ? (this.type(ids[0]) as TypeOfKind<K>) : undefined;
  }

  /** Follows typedefs, qualifiers (const/volatile/restrict) and type tags to the real type. */
  resolve(id: number): number {
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      const k = this.kindNum(id);
      if (!isAlias(k)) return id;
      id = this.ref(id);
    }
    throw new BtfError(`Type ${id} does not resolve within ${MAX_DEPTH} steps (a typedef cycle?)`);
  }

  /** Size in bytes of an object of type `id`. */
  sizeOf(id: number): number {
    let count = 1;
    const start = id;
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      const k = this.kindNum(id);
      switch (k) {
        case Kind.INT:
        case Kind.ENUM:
        case Kind.ENUM64:
        case Kind.STRUCT:
        case Kind.UNION:
        case Kind.FLOAT:
        case Kind.DATASEC:
          return count * this.ref(id);
        case Kind.PTR:
          return count * this.pointerSize();
        case Kind.ARRAY: {
          const t = this.type(id) as TypeOfKind<"array">;
          count *= t.nelems;
          id = t.elemType;
          break;
        }
        case Kind.VAR:
          id = this.ref(id);
          break;
        default:
          if (!isAlias(k)) {
            throw new BtfError(`Type ${start} (${this.typeName(start)}) has no size: it is a ${KIND_NAMES[k]}`);
          }
          id = this.ref(id);
      }
    }
    throw new BtfError(`Type ${start} does not resolve within ${MAX_DEPTH} steps (a cycle?)`);
  }

  /** Alignment in bytes of type `id`, as a C compiler for the kernel's target would lay it out. */
  alignOf(id: number): number {
    return this.align(id, 0);
  }

  /** A C-like rendering of type `id`, e.g. `struct sock *`, `unsigned int`, `char[16]`. */
  typeName(id: number): string {
    return renderTypeName(this, id);
  }

  /**
   * Finds member `name` of the struct or union `structId` (typedefs and qualifiers are followed),
   * looking inside anonymous struct/union members as C does. The bit offset is from the start
   * of `structId`; `bitSize` is 0 unless the member is a bitfield.
   */
  member(structId: number, name: string): MemberRef | undefined {
    return this.findMember(this.composite(structId), name, 0, 0);
  }

  /** Names usable with {@link member} (anonymous members' names included), for suggestions. */
  memberNames(structId: number): string[] {
    const names: string[] = [];
    this.collectNames(this.composite(structId), names, 0);
    return names;
  }

  /** The prototype of the kernel function (BTF FUNC) `name`, or undefined if there is none. */
  funcProto(name: string): FuncProto | undefined {
    const ids = this.findByName(name, "func");
    return ids.length ? this.funcProtoOf(ids[0]) : undefined;
  }

  /** How many parameter slots the prototype of FUNC `funcId` has (a trailing `...` counts), without decoding it. */
  paramSlots(funcId: number): number {
    if (this.kindNum(funcId) !== Kind.FUNC) throw new BtfError(`Type ${funcId} is a ${this.kindOf(funcId)}, not a func`);
    const proto = this.ref(funcId);
    return this.kindNum(proto) === Kind.FUNC_PROTO ? this.vlen(proto) : 0;
  }

  /** The prototype of the BTF FUNC `funcId`. */
  funcProtoOf(funcId: number): FuncProto {
    const func = this.type(funcId);
    if (func.kind !== "func") throw new BtfError(`Type ${funcId} is a ${func.kind}, not a func`);
    const proto = this.type(func.type);
    if (proto.kind !== "func_proto") {
      throw new BtfError(`Function "${func.name}" (type ${func.id}) points to a ${proto.kind}, not a func_proto`);
    }
    return {
      funcId: func.id,
      protoId: proto.id,
      linkage: func.linkage,
      params: proto.params,
      returnType: proto.returnType,
      variadic: proto.variadic,
    };
  }

  /**
   * Ids of the types of `kind` whose names start with `prefix`, in ascending order: one walk
   * over the types that decodes none of them (what a search of every name for a family of
   * kernel stubs costs, rather than a decode and a lookup by name per type).
   */
  withNamePrefix(prefix: string, kind: BtfKind): number[] {
    return this.names.withPrefix(prefix, KIND_NAMES.indexOf(kind), this.base ? this.base.withNamePrefix(prefix, kind) : []);
  }

  /** Pointer size of the target: the size of C `long`, or 8 if the BTF has no `long`. */
  pointerSize(): number {
    if (this.ptrSize) return this.ptrSize;
    if (this.base) return (this.ptrSize = this.base.pointerSize());
    // A direct scan: there are only a handful of INTs, and this avoids building the name index.
    const longs = ["long int", "long unsigned int", "long", "unsigned long"].map((n) => encoder.encode(n));
    for (let i = 0; i < this.index.length; i++) {
      const p = this.index[i];
      if (((this.words[p + 1] >>> 24) & 0x1f) !== Kind.INT) continue;
      if (longs.some((name) => this.names.equals(this.words[p], name))) return (this.ptrSize = this.words[p + 2]);
    }
    return (this.ptrSize = 8);
  }

  // ---- internals ----

  private localIndex(id: number): number {
    const i = id - this.firstId;
    if (!(i >= 0 && i < this.index.length) || !Number.isInteger(id)) {
      throw new BtfError(`Type id ${id} is out of range (0..${this.typeCount - 1})`);
    }
    return i;
  }

  private kindNum(id: number): number {
    if (id < this.firstId) {
      if (this.base) return this.base.kindNum(id);
      if (id === 0) return Kind.UNKN;
    }
    return (this.words[this.index[this.localIndex(id)] + 1] >>> 24) & 0x1f;
  }

  private vlen(id: number): number {
    if (id < this.firstId) return this.base!.vlen(id);
    return this.words[this.index[this.localIndex(id)] + 1] & 0xffff;
  }

  /** The third word of a type: its `size` or its `type`, depending on the kind. */
  private ref(id: number): number {
    if (id < this.firstId) {
      if (this.base) return this.base.ref(id);
      if (id === 0) return 0;
    }
    return this.words[this.index[this.localIndex(id)] + 2];
  }

  private decode(id: number, p: number): BtfType {
    const w = this.words;
    const name = this.string(w[p]);
    const info = w[p + 1];
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const third = w[p + 2];
    const q = p + 3;
    switch (kind) {
      case Kind.INT: {
        const x = w[q];
        const enc = (x >>> 24) & 0x0f;
        return {
          kind: "int", id, name, size: third,
          bits: x & 0xff, bitOffset: (x >>> 16) & 0xff,
          signed: (enc & INT_SIGNED) !== 0, char: (enc & INT_CHAR) !== 0, bool: (enc & INT_BOOL) !== 0,
        };
      }
      case Kind.PTR:
        return { kind: "ptr", id, name, type: third };
      case Kind.ARRAY:
        return { kind: "array", id, name, elemType: w[q], indexType: w[q + 1], nelems: w[q + 2] };
      case Kind.STRUCT:
      case Kind.UNION: {
        const members: BtfMember[] = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const m = q + 3 * i;
          const off = w[m + 2];
          members[i] = kflag
            ? { name: this.entryName(id, w[m]), type: this.entryType(id, w[m + 1]), bitOffset: off & 0xffffff, bitSize: off >>> 24 }
            : this.legacyMember(this.entryName(id, w[m]), this.entryType(id, w[m + 1]), off);
        }
        return { kind: kind === Kind.STRUCT ? "struct" : "union", id, name, size: third, members };
      }
      case Kind.ENUM: {
        const values: BtfEnumValue<number>[] = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const v = w[q + 2 * i + 1];
          values[i] = { name: this.entryName(id, w[q + 2 * i]), value: kflag ? v | 0 : v };
        }
        return { kind: "enum", id, name, size: third, signed: kflag, values };
      }
      case Kind.ENUM64: {
        const values: BtfEnumValue<bigint>[] = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const e = q + 3 * i;
          const u = (BigInt(w[e + 2]) << 32n) | BigInt(w[e + 1]);
          values[i] = { name: this.entryName(id, w[e]), value: kflag ? BigInt.asIntN(64, u) : u };
        }
        return { kind: "enum64", id, name, size: third, signed: kflag, values };
      }
      case Kind.FWD:
        return { kind: "fwd", id, name, union: kflag };
      case Kind.TYPEDEF:
        return { kind: "typedef", id, name, type: third };
      case Kind.VOLATILE:
        return { kind: "volatile", id, name, type: third };
      case Kind.CONST:
        return { kind: "const", id, name, type: third };
      case Kind.RESTRICT:
        return { kind: "restrict", id, name, type: third };
      case Kind.TYPE_TAG:
        return { kind: "type_tag", id, name, type: third, attr: kflag };
      case Kind.FUNC:
        return { kind: "func", id, name, type: third, linkage: linkage(vlen) };
      case Kind.FUNC_PROTO: {
        const params: BtfParam[] = [];
        let variadic = false;
        for (let i = 0; i < vlen; i++) {
          const nameOff = w[q + 2 * i];
          const type = w[q + 2 * i + 1];
          // The kernel encodes a trailing "..." as an unnamed parameter of type void.
          if (i === vlen - 1 && type === 0 && nameOff === 0) variadic = true;
          else params.push({ name: this.entryName(id, nameOff), type: this.entryType(id, type) });
        }
        return { kind: "func_proto", id, name, returnType: third, params, variadic };
      }
      case Kind.VAR:
        return { kind: "var", id, name, type: third, linkage: linkage(w[q]) };
      case Kind.DATASEC: {
        const vars: BtfVarSecInfo[] = new Array(vlen);
        for (let i = 0; i < vlen; i++) {
          const e = q + 3 * i;
          vars[i] = { type: this.entryType(id, w[e]), offset: w[e + 1], size: w[e + 2] };
        }
        return { kind: "datasec", id, name, size: third, vars };
      }
      case Kind.FLOAT:
        return { kind: "float", id, name, size: third };
      case Kind.DECL_TAG:
        return { kind: "decl_tag", id, name, type: third, componentIdx: w[q] | 0, attr: kflag };
      default:
        // indexTypes rejects unknown kinds, so this is unreachable.
        throw new BtfError(`Type ${id} has unknown kind ${kind}`);
    }
  }

  // The entries of a record are checked here rather than by the scan (scan.ts).
  private entryName(id: number, offset: number): string {
    if (offset >= this.strEnd) throw new BtfError(`String offset ${offset} of type ${id} is out of range (0..${this.strEnd - 1})`);
    return this.string(offset);
  }

  private entryType(id: number, type: number): number {
    if (type >= this.typeCount) throw new BtfError(`Type id ${type} of type ${id} is out of range (0..${this.typeCount - 1})`);
    return type;
  }

  /**
   * Without kind_flag, a bitfield is described by its INT type instead (BTF_INT_OFFSET and
   * BTF_INT_BITS); old compilers and pahole versions emit that.
   */
  private legacyMember(name: string, type: number, bitOffset: number): BtfMember {
    let bitSize = 0;
    const r = this.resolve(type);
    if (this.kindNum(r) === Kind.INT) {
      const t = this.type(r) as TypeOfKind<"int">;
      if (t.bitOffset !== 0 || t.bits !== t.size * 8) {
        bitOffset += t.bitOffset;
        bitSize = t.bits;
      }
    }
    return { name, type, bitOffset, bitSize };
  }

  private composite(id: number): TypeOfKind<"struct" | "union"> {
    const t = this.type(this.resolve(id));
    if (t.kind !== "struct" && t.kind !== "union") {
      throw new BtfError(`Type ${id} (${this.typeName(id)}) is a ${t.kind}, not a struct or union`);
    }
    return t;
  }

  private findMember(
    t: TypeOfKind<"struct" | "union">,
    name: string,
    base: number,
    depth: number,
  ): MemberRef | undefined {
    if (depth > MAX_DEPTH) throw new BtfError(`Anonymous members of type ${t.id} nest too deeply (a cycle?)`);
    for (const m of t.members) {
      if (m.name === name) return { name, type: m.type, bitOffset: base + m.bitOffset, bitSize: m.bitSize };
      if (m.name === "") {
        const inner = this.type(this.resolve(m.type));
        if (inner.kind === "struct" || inner.kind === "union") {
          const found = this.findMember(inner, name, base + m.bitOffset, depth + 1);
          if (found) return found;
        }
      }
    }
    return undefined;
  }

  private collectNames(t: TypeOfKind<"struct" | "union">, out: string[], depth: number): void {
    if (depth > MAX_DEPTH) throw new BtfError(`Anonymous members of type ${t.id} nest too deeply (a cycle?)`);
    for (const m of t.members) {
      if (m.name !== "") out.push(m.name);
      else {
        const inner = this.type(this.resolve(m.type));
        if (inner.kind === "struct" || inner.kind === "union") this.collectNames(inner, out, depth + 1);
      }
    }
  }

  private align(id: number, depth: number): number {
    if (depth > MAX_DEPTH) throw new BtfError(`Type ${id} nests too deeply to align (a cycle?)`);
    const t = this.type(id);
    switch (t.kind) {
      case "int":
      case "enum":
      case "enum64":
      case "float":
        return Math.max(1, Math.min(t.size, this.pointerSize()));
      case "ptr":
        return this.pointerSize();
      case "array":
        return this.align(t.elemType, depth + 1);
      case "typedef":
      case "const":
      case "volatile":
      case "restrict":
      case "type_tag":
      case "var":
        return this.align(t.type, depth + 1);
      case "struct":
      case "union": {
        let max = 1;
        for (const m of t.members) {
          const a = this.align(m.type, depth + 1);
          // A member placed off its natural alignment means __attribute__((packed)).
          if (m.bitSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
          max = Math.max(max, a);
        }
        return t.size % max === 0 ? max : 1;
      }
      default:
        throw new BtfError(`Type ${id} (${this.typeName(id)}) has no alignment: it is a ${t.kind}`);
    }
  }
}

function isAlias(kind: number): boolean {
  return kind === Kind.TYPEDEF || kind === Kind.VOLATILE || kind === Kind.CONST ||
    kind === Kind.RESTRICT || kind === Kind.TYPE_TAG;
}

function linkage(n: number): Linkage {
  return LINKAGES[n] ?? "static";
}
