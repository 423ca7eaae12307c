/**
 * The validating pass over .dynsym and .symtab: one loop per table that checks each entry's
 * name (offset in range, NUL inside its string table), hashes the name bytes, and stores the
 * fields the queries need in typed columns. No strings and no objects are made here: names
 * are decoded when a query returns a symbol (symbols.ts), so reading libc's 3000 symbols
 * costs a loop over 70 KB, not 3000 allocations.
 */
import { ElfError } from "./error.ts";
import type { Elf } from "./reader.ts";
import { u64 } from "./scan.ts";
import { type ElfSection, SHN, SHT, SYMBOL_SIZE } from "./types.ts";
import { readVersions, type VersionTable } from "./versions.ts";

/** One row per kept symbol. `heads`/`next` chain rows by name hash for lookups. */
export interface SymbolColumns {
  readonly count: number;
  /** File offset of the name's first byte, and its length in bytes. */
  readonly nameAt: Float64Array;
  readonly nameLen: Uint32Array;
  readonly hash: Uint32Array;
  readonly value: Float64Array;
  readonly size: Float64Array;
  /** `st_info` (type in the low nibble, binding in the high one) and `st_other`. */
  readonly info: Uint8Array;
  readonly other: Uint8Array;
  readonly shndx: Uint16Array;
  /** The .gnu.version entry (0 when none), see {@link VersionTable}. */
  readonly versym: Uint16Array;
  /** 1 for rows from .dynsym. */
  readonly dynamic: Uint8Array;
  readonly versions: VersionTable | undefined;
  /** Hash buckets (row or -1; length a power of two) and each row's successor in its bucket. */
  readonly heads: Int32Array;
  readonly next: Int32Array;
}

// Which STT_ types and STB_ bindings are kept: functions, data, IFUNCs, TLS and untyped
// labels; never section, file or common symbols, nor OS-specific bindings.
const KEEP_TYPE = [1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0];
const KEEP_BINDING = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0];

/**
 * Reads every defined symbol of `elf`: .dynsym's first, then .symtab's except those .dynsym
 * already has (unstripped files list every dynamic symbol in both).
 *
 * @throws {ElfError} on a symbol table whose entry size is not 24 or whose size is not a
 * multiple of it, whose string table is not one, or with a name offset out of range.
 */
export function readSymbols(elf: Elf): SymbolColumns {
  const dynsym = elf.sections.find((s) => s.type === SHT.DYNSYM);
  const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB);
  for (const t of [dynsym, symtab]) if (t) checkTable(t);
  const capacity = (dynsym ? dynsym.size / SYMBOL_SIZE : 0) + (symtab ? symtab.size / SYMBOL_SIZE : 0);
  let buckets = 16;
  while (buckets < capacity) buckets *= 2;
  const c = {
    count: 0,
    nameAt: new Float64Array(capacity),
    nameLen: new Uint32Array(capacity),
    hash: new Uint32Array(capacity),
    value: new Float64Array(capacity),
    size: new Float64Array(capacity),
    info: new Uint8Array(capacity),
    other: new Uint8Array(capacity),
    shndx: new Uint16Array(capacity),
    versym: new Uint16Array(capacity),
    dynamic: new Uint8Array(capacity),
    versions: dynsym ? readVersions(elf, dynsym) : undefined,
    heads: new Int32Array(buckets).fill(-1),
    next: new Int32Array(capacity),
  };
  if (dynsym) readTable(elf, dynsym, true, c);
  if (symtab) readTable(elf, symtab, false, c);
  const n = c.count;
  return {
    ...c,
    nameAt: c.nameAt.subarray(0, n),
    nameLen: c.nameLen.subarray(0, n),
    hash: c.hash.subarray(0, n),
    value: c.value.subarray(0, n),
    size: c.size.subarray(0, n),
    info: c.info.subarray(0, n),
    other: c.other.subarray(0, n),
    shndx: c.shndx.subarray(0, n),
    versym: c.versym.subarray(0, n),
    dynamic: c.dynamic.subarray(0, n),
    next: c.next.subarray(0, n),
  };
}

