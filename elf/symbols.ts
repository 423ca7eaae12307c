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
import { ElfError } from "./error.ts";
import { globMatcher } from "./glob.ts";
import type { Elf } from "./reader.ts";
import { u64 } from "./scan.ts";
import { tableString } from "./strings.ts";
import { type ElfSection, SHN, SHT, SYMBOL_SIZE } from "./types.ts";
import { readVersions, type SymbolVersion } from "./versions.ts";

export type SymbolType = "notype" | "object" | "func" | "tls" | "ifunc";
export type SymbolBinding = "local" | "global" | "weak" | "unique";
export type SymbolVisibility = "default" | "internal" | "hidden" | "protected";

/** A defined symbol. Results are shared: do not mutate them. */
export interface ElfSymbol {
  readonly name: string;
  /** `st_value`: a link-time virtual address (in REL files, an offset into its section). */
  readonly value: number;
  readonly size: number;
  readonly type: SymbolType;
  readonly binding: SymbolBinding;
  readonly visibility: SymbolVisibility;
  /** `st_shndx`: the section it is defined in, or {@link SHN}.ABS. */
  readonly section: number;
  /** GNU version name, e.g. "GLIBC_2.2.5" (dynamic symbols of versioned libraries only). */
  readonly version: string | undefined;
  /** True for a non-default version: `readelf` prints `name@VER` rather than `name@@VER`. */
  readonly versionHidden: boolean;
  /** Whether it came from .dynsym (else .symtab). */
  readonly dynamic: boolean;
}

/** Where an address falls: inside `symbol`, `offset` bytes from its start. */
export interface Symbolized {
  readonly symbol: ElfSymbol;
  readonly offset: number;
}

// Index = the numeric STT_/STB_/STV_ value; undefined entries (section, file, common symbols,
// OS-specific bindings) are skipped because they never name code or data worth probing.
const TYPES: (SymbolType | undefined)[] = ["notype", "object", "func", undefined, undefined, undefined, "tls", undefined, undefined, undefined, "ifunc"];
const BINDINGS: (SymbolBinding | undefined)[] = ["local", "global", "weak", undefined, undefined, undefined, undefined, undefined, undefined, undefined, "unique"];
const VISIBILITIES: SymbolVisibility[] = ["default", "internal", "hidden", "protected"];

/** Sorted function starts, their ends, and the one name to show for each. */
interface AddressIndex {
  starts: Float64Array;
  ends: Float64Array;
  symbols: ElfSymbol[];
}

/** How far `symbolize` looks back for an enclosing function when the nearest one ends early. */
const MAX_LOOKBACK = 8;

export class SymbolTable {
  /** Every defined symbol: .dynsym's first, then those of .symtab that .dynsym lacks. */
  readonly symbols: readonly ElfSymbol[];
  private readonly elf: Elf;
  private byName: Map<string, ElfSymbol[]> | undefined;
  private index: AddressIndex | undefined;

  private constructor(elf: Elf, symbols: ElfSymbol[]) {
    this.elf = elf;
    this.symbols = symbols;
  }

