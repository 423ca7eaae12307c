/**
 * GNU symbol versioning for the symbols a shared object defines: .gnu.version (one 16-bit
 * version index per .dynsym entry) and .gnu.version_d (the version definitions those indices
 * name). This is what `readelf -Ws` prints as `malloc@@GLIBC_2.2.5` (the default version) or
 * `memcpy@GLIBC_2.2.5` (an older, hidden one kept for old binaries). Undefined symbols use
 * .gnu.version_r instead; the symbol table skips those, so it is not read here.
 */
import { ElfError } from "./error.ts";
import type { Elf } from "./reader.ts";
import { type ElfSection, SHT } from "./types.ts";

const VERDEF_SIZE = 20;
const VERDAUX_SIZE = 8;
const VER_FLG_BASE = 0x1;
/** Bit 15 of a versym entry: the symbol is not the default version ("@", not "@@"). */
const VERSYM_HIDDEN = 0x8000;

/** A symbol's version: its name and whether it is the default one. */
export interface SymbolVersion {
  readonly name: string;
  readonly hidden: boolean;
}

/** The version data of a .dynsym: raw entries by symbol index, and what an entry means. */
export interface VersionTable {
  /** The raw .gnu.version entry of .dynsym entry `i` (0 when out of range). */
  versym(i: number): number;
  /** What a raw entry names; undefined for unversioned (local or base-version) symbols. */
  version(versym: number): SymbolVersion | undefined;
}

/**
 * The version data of `dynsym`, or undefined when the file has none.
 *
 * @throws {ElfError} on version sections that do not fit, or bad version name offsets.
 */
export function readVersions(elf: Elf, dynsym: ElfSection): VersionTable | undefined {
  const versym = elf.sections.find((s) => s.type === SHT.GNU_VERSYM && s.link === dynsym.index);
  const verdef = elf.sections.find((s) => s.type === SHT.GNU_VERDEF);
  if (!versym || !verdef) return undefined;
  const names = readVerdefs(elf, verdef);
  const data = elf.sectionData(versym);
  const dv = new DataView(data.buffer, data.byteOffset, data.length);
  const count = Math.floor(data.length / 2);
  // Decoded once per version, not per symbol: libc has ~40 versions and ~3000 symbols.
  const cache = new Map<number, SymbolVersion | undefined>();
  return {
    versym: (i) => (i < count ? dv.getUint16(2 * i, true) : 0),
    version(v) {
      if (cache.has(v)) return cache.get(v);
      const name = names.get(v & ~VERSYM_HIDDEN);
      const r = name === undefined ? undefined : { name, hidden: (v & VERSYM_HIDDEN) !== 0 };
      cache.set(v, r);
      return r;
    },
  };
}

/** Version index → version name, from the chain of Elf64_Verdef records. */
function readVerdefs(elf: Elf, verdef: ElfSection): Map<number, string> {
  const names = new Map<number, string>();
  const data = elf.sectionData(verdef);
  const dv = new DataView(data.buffer, data.byteOffset, data.length);
  const base = verdef.offset;
  let p = 0;
  // Records may be chained in any order; bounding the count keeps a corrupt cycle from hanging.
  const max = Math.floor(data.length / VERDEF_SIZE);
  for (let k = 0; k < max; k++) {
    if (p + VERDEF_SIZE > data.length) {
      throw new ElfError(`Version definition runs past the end of section ${verdef.index} (${verdef.name})`, base + p);
    }
    const version = dv.getUint16(p, true);
    if (version !== 1) throw new ElfError(`Unsupported version definition revision ${version}, expected 1`, base + p);
    const flags = dv.getUint16(p + 2, true);
    const ndx = dv.getUint16(p + 4, true);
    const aux = p + dv.getUint32(p + 12, true);
    const next = dv.getUint32(p + 16, true);
    if (aux + VERDAUX_SIZE > data.length) {
      throw new ElfError(`Version definition ${ndx} has its name record outside its section`, base + p + 12);
    }
    // The base definition names the file itself (its soname); index 1 means "unversioned".
    if ((flags & VER_FLG_BASE) === 0) {
      const what = `the name of symbol version ${ndx}`;
      names.set(ndx, elf.string(verdef.link, dv.getUint32(aux, true), what, base + aux));
    }
    if (next === 0) break;
    p += next;
  }
  return names;
}