function where(sec: ElfSection): string {
  return `section ${sec.index} (${sec.name || "unnamed"})`;
}

function checkTable(sec: ElfSection): void {
  if (sec.entsize !== SYMBOL_SIZE) {
    throw new ElfError(`Symbol table ${where(sec)} has entry size ${sec.entsize}, expected ${SYMBOL_SIZE}`, sec.headerOffset + 56);
  }
  if (sec.size % SYMBOL_SIZE !== 0) {
    throw new ElfError(`Symbol table ${where(sec)} is ${sec.size} bytes, not a multiple of ${SYMBOL_SIZE}`, sec.headerOffset + 32);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function readTable(elf: Elf, sec: ElfSection, dynamic: boolean, c: Mutable<SymbolColumns>): void {
  const strtab = elf.stringTable(sec.link, `the symbols of ${where(sec)}`, sec.headerOffset + 40);
  const strStart = strtab.offset;
  const strEnd = strtab.offset + strtab.size;
  const bytes = elf.bytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const mask = c.heads.length - 1;
  const total = sec.size / SYMBOL_SIZE;
  // Entry 0 is the reserved null symbol.
  for (let i = 1; i < total; i++) {
    const at = sec.offset + i * SYMBOL_SIZE;
    const shndx = bytes[at + 6] | (bytes[at + 7] << 8);
    const info = bytes[at + 4];
    if (shndx === SHN.UNDEF || KEEP_TYPE[info & 0xf] === 0 || KEEP_BINDING[info >> 4] === 0) continue;
    const nameOff = dv.getUint32(at, true);
    if (nameOff === 0) continue;
    if (nameOff >= strtab.size) {
      throw new ElfError(`Name offset ${nameOff} of symbol ${i} in ${where(sec)} is past the end of its ${strtab.size}-byte string table`, at);
    }
    // FNV-1a over the name, which also finds its NUL.
    let h = 0x811c9dc5;
    let p = strStart + nameOff;
    while (p < strEnd && bytes[p] !== 0) h = Math.imul(h ^ bytes[p++], 0x01000193);
    if (p === strEnd) throw new ElfError(`Name of symbol ${i} in ${where(sec)} runs past the end of its string table (no NUL)`, at);
    h >>>= 0;
    const nameAt = strStart + nameOff;
    const nameLen = p - nameAt;
    const value = u64(dv, at + 8);
    if (!dynamic && hasDynamicTwin(c, bytes, h, nameAt, nameLen, value, mask)) continue;
    const r = c.count++;
    c.nameAt[r] = nameAt;
    c.nameLen[r] = nameLen;
    c.hash[r] = h;
    c.value[r] = value;
    c.size[r] = u64(dv, at + 16);
    c.info[r] = info;
    c.other[r] = bytes[at + 5];
    c.shndx[r] = shndx;
    c.versym[r] = dynamic && c.versions ? c.versions.versym(i) : 0;
    c.dynamic[r] = dynamic ? 1 : 0;
    c.next[r] = c.heads[h & mask];
    c.heads[h & mask] = r;
  }
}

/** Whether a .dynsym row already has this name and value. */
function hasDynamicTwin(
  c: SymbolColumns,
  bytes: Uint8Array,
  h: number,
  nameAt: number,
  nameLen: number,
  value: number,
  mask: number,
): boolean {
  for (let r = c.heads[h & mask]; r >= 0; r = c.next[r]) {
    if (c.dynamic[r] === 1 && c.hash[r] === h && c.value[r] === value && bytesEqual(bytes, c.nameAt[r], c.nameLen[r], bytes, nameAt, nameLen)) {
      return true;
    }
  }
  return false;
}

export function bytesEqual(a: Uint8Array, aAt: number, aLen: number, b: Uint8Array, bAt: number, bLen: number): boolean {
  if (aLen !== bLen) return false;
  for (let i = 0; i < aLen; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

/** The same FNV-1a as the reading pass, over a whole byte array (a query's name). */
export function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}
