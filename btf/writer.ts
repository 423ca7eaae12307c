/**
 * A small BTF builder for BPF_BTF_LOAD: just the types a loaded program refers to (INT, PTR,
 * ARRAY, STRUCT/UNION, FUNC_PROTO, FUNC), a deduplicated string table, and encoders for the
 * func_info and line_info arrays that BPF_PROG_LOAD takes alongside the BTF fd.
 *
 * Wire layouts (include/uapi/linux/bpf.h), all fields little-endian on our hosts:
 *
 *   struct bpf_func_info {          // 8 bytes, one per BPF function (subprogram)
 *     __u32 insn_off;               // index of the function's first instruction (not bytes)
 *     __u32 type_id;                // a BTF_KIND_FUNC id in the loaded BTF
 *   };
 *
 *   struct bpf_line_info {          // 16 bytes, one per source line change
 *     __u32 insn_off;               // instruction index
 *     __u32 file_name_off;          // string offset of the source file name
 *     __u32 line_off;               // string offset of the source line's text
 *     __u32 line_col;               // line << 10 | column
 *   };
 *   #define BPF_LINE_INFO_LINE_NUM(line_col)  ((line_col) >> 10)
 *   #define BPF_LINE_INFO_LINE_COL(line_col)  ((line_col) & 0x3ff)
 *
 * The kernel requires func_info[0].insn_off == 0, func_info and line_info insn_off strictly
 * increasing, and a line_info record at the first instruction of every function. In an ELF
 * .BTF.ext section these offsets are in bytes; for BPF_PROG_LOAD they are instruction indexes.
 *
 * @example
 * ```ts
 * const b = new BtfBuilder();
 * const int = b.addInt("int", 4, { signed: true });
 * const ctx = b.addPtr(0);
 * const proto = b.addFuncProto(int, [{ name: "ctx", type: ctx }]);
 * const main = b.addFunc("on_connect", proto, "global");
 * const funcInfo = encodeFuncInfo([{ insnOff: 0, typeId: main }]);
 * const file = b.addString("tcpconnect.ts");
 * const lineInfo = encodeLineInfo([{ insnOff: 0, fileNameOff: file, lineOff: b.addString("onConnect(sk) {"), line: 12, column: 3 }]);
 * const btfBytes = b.bytes();
 * ```
 */
import { BtfError } from "./error.ts";
import { BTF_HEADER_LEN, BTF_MAGIC, BTF_VERSION, INT_BOOL, INT_CHAR, INT_SIGNED, Kind } from "./types.ts";

export const FUNC_INFO_SIZE = 8;
export const LINE_INFO_SIZE = 16;
/** Columns past this are clamped: line_col keeps 10 bits of column. */
export const MAX_LINE_COLUMN = 0x3ff;
/** Lines past this cannot be encoded: line_col keeps 22 bits of line. */
export const MAX_LINE_NUMBER = 0x3fffff;

export interface IntOptions {
  signed?: boolean;
  char?: boolean;
  bool?: boolean;
}

export interface MemberSpec {
  name: string;
  type: number;
  /** From the start of the struct. */
  bitOffset: number;
  /** Set for bitfields only. */
  bitSize?: number;
}

export interface ParamSpec {
  name?: string;
  type: number;
}

export interface FuncInfoRecord {
  insnOff: number;
  typeId: number;
}

export interface LineInfoRecord {
  insnOff: number;
  fileNameOff: number;
  lineOff: number;
  line: number;
  column: number;
}

const encoder = new TextEncoder();

export class BtfBuilder {
  private readonly words: number[] = [];
  private count = 0;
  private readonly strings: Uint8Array[] = [new Uint8Array(1)];
  private readonly stringOffsets = new Map<string, number>([["", 0]]);
  private strLen = 1;

