/**
 * The validating pass over .dynsym and .symtab: one loop per table that checks each entry's
 * name (offset in range, NUL inside its string table) and stores the fields the queries need
 * in typed columns. No strings and no objects are made here: names are decoded when a query
 * returns a symbol, and hashed by the first lookup (symbols.ts), so reading libc's 3000
 * symbols is a loop over 70 KB, not 3000 allocations.
 */
import { ElfError } from "./error.ts";
import { u64 } from "./scan.ts";
import { nameBudget, spendName, UNCOUNTED_NAME_BYTES } from "./strings.ts";
import { type ElfFile, type ElfSection, SHN, SHT, SYMBOL_SIZE } from "./types.ts";
import { readVersions, type VersionTable } from "./versions.ts";

/** One row per kept symbol. */
export interface SymbolColumns {
  readonly count: number;
  /** File offset of the name's first byte, and its length in bytes. */
  readonly nameAt: Float64Array;
  readonly nameLen: Uint32Array;
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
}

/** Rows chained by name hash: buckets (row or -1; a power of two long), each row's successor. */
export interface NameIndex {
  readonly hash: Uint32Array;
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
export function readSymbols(elf: ElfFile): SymbolColumns {
  const dynsym = elf.sections.find((s) => s.type === SHT.DYNSYM);
  const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB);
  for (const t of [dynsym, symtab]) if (t) checkTable(t);
  const capacity = (dynsym ? dynsym.size / SYMBOL_SIZE : 0) + (symtab ? symtab.size / SYMBOL_SIZE : 0);
  const c = {
    count: 0,
    nameAt: new Float64Array(capacity),
    nameLen: new Uint32Array(capacity),
    value: new Float64Array(capacity),
    size: new Float64Array(capacity),
    info: new Uint8Array(capacity),
    other: new Uint8Array(capacity),
    shndx: new Uint16Array(capacity),
    versym: new Uint16Array(capacity),
    dynamic: new Uint8Array(capacity),
    versions: dynsym ? readVersions(elf, dynsym) : undefined,
  };
  if (dynsym) readTable(elf, dynsym, true, c, undefined);
  // Only unstripped files pay for hashing here, to drop .symtab's copies of .dynsym rows.
  if (symtab) readTable(elf, symtab, false, c, c.count > 0 ? { index: indexNames(c, elf.bytes), left: TWIN_STEPS * capacity } : undefined);
  const n = c.count;
  return {
    ...c,
    nameAt: c.nameAt.subarray(0, n),
    nameLen: c.nameLen.subarray(0, n),
    value: c.value.subarray(0, n),
    size: c.size.subarray(0, n),
    info: c.info.subarray(0, n),
    other: c.other.subarray(0, n),
    shndx: c.shndx.subarray(0, n),
    versym: c.versym.subarray(0, n),
    dynamic: c.dynamic.subarray(0, n),
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

/**
 * .dynsym's rows by name, and how many more rows of its hash chains finding .symtab's copies
 * may visit. A chain holds the rows of one name (and the few others in its bucket): a handful
 * in real files (a symbol's versions). A file whose every symbol has one name would make each
 * .symtab row walk all of .dynsym: the product of their sizes.
 */
interface Twins {
  readonly index: NameIndex;
  left: number;
}

/** Chain rows visited per symbol, on average, before a file is refused. */
const TWIN_STEPS = 64;

function readTable(elf: ElfFile, sec: ElfSection, dynamic: boolean, c: Mutable<SymbolColumns>, twins: Twins | undefined): void {
  const strtab = elf.stringTable(sec.link, `the symbols of ${where(sec)}`, sec.headerOffset + 40);
  const strStart = strtab.offset;
  const strSize = strtab.size;
  const bytes = elf.bytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const total = sec.size / SYMBOL_SIZE;
  const { nameAt, nameLen, value, size, info, other, shndx, versym } = c;
  const versions = dynamic ? c.versions : undefined;
  const budget = nameBudget(strSize);
  let r = c.count;
  // Entry 0 is the reserved null symbol.
  for (let i = 1; i < total; i++) {
    const at = sec.offset + i * SYMBOL_SIZE;
    const sh = bytes[at + 6] | (bytes[at + 7] << 8);
    const inf = bytes[at + 4];
    if (sh === SHN.UNDEF || KEEP_TYPE[inf & 0xf] === 0 || KEEP_BINDING[inf >> 4] === 0) continue;
    const nameOff = dv.getUint32(at, true);
    if (nameOff === 0) continue;
    if (nameOff >= strSize) badName(sec, i, at, `offset ${nameOff} is past the end of its ${strSize}-byte string table`);
    const start = strStart + nameOff;
    const nul = bytes.indexOf(0, start);
    if (nul < 0 || nul >= strStart + strSize) badName(sec, i, at, `runs past the end of its string table (no NUL)`);
    if (nul - start > UNCOUNTED_NAME_BYTES) spendName(budget, nul - start, `symbol ${i} in ${where(sec)}`, at);
    const v = u64(dv, at + 8);
    if (twins && hasTwin(twins, c, bytes, start, nul - start, v)) continue;
    nameAt[r] = start;
    nameLen[r] = nul - start;
    value[r] = v;
    size[r] = u64(dv, at + 16);
    info[r] = inf;
    other[r] = bytes[at + 5];
    shndx[r] = sh;
    versym[r] = versions ? versions.versym(i) : 0;
    c.dynamic[r] = dynamic ? 1 : 0;
    r++;
  }
  c.count = r;
}

/** Out of line, so the hot loop above stays small enough for the JIT to optimize. */
function badName(sec: ElfSection, i: number, at: number, why: string): never {
  throw new ElfError(`Name of symbol ${i} in ${where(sec)}: ${why}`, at);
}

/** Whether a row in `twins` already has this name and value. */
function hasTwin(twins: Twins, c: SymbolColumns, bytes: Uint8Array, nameAt: number, nameLen: number, value: number): boolean {
  const { index } = twins;
  const h = hashRange(bytes, nameAt, nameAt + nameLen);
  for (let r = index.heads[h & (index.heads.length - 1)]; r >= 0; r = index.next[r]) {
    if (--twins.left < 0) throw new ElfError(`Symbol names repeat as in no real file: .symtab's rows would each be compared with most of .dynsym's`, nameAt);
    if (index.hash[r] === h && c.value[r] === value && bytesEqual(bytes, c.nameAt[r], c.nameLen[r], bytes, nameAt, nameLen)) {
      return true;
    }
  }
  return false;
}

/**
 * Chains the first `c.count` rows by name hash. Rows are pushed at the head of their bucket,
 * so a bucket lists its rows newest first.
 */
export function indexNames(c: SymbolColumns, bytes: Uint8Array): NameIndex {
  const n = c.count;
  let buckets = 16;
  while (buckets < n) buckets *= 2;
  const heads = new Int32Array(buckets).fill(-1);
  const next = new Int32Array(n);
  const hash = new Uint32Array(n);
  for (let r = 0; r < n; r++) {
    const h = hashRange(bytes, c.nameAt[r], c.nameAt[r] + c.nameLen[r]);
    hash[r] = h;
    next[r] = heads[h & (buckets - 1)];
    heads[h & (buckets - 1)] = r;
  }
  return { hash, heads, next };
}

export function bytesEqual(a: Uint8Array, aAt: number, aLen: number, b: Uint8Array, bAt: number, bLen: number): boolean {
  if (aLen !== bLen) return false;
  for (let i = 0; i < aLen; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

/** FNV-1a over bytes [from, end). */
export function hashRange(b: Uint8Array, from: number, end: number): number {
  // Start from the offset basis as an int32 so the loop never mixes doubles and ints.
  let h = 0x811c9dc5 | 0;
  for (let i = from; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}
