/**
 * The validating first pass of the ELF reader: checks the identification bytes and the file
 * header, then decodes the section and program header tables once, checking that every table,
 * every section's contents and every segment's file image lie inside the file and that every
 * section name is a valid string. After this, slicing a section or segment cannot go out of
 * bounds. Symbols and notes are left for later (lazy, in their own files).
 */
import { ElfError } from "./error.ts";
import { nameBudget, tableString } from "./strings.ts";
import {
  ELF_HEADER_SIZE,
  EM,
  type ElfMachine,
  type ElfSection,
  type ElfSegment,
  ET,
  type ElfType,
  PROGRAM_HEADER_SIZE,
  PT,
  SECTION_HEADER_SIZE,
  SHN,
  SHT,
} from "./types.ts";

/** What the scan hands the reader. */
export interface ScannedElf {
  type: ElfType;
  machine: ElfMachine;
  entry: number;
  sections: ElfSection[];
  segments: ElfSegment[];
}

const MAGIC = [0x7f, 0x45, 0x4c, 0x46]; // "\x7fELF"
const TYPE_NAMES = ["NONE", "REL", "EXEC", "DYN", "CORE"] as const;
const MACHINE_NAMES: Record<number, string> = { 3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 40: "ARM", 243: "RISC-V", 247: "BPF" };

/**
 * Reads an unsigned 64-bit little-endian field as a number (exact below 2^53). The common
 * small case returns the low word itself: JavaScriptCore then keeps the value an integer, and
 * offsets computed from it index typed arrays several times faster than doubles do.
 */
export function u64(dv: DataView, at: number): number {
  const hi = dv.getUint32(at + 4, true);
  const lo = dv.getUint32(at, true);
  return hi === 0 ? lo : lo + hi * 4294967296;
}

export function scanElf(bytes: Uint8Array): ScannedElf {
  const n = bytes.length;
  for (let i = 0; i < 4; i++) {
    if (i >= n) throw new ElfError(`File is ${n} bytes, too short to be ELF: truncated`, n);
    if (bytes[i] !== MAGIC[i]) {
      throw new ElfError(`Bad ELF magic ${hexBytes(bytes.subarray(0, 4))}, expected 7f 45 4c 46 ("\\x7fELF"): not an ELF file`, i);
    }
  }
  if (n < 16) throw new ElfError(`ELF identification is truncated: file is ${n} bytes, needs 16`, n);
  const cls = bytes[4];
  if (cls === 1) throw new ElfError(`32-bit ELF (ELFCLASS32) is not supported: only 64-bit ELF files are read`, 4);
  if (cls !== 2) throw new ElfError(`Invalid ELF class ${cls}, expected 2 (ELFCLASS64)`, 4);
  const data = bytes[5];
  if (data === 2) throw new ElfError(`Big-endian ELF (ELFDATA2MSB) is not supported: only little-endian files are read`, 5);
  if (data !== 1) throw new ElfError(`Invalid ELF data encoding ${data}, expected 1 (little-endian)`, 5);
  if (bytes[6] !== 1) throw new ElfError(`Unsupported ELF version ${bytes[6]}, expected 1`, 6);
  if (n < ELF_HEADER_SIZE) {
    throw new ElfError(`ELF header is truncated: file is ${n} bytes, the header needs ${ELF_HEADER_SIZE}`, n);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);

  const typeNum = dv.getUint16(16, true);
  if (typeNum < ET.REL || typeNum > ET.CORE) {
    throw new ElfError(`Unsupported ELF type 0x${typeNum.toString(16)}: expected REL, EXEC, DYN or CORE`, 16);
  }
  const type = TYPE_NAMES[typeNum] as ElfType;
  const machineNum = dv.getUint16(18, true);
  const machine = (Object.keys(EM) as ElfMachine[]).find((m) => EM[m] === machineNum);
  if (!machine) {
    const known = MACHINE_NAMES[machineNum] ? ` (${MACHINE_NAMES[machineNum]})` : "";
    throw new ElfError(`ELF machine ${machineNum}${known} is not supported: only x86-64 and aarch64 files are read`, 18);
  }
  const entry = u64(dv, 24);
  const phoff = u64(dv, 32);
  const shoff = u64(dv, 40);
  const phentsize = dv.getUint16(54, true);
  let phnum = dv.getUint16(56, true);
  const shentsize = dv.getUint16(58, true);
  let shnum = dv.getUint16(60, true);
  let shstrndx = dv.getUint16(62, true);

  // Extended numbering: counts that do not fit 16 bits live in section header 0.
  if (shoff !== 0 && (shnum === 0 || shstrndx === SHN.XINDEX || phnum === 0xffff)) {
    checkTable("Section header table", shoff, 1, SECTION_HEADER_SIZE, n, 40);
    if (shnum === 0) shnum = u64(dv, shoff + 32);
    if (shstrndx === SHN.XINDEX) shstrndx = dv.getUint32(shoff + 40, true);
    if (phnum === 0xffff) phnum = dv.getUint32(shoff + 44, true);
  }
  if (shoff === 0) shnum = 0;
  if (shnum > 0 && shentsize !== SECTION_HEADER_SIZE) {
    throw new ElfError(`Section header size ${shentsize} is not ${SECTION_HEADER_SIZE}`, 58);
  }
  if (phnum > 0 && phentsize !== PROGRAM_HEADER_SIZE) {
    throw new ElfError(`Program header size ${phentsize} is not ${PROGRAM_HEADER_SIZE}`, 54);
  }
  checkTable("Section header table", shoff, shnum, SECTION_HEADER_SIZE, n, 40);
  checkTable("Program header table", phoff, phnum, PROGRAM_HEADER_SIZE, n, 32);

  const sections = readSections(bytes, dv, shoff, shnum, shstrndx);
  const segments = readSegments(dv, phoff, phnum, n);
  return { type, machine, entry, sections, segments };
}

