/**
 * An ELF reader: parses ELF64 little-endian executables and shared objects (x86-64, aarch64)
 * from bytes, e.g. the whole of /bin/bash or libc.so.6.
 *
 * Pure: no I/O, no runtime APIs. Parsing is one validating pass over the headers (scan.ts);
 * symbols, version names and notes are decoded on first use and cached.
 *
 * @example
 * ```ts
 * const elf = Elf.parse(new Uint8Array(readFileSync("/lib/x86_64-linux-gnu/libc.so.6")));
 * elf.type;                                   // "DYN"
 * elf.buildId();                              // "a1b2…"
 * const malloc = elf.symbols().lookup("malloc")!;
 * elf.fileOffset(malloc.value);               // where a uprobe on malloc attaches
 * ```
 */
import { ElfError } from "./error.ts";
import { scanElf } from "./scan.ts";
import { decodeString, type NameBudget, nameBudget, tableString } from "./strings.ts";
import { SymbolTable } from "./symbols.ts";
import {
  type ElfMachine,
  type ElfNote,
  type ElfSection,
  type ElfSegment,
  type ElfType,
  NT_GNU_BUILD_ID,
  PT,
  SHT,
} from "./types.ts";

const NOTE_HEADER_SIZE = 12;

export class Elf {
  /** The file, referenced and not copied: do not modify it afterwards. */
  readonly bytes: Uint8Array;
  /** REL (object file), EXEC (fixed-address executable), DYN (PIE or shared object), CORE. */
  readonly type: ElfType;
  readonly machine: ElfMachine;
  /** `e_entry`, a link-time virtual address. */
  readonly entry: number;
  /** Every section header, in file order; index 0 is the reserved null section. */
  readonly sections: readonly ElfSection[];
  /** Every program header, in file order. */
  readonly segments: readonly ElfSegment[];

  private loads: ElfSegment[] | undefined;
  private noteList: ElfNote[] | undefined;
  private symbolTable: SymbolTable | undefined;
  /** What the names read through {@link string} may still add up to, per string table. */
  private readonly nameBudgets = new Map<number, NameBudget>();

  private constructor(bytes: Uint8Array) {
    const s = scanElf(bytes);
    this.bytes = bytes;
    this.type = s.type;
    this.machine = s.machine;
    this.entry = s.entry;
    this.sections = s.sections;
    this.segments = s.segments;
  }

  /**
   * Parses an ELF file. The bytes are referenced, not copied.
   *
   * @throws {ElfError} on bad magic, a 32-bit or big-endian file, an unsupported machine,
   * truncated headers, tables or sections outside the file, or a bad section name.
   */
  static parse(bytes: Uint8Array): Elf {
    return new Elf(bytes);
  }

