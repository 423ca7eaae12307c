/**
 * The defined symbols of an ELF file, from .symtab (absent from stripped files) and .dynsym
 * (always present in shared objects and PIEs), with GNU version names on the dynamic ones.
 * Three questions: a symbol by name (`lookup`), symbols by wildcard (`match`), and which
 * function holds an address (`symbolize`, a binary search over a table sorted once).
 *
 * Values are link-time virtual addresses. For a uprobe, turn one into a file offset with
 * {@link Elf.fileOffset}; for a runtime address, go the other way with {@link Elf.vaddr}.
 *
 * @example
 * ```ts
 * const syms = elf.symbols();
 * const m = syms.lookup("malloc@@GLIBC_2.2.5")!;  // the same symbol as lookup("malloc")
 * syms.symbolize(m.value + 4);                     // { symbol: m, offset: 4 }
 * syms.match("pthread_mutex_*").map((s) => s.name);
 * ```
 */
import { globMatcher } from "./glob.ts";
import type { ElfFile } from "./types.ts";
import { decodeString } from "./strings.ts";
import { bytesEqual, hashRange, indexNames, type NameIndex, readSymbols, type SymbolColumns } from "./symbol_read.ts";
import { lastAtOrBelow } from "./address_search.ts";

export type SymbolType = "notype" | "object" | "func" | "tls" | "ifunc";
export type SymbolBinding = "local" | "global" | "weak" | "unique";
export type SymbolVisibility = "default" | "internal" | "hidden" | "protected";

/** A defined symbol. Results are cached and shared: do not mutate them. */
export interface ElfSymbol {
  readonly name: string;
  /** `st_value`: a link-time virtual address (in REL files, an offset into its section). */
  readonly value: number;
  readonly size: number;
  readonly type: SymbolType;
  readonly binding: SymbolBinding;
  readonly visibility: SymbolVisibility;
  /** `st_shndx`: the section it is defined in, or SHN.ABS (0xfff1). */
  readonly section: number;
  /** GNU version name, e.g. "GLIBC_2.2.5" (dynamic symbols of versioned libraries only). */
  readonly version: string | undefined;
  /**
   * True when `version` is not this symbol's default: an older version kept for old binaries,
   * or one required from another object (a variable an executable copies out of libc, like
   * bash's `stdout@GLIBC_2.2.5`). `readelf` prints `name@VER` for these, `name@@VER` otherwise.
   */
  readonly versionHidden: boolean;
  /** Whether it came from .dynsym (else .symtab). */
  readonly dynamic: boolean;
}

/** Where an address falls: inside `symbol`, `offset` bytes from its start. */
export interface Symbolized {
  readonly symbol: ElfSymbol;
  readonly offset: number;
}

// Index = the numeric STT_/STB_/STV_ value (symbol_read.ts keeps only these).
const TYPES = ["notype", "object", "func", "", "", "", "tls", "", "", "", "ifunc"] as SymbolType[];
const BINDINGS = ["local", "global", "weak", "", "", "", "", "", "", "", "unique"] as SymbolBinding[];
const VISIBILITIES: SymbolVisibility[] = ["default", "internal", "hidden", "protected"];
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
/** Bit 15 of a .gnu.version entry: a non-default ("@", not "@@") version. */
const VERSYM_HIDDEN = 0x8000;
const encoder = new TextEncoder();

/** Function rows sorted by start, their ends, and the one row that names each address. */
interface AddressIndex {
  starts: Float64Array;
  ends: Float64Array;
  rows: Int32Array;
}

/** How far `symbolize` looks back for an enclosing function when the nearest one ends early. */
const MAX_LOOKBACK = 8;

export class SymbolTable {
  private readonly elf: ElfFile;
  private readonly c: SymbolColumns;
  private readonly cache: (ElfSymbol | undefined)[] = [];
  private readonly names: (string | undefined)[] = [];
  private all: ElfSymbol[] | undefined;
  private nameIndex: NameIndex | undefined;
  private index: AddressIndex | undefined;

  private constructor(elf: ElfFile, columns: SymbolColumns) {
    this.elf = elf;
    this.c = columns;
  }

  /**
   * Reads the symbols of `elf` (use {@link Elf.symbols}, which caches this). Only the names'
   * bounds are checked here: names are hashed by the first lookup, symbols decoded when a
   * query returns them.
   *
   * @throws {ElfError} on a symbol table whose entry size is not 24, whose size is not a
   * multiple of it, whose string table is not one, or with a name offset out of range.
   */
  static of(elf: ElfFile): SymbolTable {
    return new SymbolTable(elf, readSymbols(elf));
  }