function checkTable(what: string, off: number, count: number, entsize: number, n: number, at: number): void {
  if (count === 0) return;
  if (off > n || count * entsize > n - off) {
    throw new ElfError(
      `${what} (offset ${off}, ${count} entries of ${entsize} bytes) runs past the end of the ${n}-byte file: truncated`,
      at,
    );
  }
}

function readSections(bytes: Uint8Array, dv: DataView, shoff: number, shnum: number, shstrndx: number): ElfSection[] {
  const n = bytes.length;
  if (shnum > 0 && shstrndx >= shnum) {
    throw new ElfError(`Section name table index ${shstrndx} is out of range (0..${shnum - 1})`, 62);
  }
  const raw: Omit<ElfSection, "name">[] = [];
  const nameOffs: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * SECTION_HEADER_SIZE;
    const s = {
      index: i,
      type: dv.getUint32(h + 4, true),
      flags: dv.getUint32(h + 8, true),
      addr: u64(dv, h + 16),
      offset: u64(dv, h + 24),
      size: u64(dv, h + 32),
      link: dv.getUint32(h + 40, true),
      info: dv.getUint32(h + 44, true),
      addralign: u64(dv, h + 48),
      entsize: u64(dv, h + 56),
      headerOffset: h,
    };
    // Section 0 is reserved (and holds extended counts); NOBITS sections occupy no file bytes.
    if (i > 0 && s.type !== SHT.NOBITS && s.type !== SHT.NULL && (s.offset > n || s.size > n - s.offset)) {
      throw new ElfError(
        `Section ${i} (offset ${s.offset}, size ${s.size}) runs past the end of the ${n}-byte file: truncated`,
        h + 24,
      );
    }
    raw.push(s);
    nameOffs.push(dv.getUint32(h, true));
  }
  let strStart = 0;
  let strSize = 0;
  if (shstrndx !== SHN.UNDEF && shnum > 0) {
    const t = raw[shstrndx];
    if (t.type === SHT.NOBITS || t.type === SHT.NULL) {
      throw new ElfError(`Section name table (section ${shstrndx}) has no contents`, t.headerOffset + 4);
    }
    strStart = t.offset;
    strSize = t.size;
  }
  const budget = nameBudget(strSize);
  return raw.map((s, i) => ({
    ...s,
    name: strSize === 0 ? "" : tableString(bytes, strStart, strSize, nameOffs[i], `the name of section ${i}`, s.headerOffset, budget),
  }));
}

function readSegments(dv: DataView, phoff: number, phnum: number, n: number): ElfSegment[] {
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * PROGRAM_HEADER_SIZE;
    const p: ElfSegment = {
      type: dv.getUint32(h, true),
      flags: dv.getUint32(h + 4, true),
      offset: u64(dv, h + 8),
      vaddr: u64(dv, h + 16),
      paddr: u64(dv, h + 24),
      filesz: u64(dv, h + 32),
      memsz: u64(dv, h + 40),
      align: u64(dv, h + 48),
      headerOffset: h,
    };
    if (p.filesz > 0 && (p.offset > n || p.filesz > n - p.offset)) {
      throw new ElfError(
        `Segment ${i} (offset ${p.offset}, file size ${p.filesz}) runs past the end of the ${n}-byte file: truncated`,
        h + 8,
      );
    }
    // The kernel refuses such a PT_LOAD too: the file image cannot be larger than the mapping.
    if (p.type === PT.LOAD && p.filesz > p.memsz) {
      throw new ElfError(`Loadable segment ${i} has file size ${p.filesz} larger than its memory size ${p.memsz}`, h + 32);
    }
    segments.push(p);
  }
  return segments;
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