  /** Adds `s` to the string table (once) and returns its offset; "" is offset 0. */
  addString(s: string): number {
    const known = this.stringOffsets.get(s);
    if (known !== undefined) return known;
    const bytes = encoder.encode(s);
    if (bytes.includes(0)) throw new BtfError(`BTF string ${JSON.stringify(s)} contains a NUL byte`);
    const off = this.strLen;
    const entry = new Uint8Array(bytes.length + 1);
    entry.set(bytes);
    this.strings.push(entry);
    this.strLen += entry.length;
    this.stringOffsets.set(s, off);
    return off;
  }

  /** An integer of `size` bytes (1, 2, 4, 8 or 16). */
  addInt(name: string, size: number, opts: IntOptions = {}): number {
    if (![1, 2, 4, 8, 16].includes(size)) throw new BtfError(`INT "${name}" has size ${size}, expected 1, 2, 4, 8 or 16`);
    // The kernel accepts at most one encoding bit ("Unsupported encoding" otherwise).
    const enc = (opts.signed ? INT_SIGNED : 0) | (opts.char ? INT_CHAR : 0) | (opts.bool ? INT_BOOL : 0);
    if (enc & (enc - 1)) throw new BtfError(`INT "${name}" can be only one of signed, char or bool`);
    return this.push(name, Kind.INT, 0, false, size, [(enc << 24) | (size * 8)]);
  }

  /**
   * A pointer to `type` (0 for `void *`). `forward`: `type` is the id of a type added next (a
   * struct that points to its own kind, like a task's parent), which BTF allows.
   */
  addPtr(type: number, forward = false): number {
    return this.push("", Kind.PTR, 0, false, forward ? type : this.checkRef(type), []);
  }

  /** An array of `nelems` elements; `indexType` is conventionally an INT (e.g. `unsigned int`). */
  addArray(elemType: number, indexType: number, nelems: number): number {
    return this.push("", Kind.ARRAY, 0, false, 0, [this.checkRef(elemType), this.checkRef(indexType), nelems >>> 0]);
  }

  addStruct(name: string, size: number, members: readonly MemberSpec[]): number {
    return this.composite(Kind.STRUCT, name, size, members);
  }

  addUnion(name: string, size: number, members: readonly MemberSpec[]): number {
    return this.composite(Kind.UNION, name, size, members);
  }

  /** A function prototype; its parameters are named for the verifier log and bpftool. */
  addFuncProto(returnType: number, params: readonly ParamSpec[]): number {
    const extra: number[] = [];
    for (const p of params) extra.push(this.addString(p.name ?? ""), this.checkRef(p.type));
    return this.push("", Kind.FUNC_PROTO, params.length, false, this.checkRef(returnType), extra);
  }

  /**
   * A function: what `bpf_func_info.type_id` names. The kernel verifies a "global" function
   * on its own (by its prototype), a "static" one in the context of each caller.
   */
  addFunc(name: string, proto: number, linkage: "static" | "global"): number {
    if (!name) throw new BtfError(`A BTF FUNC needs a name`);
    return this.push(name, Kind.FUNC, linkage === "global" ? 1 : 0, false, this.checkRef(proto), []);
  }

