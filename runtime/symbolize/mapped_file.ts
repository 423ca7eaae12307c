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
 * instead, from the same descriptor, with the same size bound (elf_parts.ts).
 */
import { libcSync } from "../ffi/mod.ts";
import { MAX_BINARY_BYTES, openInRoot, openRegular, readBounded, reopenRegular } from "../files.ts";
import { asProcess, type ProcessRef } from "../process_files.ts";
import { pseudoFilesystem } from "../pseudo_fs.ts";
import { fstat, S_IFMT, S_IFREG } from "../file_stat.ts";
import { copyElfParts } from "../elf_parts.ts";

const SYS_LSEEK = 8, SEEK_END = 2n;
const PROT_READ = 1, MAP_PRIVATE = 2;

/** How mapFile finds a file. */
export interface FileLookup {
  /** The file it must be: its device and inode (a path read from a record can name another file by now). */
  identity?: { dev: bigint; ino: bigint };
  /**
   * How the path is opened (as openRegular does, which it is by default): a path another process
   * names, inside its root and with its user's rights (process_files.ts asProcess).
   */
  open?: (path: string) => number | string;
}

/**
 * A path a maps line of `process` names, as the process sees it: inside its root, with its user's
 * rights (none when it has gone), through no symlink. Such a path is the kernel's, with none on
 * the way; a symlink there is its user's, put there since: a process of nobody's that became root
 * (sudo) would have root's rights follow it to root's files (tests/security/mapped_file_exec.test.ts).
 */
export function inRootOf(process: ProcessRef | undefined): FileLookup {
  return { open: (path) => asProcess(process, (root) => reopenRegular(openInRoot(root!, path, false, true))) };
}

/**
 * The file's bytes, or undefined if it cannot be opened or is empty, or is not the file
 * `lookup` asks for, or is on a pseudo filesystem. Never throws.
 */
export function mapFile(path: string, lookup: FileLookup = {}): Uint8Array | undefined {
  const c = libcSync();
  const { identity, open } = lookup;
  // The path comes from another process's maps or files: by now it may name a FIFO or a device.
  const fd = open ? open(path) : openRegular(path, false);
  if (typeof fd === "string" || fd < 0) return undefined;
  try {
    const st = fstat(fd);
    if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFREG) return undefined;
    if (identity && (st.dev !== identity.dev || st.ino !== identity.ino)) return undefined;
    // No library or debug file is there, and reading some of their root-owned files acts
    // (/proc/kmsg takes the kernel's messages from syslog, a PCI device's resource file is its registers).
    if (pseudoFilesystem(fd)) return undefined;
    if (st.uid !== 0 || st.mode & 0o022) return st.size > 0 && st.size <= MAX_BINARY_BYTES ? copyParts(fd, st.size) : undefined;
    const size = c.syscall(SYS_LSEEK, BigInt(fd), 0n, SEEK_END);
    if (size <= 0) return undefined;
    const address = c.mmap(size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (address >= 0n) return new Uint8Array(c.view(address, size));
    // Some file systems cannot mmap (or the address space is full): read it instead.
    c.syscall(SYS_LSEEK, BigInt(fd), 0n, 0n);
    return readBounded(fd, path, size, MAX_BINARY_BYTES);
  } catch {
    return undefined;
  } finally {
    c.close(fd);
  }
}

const copied = new WeakMap<Uint8Array, number>();

/** How many bytes of `bytes` (from mapFile) were copied, and are held in memory: 0 for a mapped file. */
export function copiedBytes(bytes: Uint8Array): number {
  return copied.get(bytes) ?? 0;
}

/** The parts of the file open at `fd` symbolizing reads (elf_parts.ts), counted as copied. */
function copyParts(fd: number, size: number): Uint8Array | undefined {
  const parts = copyElfParts(fd, size);
  if (parts) copied.set(parts.bytes, parts.copied);
  return parts?.bytes;
}

/**
 * A copy of `length` bytes of this process's own memory at `address`, e.g. its vDSO, which
 * the kernel maps into every process identically.
 */
export function copyOwnMemory(address: number, length: number): Uint8Array {
  return new Uint8Array(libcSync().view(BigInt(address), length)).slice();
}