  /** How many defined symbols the file has. */
  get count(): number {
    return this.c.count;
  }

  /** Every defined symbol: .dynsym's first, then those of .symtab that .dynsym lacks. */
  get symbols(): readonly ElfSymbol[] {
    if (!this.all) {
      this.all = new Array(this.c.count);
      for (let r = 0; r < this.c.count; r++) this.all[r] = this.at(r);
    }
    return this.all;
  }

  /**
   * The symbol called `name`. Also accepts the versioned names `readelf -Ws` prints:
   * `malloc@@GLIBC_2.2.5` and `memcpy@GLIBC_2.2.5` select that version of `malloc`/`memcpy`.
   * When several symbols share a name, the default version wins, then global over weak over
   * local bindings.
   */
  lookup(name: string): ElfSymbol | undefined {
    return this.lookupAll(name)[0];
  }

  /** Every symbol called `name` (or matching a versioned name), best first, as {@link lookup}. */
  lookupAll(name: string): ElfSymbol[] {
    const exact = this.named(name);
    if (exact.length > 0) return exact;
    const at = name.indexOf("@");
    if (at <= 0) return [];
    const version = name.slice(name.startsWith("@@", at) ? at + 2 : at + 1);
    const all = this.named(name.slice(0, at));
    const versioned = all.filter((s) => s.version === version);
    // A static symbol table carries no version data: then the version cannot be checked.
    return versioned.length > 0 || all.some((s) => s.version !== undefined) ? versioned : all;
  }

  /** Symbols whose name matches `glob` (`*` and `?` wildcards), in table order. */
  match(glob: string): ElfSymbol[] {
    const test = globMatcher(glob);
    const out: ElfSymbol[] = [];
    for (let r = 0; r < this.c.count; r++) if (test(this.name(r))) out.push(this.at(r));
    return out;
  }

  /**
   * The function (FUNC or IFUNC symbol) containing link-time address `addr`, and the offset
   * into it. Aliases at one address (`malloc`, `__libc_malloc`) resolve to one name: a sized
   * one, global before weak before local, the fewest leading underscores, the shortest.
   * A size-0 symbol (hand-written assembly) extends to the next function or its section's end.
   */
  symbolize(addr: number): Symbolized | undefined {
    const { starts, ends, rows } = (this.index ??= this.buildAddressIndex());
    const last = lastAtOrBelow(starts, addr);
    // The nearest start may end before `addr` while an earlier, larger function encloses it.
    for (let i = last; i >= 0 && i > last - MAX_LOOKBACK; i--) {
      if (addr < ends[i]) return { symbol: this.at(rows[i]), offset: addr - starts[i] };
    }
    return undefined;
  }

  /** Symbols named exactly `name`, best first: a walk of one hash bucket comparing bytes. */
  private named(name: string): ElfSymbol[] {
    const want = encoder.encode(name);
    const h = hashRange(want, 0, want.length);
    const { heads, next, hash } = (this.nameIndex ??= indexNames(this.c, this.elf.bytes));
    const { nameAt, nameLen } = this.c;
    const found: ElfSymbol[] = [];
    for (let r = heads[h & (heads.length - 1)]; r >= 0; r = next[r]) {
      if (hash[r] === h && bytesEqual(this.elf.bytes, nameAt[r], nameLen[r], want, 0, want.length)) found.push(this.at(r));
    }
    // Chains are pushed at the head: restore table order before ranking, for stable results.
    return found.reverse().sort(lookupOrder);
  }

  private name(r: number): string {
    return (this.names[r] ??= decodeString(this.elf.bytes, this.c.nameAt[r], this.c.nameAt[r] + this.c.nameLen[r]));
  }

  private at(r: number): ElfSymbol {
    const cached = this.cache[r];
    if (cached) return cached;
    const c = this.c;
    const info = c.info[r];
    const v = c.versions?.version(c.versym[r]);
    return (this.cache[r] = {
      name: this.name(r),
      value: c.value[r],
      size: c.size[r],
      type: TYPES[info & 0xf],
      binding: BINDINGS[info >> 4],
      visibility: VISIBILITIES[c.other[r] & 3],
      section: c.shndx[r],
      version: v?.name,
      versionHidden: v?.hidden ?? false,
      dynamic: c.dynamic[r] === 1,
    });
  }