  /** The first section called `name`, e.g. ".dynsym". */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** A section's bytes: a view into the file (empty for NOBITS sections like .bss). */
  sectionData(section: ElfSection): Uint8Array {
    if (section.type === SHT.NOBITS || section.type === SHT.NULL) return this.bytes.subarray(0, 0);
    // Bounds were checked by the scan.
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  /**
   * The string at `offset` in string table section `index` (a symbol table's `link`).
   * `what` names the referrer and `at` its byte offset, for the error message.
   */
  string(index: number, offset: number, what: string, at: number): string {
    const t = this.stringTable(index, what, at);
    let budget = this.nameBudgets.get(index);
    if (!budget) this.nameBudgets.set(index, (budget = nameBudget(t.size)));
    return tableString(this.bytes, t.offset, t.size, offset, what, at, budget);
  }

  /** Checks that section `index` can serve as a string table and returns it. */
  stringTable(index: number, what: string, at: number): ElfSection {
    const t = this.sections[index];
    if (!t || index === 0 || t.type !== SHT.STRTAB) {
      throw new ElfError(`String table for ${what} is section ${index}, which is not a string table`, at);
    }
    return t;
  }

  /** The PT_LOAD segments, in file order (ascending vaddr, as the gABI requires). */
  loadSegments(): readonly ElfSegment[] {
    return (this.loads ??= this.segments.filter((p) => p.type === PT.LOAD));
  }

  /**
   * The file offset of link-time virtual address `vaddr`, through the PT_LOAD segment whose
   * file image contains it: `vaddr - p_vaddr + p_offset`. That difference is not zero in
   * general (non-PIE executables load at 0x400000 from offset 0; data segments are often
   * shifted by a page), so `vaddr` alone is not a file offset even for PIE and shared objects.
   * This is what the uprobe PMU takes. Undefined when no segment holds the address in its file
   * image (unmapped, or in the zero-filled .bss tail).
   */
  fileOffset(vaddr: number): number | undefined {
    for (const p of this.loadSegments()) {
      if (vaddr >= p.vaddr && vaddr - p.vaddr < p.filesz) return vaddr - p.vaddr + p.offset;
    }
    return undefined;
  }

  /**
   * The link-time virtual address of file offset `offset` (the inverse of {@link fileOffset}).
   * With /proc/<pid>/maps this turns a runtime address into one the symbol table knows:
   * `vaddr(addr - mapStart + mapFileOffset)`.
   */
  vaddr(offset: number): number | undefined {
    for (const p of this.loadSegments()) {
      if (offset >= p.offset && offset - p.offset < p.filesz) return offset - p.offset + p.vaddr;
    }
    return undefined;
  }

  /** The symbols of .symtab and .dynsym, decoded on first call. */
  symbols(): SymbolTable {
    return (this.symbolTable ??= SymbolTable.of(this));
  }

  /**
   * Every note of every SHT_NOTE section; if the file has no section headers, of every PT_NOTE
   * segment instead. Decoded on first call.
   *
   * @throws {ElfError} when a note runs past the end of its section.
   */
  notes(): readonly ElfNote[] {
    if (this.noteList) return this.noteList;
    const notes: ElfNote[] = [];
    const noteSections = this.sections.filter((s) => s.type === SHT.NOTE);
    if (noteSections.length > 0) {
      for (const s of noteSections) this.readNotes(notes, s.offset, s.size, s.addralign, s);
    } else if (this.sections.length === 0) {
      for (const p of this.segments) {
        if (p.type === PT.NOTE) this.readNotes(notes, p.offset, p.filesz, p.align, undefined);
      }
    }
    return (this.noteList = notes);
  }

  /**
   * The GNU build ID (NT_GNU_BUILD_ID note) as lowercase hex, as `readelf -n` and debuginfod
   * print it, or undefined when the file has none.
   */
  buildId(): string | undefined {
    const note = this.notes().find((n) => n.name === "GNU" && n.type === NT_GNU_BUILD_ID);
    if (!note) return undefined;
    return Array.from(note.desc, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /**
   * Notes are `namesz, descsz, type` words, then the name and the descriptor, each padded to
   * the note alignment: 4 bytes, or 8 in sections aligned to 8 (.note.gnu.property), which is
   * how binutils and the kernel tell the two layouts apart.
   */
  private readNotes(out: ElfNote[], start: number, size: number, align: number, section: ElfSection | undefined): void {
    const pad = align === 8 ? 8 : 4;
    const dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
    const end = start + size;
    const where = section ? `section ${section.index} (${section.name || "unnamed"})` : "a PT_NOTE segment";
    let p = start;
    while (end - p >= NOTE_HEADER_SIZE) {
      const namesz = dv.getUint32(p, true);
      const descsz = dv.getUint32(p + 4, true);
      const type = dv.getUint32(p + 8, true);
      const nameAt = p + NOTE_HEADER_SIZE;
      // Padding aligns the descriptor and the next note relative to the (aligned) start.
      const descAt = start + roundUp(nameAt + namesz - start, pad);
      const next = start + roundUp(descAt + descsz - start, pad);
      if (descAt + descsz > end) {
        throw new ElfError(`Note (name size ${namesz}, descriptor size ${descsz}) runs past the end of ${where}`, p);
      }
      // The name includes its NUL; tolerate a missing one (namesz bytes are the whole name).
      const nul = this.bytes.subarray(nameAt, nameAt + namesz).indexOf(0);
      const nameEnd = nul < 0 ? nameAt + namesz : nameAt + nul;
      const name = decodeString(this.bytes, nameAt, nameEnd);
      out.push({ name, type, desc: this.bytes.subarray(descAt, descAt + descsz), descOffset: descAt, section });
      if (next <= p) break; // Cannot happen (the header is 12 bytes), but a loop must always advance.
      p = next;
    }
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
