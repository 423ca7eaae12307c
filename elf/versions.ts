/**
 * GNU symbol versioning: .gnu.version holds one 16-bit version index per .dynsym entry; the
 * index names either a version this file defines (.gnu.version_d) or one it requires from a
 * library (.gnu.version_r). This is what `readelf -Ws` prints as `malloc@@GLIBC_2.2.5` (the
 * default version), `memcpy@GLIBC_2.2.5` (an older one kept for old binaries), or, for a
 * variable an executable copies out of libc, `stdout@GLIBC_2.2.5 (2)`.
 */
import { ElfError } from "./error.ts";
import { type ElfFile, type ElfSection, SHT } from "./types.ts";

const VERDEF_SIZE = 20;
const VERDAUX_SIZE = 8;
const VERNEED_SIZE = 16;
const VERNAUX_SIZE = 16;
const VER_FLG_BASE = 0x1;
/** Bit 15 of a versym entry: the symbol is not the default version ("@", not "@@"). */
const VERSYM_HIDDEN = 0x8000;

/** A symbol's version, and whether it is other than the symbol's default ("@", not "@@"). */
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
 * @throws {ElfError} on version records that do not fit their section, an unknown record
 * revision, or a bad version name offset.
 */
export function readVersions(elf: ElfFile, dynsym: ElfSection): VersionTable | undefined {
  const versym = elf.sections.find((s) => s.type === SHT.GNU_VERSYM && s.link === dynsym.index);
  if (!versym) return undefined;
  // Definitions and requirements share one index space (indices 0 and 1 are reserved).
  const names = new Map<number, SymbolVersion>();
  const verdef = elf.sections.find((s) => s.type === SHT.GNU_VERDEF);
  if (verdef) readChain(elf, verdef, VERDEF_SIZE, "definition", (dv, p) => readVerdef(elf, verdef, dv, p, names));
  const verneed = elf.sections.find((s) => s.type === SHT.GNU_VERNEED);
  if (verneed) {
    // Every auxiliary record takes 16 bytes of the section. Counting them against that, not
    // per requirement, keeps requirements that share one chain (each walking it to the end:
    // the square of the section's size) from holding the reader.
    const aux = { left: Math.floor(verneed.size / VERNAUX_SIZE) };
    readChain(elf, verneed, VERNEED_SIZE, "requirement", (dv, p) => readVerneed(elf, verneed, dv, p, names, aux));
  }
  const data = elf.sectionData(versym);
  const dv = new DataView(data.buffer, data.byteOffset, data.length);
  const count = Math.floor(data.length / 2);
  const hidden = new Map<number, SymbolVersion>();
  return {
    versym: (i) => (i < count ? dv.getUint16(2 * i, true) : 0),
    version(v) {
      const named = names.get(v & ~VERSYM_HIDDEN);
      if (!named || (v & VERSYM_HIDDEN) === 0 || named.hidden) return named;
      // One shared object per version, not per symbol: libc has ~40 versions, 3000 symbols.
      let h = hidden.get(v);
      if (!h) hidden.set(v, (h = { name: named.name, hidden: true }));
      return h;
    },
  };
}

/**
 * Walks a chain of version records linked by byte offsets (`next` is the record's last word).
 * Bounding the count by what fits in the section keeps a corrupt cycle from hanging.
 */
function readChain(
  elf: ElfFile,
  sec: ElfSection,
  size: number,
  what: string,
  read: (dv: DataView, p: number) => void,
): void {
  const data = elf.sectionData(sec);
  const dv = new DataView(data.buffer, data.byteOffset, data.length);
  let p = 0;
  for (let k = 0, max = Math.floor(data.length / size); k < max; k++) {
    if (p + size > data.length) {
      throw new ElfError(`Version ${what} runs past the end of section ${sec.index} (${sec.name || "unnamed"})`, sec.offset + p);
    }
    const revision = dv.getUint16(p, true);
    if (revision !== 1) throw new ElfError(`Unsupported version ${what} revision ${revision}, expected 1`, sec.offset + p);
    read(dv, p);
    const next = dv.getUint32(p + size - 4, true);
    if (next === 0) break;
    p += next;
  }
}

/** Elf64_Verdef: revision, flags, index, aux count, hash, aux offset, next; then Verdaux. */
function readVerdef(elf: ElfFile, sec: ElfSection, dv: DataView, p: number, names: Map<number, SymbolVersion>): void {
  const flags = dv.getUint16(p + 2, true);
  const ndx = dv.getUint16(p + 4, true);
  const aux = p + dv.getUint32(p + 12, true);
  if (aux + VERDAUX_SIZE > dv.byteLength) {
    throw new ElfError(`Version definition ${ndx} has its name record outside its section`, sec.offset + p + 12);
  }
  // The base definition names the file itself (its soname); index 1 means "unversioned".
  if (flags & VER_FLG_BASE) return;
  const name = elf.string(sec.link, dv.getUint32(aux, true), `the name of symbol version ${ndx}`, sec.offset + aux);
  names.set(ndx, { name, hidden: false });
}

/** Elf64_Verneed: revision, aux count, file, aux offset, next; then a chain of Vernaux. */
function readVerneed(
  elf: ElfFile,
  sec: ElfSection,
  dv: DataView,
  p: number,
  names: Map<number, SymbolVersion>,
  auxRecords: { left: number },
): void {
  const count = dv.getUint16(p + 2, true);
  let aux = p + dv.getUint32(p + 8, true);
  for (let k = 0; k < count; k++) {
    if (aux + VERNAUX_SIZE > dv.byteLength) {
      throw new ElfError(`Version requirement has a record outside its section`, sec.offset + p + 8);
    }
    if (--auxRecords.left < 0) {
      throw new ElfError(`Version requirements list more auxiliary records than fit their section`, sec.offset + p + 8);
    }
    const ndx = dv.getUint16(aux + 6, true) & ~VERSYM_HIDDEN;
    const name = elf.string(sec.link, dv.getUint32(aux + 8, true), `the name of required version ${ndx}`, sec.offset + aux + 8);
    // A version required from another object is never the symbol's own default.
    names.set(ndx, { name, hidden: true });
    const next = dv.getUint32(aux + 12, true);
    if (next === 0) break;
    aux += next;
  }
}
