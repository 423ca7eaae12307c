/**
 * A whole file as bytes without reading it: mmap(MAP_PRIVATE, PROT_READ). Symbolizing touches
 * only an ELF file's headers and symbol tables, a few hundred KB of a 100 MB binary, and the
 * page cache serves those; reading the file would copy all of it first.
 *
 * The mapping is never unmapped: the bytes back an `Elf` whose symbol table may be queried
 * for the rest of the process's life. It costs address space, not memory.
 *
 * A file truncated while mapped raises SIGBUS where its lost pages are touched, which would
 * kill the tracer. Only a file no one but root can write (owned by root, not group- or
 * world-writable) is mapped, then; any other (a traced user's library, its debug file) may be
 * truncated by its owner at any moment, so the parts of it symbolizing reads are copied
 * instead, from the same descriptor, with the same size bound (copyElfParts).
 */
import { libcSync } from "../ffi/mod.ts";
import { MAX_BINARY_BYTES, openRegular, readCheckedFile } from "../files.ts";
import { fstat, S_IFMT, S_IFREG } from "../file_stat.ts";

const SYS_LSEEK = 8, SEEK_END = 2n;
const PROT_READ = 1, MAP_PRIVATE = 2;

/**
 * The file's bytes, or undefined if it cannot be opened or is empty, or is not the file
 * `identity` names (its device and inode: a path read from a record can name another file by now).
 * Never throws.
 */
export function mapFile(path: string, identity?: { dev: bigint; ino: bigint }): Uint8Array | undefined {
  const c = libcSync();
  // The path comes from another process's maps: by now it may name a FIFO or a device.
  const fd = openRegular(path, false);
  if (typeof fd === "string" || fd < 0) return undefined;
  let size: number;
  let address: bigint;
  try {
    const st = fstat(fd);
    if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFREG) return undefined;
    if (identity && (st.dev !== identity.dev || st.ino !== identity.ino)) return undefined;
    if (st.uid !== 0 || st.mode & 0o022) return st.size > 0 && st.size <= MAX_BINARY_BYTES ? copyElfParts(fd, st.size) : undefined;
    size = c.syscall(SYS_LSEEK, BigInt(fd), 0n, SEEK_END);
    if (size <= 0) return undefined;
    address = c.mmap(size, PROT_READ, MAP_PRIVATE, fd, 0);
  } finally {
    c.close(fd);
  }
  if (address < 0n) {
    // Some file systems cannot mmap (or the address space is full): read it instead.
    try {
      return readCheckedFile(path, { maxBytes: MAX_BINARY_BYTES });
    } catch {
      return undefined;
    }
  }
  return new Uint8Array(c.view(address, size));
}

/**
 * The most bytes copied out of one file: several times the symbol tables of any real binary
 * (LLVM's 260,000 symbols take 30 MB). A file's owner chooses its section table: a sparse file
 * of 1 GiB (16 KB on disk) whose symbol table was all of it cost root's tracer 1 GB, for as long
 * as it ran (tests/security/elf_copy_size.test.ts). A larger copy is not made: the file is left
 * unread, its frames unnamed.
 */
export const MAX_COPIED_BYTES = 256 << 20;
const copied = new WeakMap<Uint8Array, number>();

/** How many bytes of `bytes` (from mapFile) were copied, and are held in memory: 0 for a mapped file. */
export function copiedBytes(bytes: Uint8Array): number {
  return copied.get(bytes) ?? 0;
}

/** Sections of code or data larger than this are not copied: symbolizing never reads them. */
const SKIPPED_SECTION_BYTES = 64 << 10;
const SHT_PROGBITS = 1, SHT_NOBITS = 8;

/**
 * A file of `size` bytes as symbolizing sees it: the ELF header, program and section header
 * tables and every section but large code and data (.text, .rodata, .debug_*), read from
 * `fd` into an array of the file's size whose other bytes stay zero. Such an array's untouched
 * pages cost no memory, so a 1 GiB binary costs about its symbol tables, as mapping it did.
 */
function copyElfParts(fd: number, size: number): Uint8Array | undefined {
  const bytes = new Uint8Array(size);
  const readAt = (offset: number, length: number): boolean => {
    if (offset < 0 || length < 0 || offset + length > size) return false;
    if (libcSync().syscall(SYS_LSEEK, BigInt(fd), BigInt(offset), 0n) !== offset) return false;
    for (let done = 0; done < length;) {
      const n = libcSync().read(fd, bytes.subarray(offset + done), length - done);
      if (n === -4) continue;
      if (n <= 0) return false; // truncated meanwhile: the parse fails on what is missing
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
  if (shentsize < 64 || !readAt(shoff, shentsize * shnum)) return (copied.set(bytes, total), bytes);
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
  copied.set(bytes, total);
  return bytes;
}

/**
 * A copy of `length` bytes of this process's own memory at `address`, e.g. its vDSO, which
 * the kernel maps into every process identically.
 */
export function copyOwnMemory(address: number, length: number): Uint8Array {
  return new Uint8Array(libcSync().view(BigInt(address), length)).slice();
}