  /**
   * Reads the symbols of `elf` (use {@link Elf.symbols}, which caches this).
   *
   * @throws {ElfError} on a symbol table whose entry size is not 24, whose size is not a
   * multiple of it, whose string table is not one, or with a name offset out of range.
   */
  static of(elf: Elf): SymbolTable {
    const out: ElfSymbol[] = [];
    const dynsym = elf.sections.find((s) => s.type === SHT.DYNSYM);
    const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB);
    if (dynsym) readTable(elf, dynsym, true, out, undefined);
    if (symtab) {
      // Unstripped files list every dynamic symbol in both tables: keep one copy.
      const seen = new Set(out.map((s) => `${s.name}\0${s.value}`));
      readTable(elf, symtab, false, out, seen);
    }
    return new SymbolTable(elf, out);
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
    const byName = (this.byName ??= this.buildNameIndex());
    const exact = byName.get(name);
    if (exact) return exact;
    const at = name.indexOf("@");
    if (at <= 0) return [];
    const version = name.slice(name.startsWith("@@", at) ? at + 2 : at + 1);
    const all = byName.get(name.slice(0, at)) ?? [];
    const versioned = all.filter((s) => s.version === version);
    // A static symbol table carries no version data: then the version cannot be checked.
    return versioned.length > 0 || all.some((s) => s.version !== undefined) ? versioned : all;
  }

  /** Symbols whose name matches `glob` (`*` and `?` wildcards), in table order. */
  match(glob: string): ElfSymbol[] {
    const test = globMatcher(glob);
    return this.symbols.filter((s) => test(s.name));
  }

  /**
   * The function (FUNC or IFUNC symbol) containing link-time address `addr`, and the offset
   * into it. Aliases at one address (`malloc`, `__libc_malloc`) resolve to one name: global
   * before weak before local, then the fewest leading underscores, then the shortest.
   * A size-0 symbol (hand-written assembly) extends to the next function or its section's end.
   */
  symbolize(addr: number): Symbolized | undefined {
    const { starts, ends, symbols } = (this.index ??= this.buildAddressIndex());
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= addr) lo = mid + 1;
      else hi = mid;
    }
    // The nearest start may end before `addr` while an earlier, larger function encloses it.
    for (let i = lo - 1; i >= 0 && i >= lo - MAX_LOOKBACK; i--) {
      if (addr < ends[i]) return { symbol: symbols[i], offset: addr - starts[i] };
    }
    return undefined;
  }

  private buildNameIndex(): Map<string, ElfSymbol[]> {
    const byName = new Map<string, ElfSymbol[]>();
    for (const s of this.symbols) {
      const list = byName.get(s.name);
      if (list) list.push(s);
      else byName.set(s.name, [s]);
    }
    for (const list of byName.values()) if (list.length > 1) list.sort(lookupOrder);
    return byName;
  }

  private buildAddressIndex(): AddressIndex {
    const funcs = this.symbols.filter((s) => s.type === "func" || s.type === "ifunc");
    funcs.sort((a, b) => a.value - b.value || aliasOrder(a, b));
    const starts: number[] = [];
    const sizes: number[] = [];
    const best: ElfSymbol[] = [];
    for (const s of funcs) {
      const last = starts.length - 1;
      if (last >= 0 && starts[last] === s.value) {
        // An alias: the first (best) one names the address; the largest size wins.
        if (s.size > sizes[last]) sizes[last] = s.size;
        continue;
      }
      starts.push(s.value);
      sizes.push(s.size);
      best.push(s);
    }
    const ends = new Float64Array(starts.length);
    for (let i = 0; i < starts.length; i++) {
      if (sizes[i] > 0) {
        ends[i] = starts[i] + sizes[i];
        continue;
      }
      const next = i + 1 < starts.length ? starts[i + 1] : Infinity;
      const sec = this.elf.sections[best[i].section];
      const secEnd = sec && sec.addr <= starts[i] ? sec.addr + sec.size : starts[i] + 1;
      ends[i] = Math.max(starts[i] + 1, Math.min(next, secEnd));
    }
    return { starts: Float64Array.from(starts), ends, symbols: best };
  }
}

/** The name `readelf -Ws` shows: `malloc@@GLIBC_2.2.5`, `memcpy@GLIBC_2.2.5`, or the bare name. */
export function versionedName(s: ElfSymbol): string {
  return s.version === undefined ? s.name : `${s.name}${s.versionHidden ? "@" : "@@"}${s.version}`;
}

function readTable(elf: Elf, sec: ElfSection, dynamic: boolean, out: ElfSymbol[], seen: Set<string> | undefined): void {
  const where = `section ${sec.index} (${sec.name || "unnamed"})`;
  if (sec.entsize !== SYMBOL_SIZE) {
    throw new ElfError(`Symbol table ${where} has entry size ${sec.entsize}, expected ${SYMBOL_SIZE}`, sec.headerOffset + 56);
  }
  if (sec.size % SYMBOL_SIZE !== 0) {
    throw new ElfError(`Symbol table ${where} is ${sec.size} bytes, not a multiple of ${SYMBOL_SIZE}`, sec.headerOffset + 32);
  }
  const strtab = elf.stringTable(sec.link, `the symbols of ${where}`, sec.headerOffset + 40);
  const versionOf = dynamic ? readVersions(elf, sec) : undefined;
  const bytes = elf.bytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const count = sec.size / SYMBOL_SIZE;
  // Entry 0 is the reserved null symbol.
  for (let i = 1; i < count; i++) {
    const at = sec.offset + i * SYMBOL_SIZE;
    const shndx = dv.getUint16(at + 6, true);
    if (shndx === SHN.UNDEF) continue;
    const info = bytes[at + 4];
    const type = TYPES[info & 0xf];
    const binding = BINDINGS[info >> 4];
    const nameOff = dv.getUint32(at, true);
    if (type === undefined || binding === undefined || nameOff === 0) continue;
    const name = tableString(bytes, strtab.offset, strtab.size, nameOff, `the name of symbol ${i} in ${where}`, at);
    const value = u64(dv, at + 8);
    if (seen?.has(`${name}\0${value}`)) continue;
    const v: SymbolVersion | undefined = versionOf?.(i);
    out.push({
      name,
      value,
      size: u64(dv, at + 16),
      type,
      binding,
      visibility: VISIBILITIES[bytes[at + 5] & 3],
      section: shndx,
      version: v?.name,
      versionHidden: v?.hidden ?? false,
      dynamic,
    });
  }
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

/** Same address: a sized symbol, the stronger binding, fewer leading "_", shorter, then A-Z. */
function aliasOrder(a: ElfSymbol, b: ElfSymbol): number {
  return (
    Number(b.size > 0) - Number(a.size > 0) ||
    BINDING_RANK[a.binding] - BINDING_RANK[b.binding] ||
    Number(a.versionHidden) - Number(b.versionHidden) ||
    underscores(a.name) - underscores(b.name) ||
    a.name.length - b.name.length ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

function underscores(name: string): number {
  let i = 0;
  while (name.charCodeAt(i) === 0x5f) i++;
  return i;
}
