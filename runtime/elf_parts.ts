/**
 * An ELF file as reading its symbols, notes and headers sees it, without reading all of it: the
 * ELF header, program and section header tables and every section but large code and data
 * (.text, .rodata, .debug_*), read from an open descriptor into an array of the file's size whose
 * other bytes stay zero. Such an array's untouched pages cost no memory, so a 1 GiB binary costs
 * about its symbol tables. Used for files others may write or make large: the copies the
 * symbolizer makes of other users' mapped files, and the binaries uprobes and `tsbpf list` read.
 */
import { libcSync } from "./ffi/mod.ts";

/**
 * The most bytes copied out of one file: several times the symbol tables of any real binary
 * (LLVM's 260,000 symbols take 30 MB). A file's owner chooses its section table: a sparse file
 * of 1 GiB (16 KB on disk) whose symbol table was all of it cost root's tracer 1 GB, for as long
 * as it ran (tests/security/elf_copy_size.test.ts). A larger copy is not made.
 */
export const MAX_COPIED_BYTES = 256 << 20;

/** Sections of code or data larger than this are not copied: symbols, notes and versions never read them. */
const SKIPPED_SECTION_BYTES = 64 << 10;
const SHT_PROGBITS = 1, SHT_NOBITS = 8;
const SYS_LSEEK = 8, SEEK_SET = 0n;

/**
 * The parts of the file open at `fd`, of `size` bytes, and how many bytes were copied; undefined
 * when it is too small for an ELF header or its sections to copy add up to more than
 * MAX_COPIED_BYTES. A part that cannot be read (the file truncated meanwhile) stays zero: the
 * parse fails on what is missing.
 */
export function copyElfParts(fd: number, size: number): { bytes: Uint8Array; copied: number } | undefined {
  const bytes = new Uint8Array(size);
  const readAt = (offset: number, length: number): boolean => {
    if (offset < 0 || length < 0 || offset + length > size) return false;
    if (libcSync().syscall(SYS_LSEEK, BigInt(fd), BigInt(offset), SEEK_SET) !== offset) return false;
    for (let done = 0; done < length;) {
      const n = libcSync().read(fd, bytes.subarray(offset + done), length - done);
      if (n === -4) continue;
      if (n <= 0) return false;
      done += n;
    }
    return true;
  };
  if (size < 64 || !readAt(0, 64)) return undefined; // not even an ELF header
  const v = new DataView(bytes.buffer);
  const phoff = Number(v.getBigUint64(32, true)), shoff = Number(v.getBigUint64(40, true));
  const phentsize = v.getUint16(54, true), phnum = v.getUint16(56, true);
  const shentsize = v.getUint16(58, true), shnum = v.getUint16(60, true);
  readAt(phoff, phentsize * phnum);
  let total = 64 + phentsize * phnum + shentsize * shnum;
  if (shentsize < 64 || !readAt(shoff, shentsize * shnum)) return { bytes, copied: total };
  const parts: [offset: number, length: number][] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const type = v.getUint32(at + 4, true);
    const offset = Number(v.getBigUint64(at + 24, true)), length = Number(v.getBigUint64(at + 32, true));
    if (type === SHT_NOBITS || (type === SHT_PROGBITS && length > SKIPPED_SECTION_BYTES)) continue;
    parts.push([offset, length]);
    if ((total += length) > MAX_COPIED_BYTES) return undefined;
  }
  for (const [offset, length] of parts) readAt(offset, length);
  return { bytes, copied: total };
}
