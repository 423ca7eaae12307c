/**
 * ELF64 wire constants (from the gABI and glibc's elf.h) and the decoded shapes of the file
 * header, sections, program headers and notes. Shared by every file of the module.
 *
 * Addresses, offsets and sizes are plain numbers: every user-space address fits in 53 bits,
 * and numbers keep sorting and binary search fast. A 64-bit field above 2^53 (kernel images,
 * some absolute symbols) is rounded; file offsets and sizes are always checked against the
 * file length first, so those are exact.
 */

export const ELF_HEADER_SIZE = 64;
export const SECTION_HEADER_SIZE = 64;
export const PROGRAM_HEADER_SIZE = 56;
export const SYMBOL_SIZE = 24;

/** `e_type`. */
export const ET = { REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
export type ElfType = keyof typeof ET;

/** `e_machine` values we read; others are refused (USDT arguments and pt_regs are per arch). */
export const EM = { x86_64: 62, aarch64: 183 } as const;
export type ElfMachine = keyof typeof EM;

/** `sh_type`. */
export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  GNU_HASH: 0x6ffffff6,
  GNU_VERDEF: 0x6ffffffd,
  GNU_VERNEED: 0x6ffffffe,
  GNU_VERSYM: 0x6fffffff,
} as const;

/** `sh_flags` bits (all standard ones live in the low 32 bits, which is what we keep). */
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4, MERGE: 0x10, STRINGS: 0x20, TLS: 0x400 } as const;

/** `p_type`. */
export const PT = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
} as const;

/** `p_flags` bits. */
export const PF = { X: 0x1, W: 0x2, R: 0x4 } as const;

/** Special section indices (`st_shndx`, `e_shstrndx`). */
export const SHN = { UNDEF: 0, LORESERVE: 0xff00, ABS: 0xfff1, COMMON: 0xfff2, XINDEX: 0xffff } as const;

/** Note types we decode, with the owner name they belong to. */
export const NT_GNU_BUILD_ID = 3;
export const NT_STAPSDT = 3;

/** One section header, decoded. `name` comes from the section header string table. */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  /** `sh_type`, see {@link SHT}. */
  readonly type: number;
  /** Low 32 bits of `sh_flags`, see {@link SHF}. */
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** Byte offset of this section's header in the file, for error messages. */
  readonly headerOffset: number;
}

/**
 * What the symbol and version readers read of an opened file: the Elf class (reader.ts), named
 * here so that they need not import the reader, which imports them.
 */
export interface ElfFile {
  readonly bytes: Uint8Array;
  readonly sections: readonly ElfSection[];
  sectionData(section: ElfSection): Uint8Array;
  string(index: number, offset: number, what: string, at: number): string;
  stringTable(index: number, what: string, at: number): ElfSection;
}

/** One program header, decoded. */
export interface ElfSegment {
  /** `p_type`, see {@link PT}. */
  readonly type: number;
  /** `p_flags`, see {@link PF}. */
  readonly flags: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly align: number;
  /** Byte offset of this program header in the file, for error messages. */
  readonly headerOffset: number;
}

/** One note from a SHT_NOTE section (or, without section headers, a PT_NOTE segment). */
export interface ElfNote {
  /** Owner, e.g. "GNU" or "stapsdt", without its NUL. */
  readonly name: string;
  readonly type: number;
  /** The descriptor bytes: a view into the file, not a copy. */
  readonly desc: Uint8Array;
  /** File offset of `desc`, for error messages. */
  readonly descOffset: number;
  /** The section the note is in (undefined when read from a PT_NOTE segment). */
  readonly section: ElfSection | undefined;
}