  private buildAddressIndex(): AddressIndex {
    const { value, size, shndx } = this.c;
    const sorted = functionRowsByAddress(this.c);
    const starts: number[] = [];
    const sizes: number[] = [];
    const rows: number[] = [];
    for (let k = 0; k < sorted.length;) {
      // A run of aliases at one address: the best name shows it, the largest size bounds it.
      let best = sorted[k];
      let sz = size[best];
      let j = k + 1;
      for (; j < sorted.length && value[sorted[j]] === value[best]; j++) {
        const r = sorted[j];
        if (size[r] > sz) sz = size[r];
        if (aliasOrder(this.c, this.elf.bytes, r, best) < 0) best = r;
      }
      starts.push(value[best]);
      sizes.push(sz);
      rows.push(best);
      k = j;
    }
    const ends = new Float64Array(starts.length);
    for (let i = 0; i < starts.length; i++) {
      if (sizes[i] > 0) {
        ends[i] = starts[i] + sizes[i];
        continue;
      }
      const next = i + 1 < starts.length ? starts[i + 1] : Infinity;
      const sec = this.elf.sections[shndx[rows[i]]];
      const secEnd = sec && sec.addr <= starts[i] ? sec.addr + sec.size : starts[i] + 1;
      ends[i] = Math.max(starts[i] + 1, Math.min(next, secEnd));
    }
    return { starts: Float64Array.from(starts), ends, rows: Int32Array.from(rows) };
  }
}

/**
 * Rows of FUNC and IFUNC symbols by ascending value. Each value is packed with its row into one
 * double (value * 2^k + row, exact below 2^53) so a native numeric sort does the work without
 * a comparator call per comparison; values too large to pack fall back to a comparator.
 */
function functionRowsByAddress(c: SymbolColumns): ArrayLike<number> {
  const { info, value } = c;
  const rows: number[] = [];
  let max = 0;
  for (let r = 0; r < c.count; r++) {
    const t = info[r] & 0xf;
    if (t !== STT_FUNC && t !== STT_GNU_IFUNC) continue;
    rows.push(r);
    if (value[r] > max) max = value[r];
  }
  let mult = 1;
  while (mult <= c.count) mult *= 2;
  if (max * mult + mult > Number.MAX_SAFE_INTEGER) return rows.sort((a, b) => value[a] - value[b] || a - b);
  const keys = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) keys[i] = value[rows[i]] * mult + rows[i];
  keys.sort();
  const out = new Int32Array(rows.length);
  for (let i = 0; i < keys.length; i++) out[i] = keys[i] % mult;
  return out;
}

/**
 * The name `readelf -Ws` shows: `malloc@@GLIBC_2.2.5`, `memcpy@GLIBC_2.2.5`, or the bare name
 * (also for the symbols that name a version itself, like `GLIBC_2.2.5`). {@link
 * SymbolTable.lookup} accepts all of these.
 */
export function versionedName(s: ElfSymbol): string {
  if (s.version === undefined || s.version === s.name) return s.name;
  return `${s.name}${s.versionHidden ? "@" : "@@"}${s.version}`;
}

const BINDING_RANK: Record<SymbolBinding, number> = { global: 0, unique: 0, weak: 1, local: 2 };

/** Same name: the default version, then the stronger binding, then functions, then dynamic. */
function lookupOrder(a: ElfSymbol, b: ElfSymbol): number {
  return (
    Number(a.versionHidden) - Number(b.versionHidden) ||
    BINDING_RANK[a.binding] - BINDING_RANK[b.binding] ||
    Number(b.type === "func") - Number(a.type === "func") ||
    Number(b.dynamic) - Number(a.dynamic)
  );
}

/**
 * Same address: a sized symbol, the stronger binding, the default version, fewer leading "_",
 * the shorter name, then byte order. Compared on the columns, so no name is decoded.
 */
function aliasOrder(c: SymbolColumns, bytes: Uint8Array, a: number, b: number): number {
  return (
    Number(c.size[b] > 0) - Number(c.size[a] > 0) ||
    BINDING_RANK[BINDINGS[c.info[a] >> 4]] - BINDING_RANK[BINDINGS[c.info[b] >> 4]] ||
    (c.versym[a] & VERSYM_HIDDEN) - (c.versym[b] & VERSYM_HIDDEN) ||
    underscores(bytes, c.nameAt[a], c.nameLen[a]) - underscores(bytes, c.nameAt[b], c.nameLen[b]) ||
    c.nameLen[a] - c.nameLen[b] ||
    compareBytes(bytes, c.nameAt[a], c.nameAt[b], c.nameLen[a])
  );
}

function underscores(bytes: Uint8Array, at: number, len: number): number {
  let i = 0;
  while (i < len && bytes[at + i] === 0x5f) i++;
  return i;
}

function compareBytes(bytes: Uint8Array, a: number, b: number, len: number): number {
  for (let i = 0; i < len; i++) if (bytes[a + i] !== bytes[b + i]) return bytes[a + i] - bytes[b + i];
  return 0;
}