  /** The BTF blob: header, type section, string section. */
  bytes(): Uint8Array {
    const typeLen = this.words.length * 4;
    const out = new Uint8Array(BTF_HEADER_LEN + typeLen + this.strLen);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, BTF_MAGIC, true);
    dv.setUint8(2, BTF_VERSION);
    dv.setUint8(3, 0);
    dv.setUint32(4, BTF_HEADER_LEN, true);
    dv.setUint32(8, 0, true); // type_off, relative to the end of the header
    dv.setUint32(12, typeLen, true);
    dv.setUint32(16, typeLen, true); // str_off: strings follow the types
    dv.setUint32(20, this.strLen, true);
    for (let i = 0; i < this.words.length; i++) dv.setUint32(BTF_HEADER_LEN + 4 * i, this.words[i], true);
    let p = BTF_HEADER_LEN + typeLen;
    for (const s of this.strings) {
      out.set(s, p);
      p += s.length;
    }
    return out;
  }

  private composite(kind: number, name: string, size: number, members: readonly MemberSpec[]): number {
    // kind_flag = 1 puts each member's bitfield size in the top 8 bits of its offset word.
    const bitfields = members.some((m) => (m.bitSize ?? 0) > 0);
    const extra: number[] = [];
    for (const m of members) {
      const bitSize = m.bitSize ?? 0;
      if (bitfields && (m.bitOffset > 0xffffff || bitSize > 0xff)) {
        throw new BtfError(`Member "${m.name}" of "${name}": bit offset ${m.bitOffset} or size ${bitSize} too large for a bitfield struct`);
      }
      extra.push(this.addString(m.name), this.checkRef(m.type), bitfields ? ((bitSize << 24) | m.bitOffset) >>> 0 : m.bitOffset);
    }
    return this.push(name, kind, members.length, bitfields, size, extra);
  }

  private push(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number, extra: number[]): number {
    if (vlen > 0xffff) throw new BtfError(`A BTF type has at most 65535 members or parameters, not ${vlen}`);
    const info = ((kflag ? 1 : 0) << 31 | kind << 24 | vlen) >>> 0;
    this.words.push(this.addString(name), info, sizeOrType >>> 0);
    for (const word of extra) this.words.push(word);
    return ++this.count;
  }

  /** Forward references are legal in BTF, but a typo'd id is more likely; ids must exist. */
  private checkRef(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id > this.count) {
      throw new BtfError(`Type id ${id} does not exist yet (the builder has ${this.count} types)`);
    }
    return id;
  }
}

/** Encodes `struct bpf_func_info` records for BPF_PROG_LOAD (func_info_rec_size = 8). */
export function encodeFuncInfo(records: readonly FuncInfoRecord[]): Uint8Array {
  const out = new Uint8Array(records.length * FUNC_INFO_SIZE);
  const dv = new DataView(out.buffer);
  records.forEach((r, i) => {
    if (i === 0 ? r.insnOff !== 0 : r.insnOff <= records[i - 1].insnOff) {
      throw new BtfError(`func_info[${i}].insn_off ${r.insnOff} must be ${i === 0 ? "0" : "greater than the previous record's"}`);
    }
    dv.setUint32(i * FUNC_INFO_SIZE, r.insnOff, true);
    dv.setUint32(i * FUNC_INFO_SIZE + 4, r.typeId, true);
  });
  return out;
}

/**
 * Encodes `struct bpf_line_info` records for BPF_PROG_LOAD (line_info_rec_size = 16).
 * Columns above 1023 are clamped, as the format has only 10 bits for them.
 */
export function encodeLineInfo(records: readonly LineInfoRecord[]): Uint8Array {
  const out = new Uint8Array(records.length * LINE_INFO_SIZE);
  const dv = new DataView(out.buffer);
  records.forEach((r, i) => {
    if (i > 0 && r.insnOff <= records[i - 1].insnOff) {
      throw new BtfError(`line_info[${i}].insn_off ${r.insnOff} must be greater than the previous record's`);
    }
    if (!(r.line >= 0 && r.line <= MAX_LINE_NUMBER)) {
      throw new BtfError(`line_info[${i}]: line ${r.line} does not fit in 22 bits`);
    }
    const o = i * LINE_INFO_SIZE;
    dv.setUint32(o, r.insnOff, true);
    dv.setUint32(o + 4, r.fileNameOff, true);
    dv.setUint32(o + 8, r.lineOff, true);
    dv.setUint32(o + 12, lineCol(r.line, r.column), true);
  });
  return out;
}

/** `line << 10 | column`, the inverse of BPF_LINE_INFO_LINE_NUM / BPF_LINE_INFO_LINE_COL. */
export function lineCol(line: number, column: number): number {
  return ((line << 10) | Math.min(Math.max(column, 0), MAX_LINE_COLUMN)) >>> 0;
}
