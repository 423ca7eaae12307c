// Reading kernel files through libc, so Deno needs only --allow-ffi (not --allow-read).
import { cString, libcSync } from "./ffi/mod.ts";
import { errnoName, SyscallError, syscallError } from "./errors.ts";
import { type FileStat, fstat, kindName, S_IFLNK, S_IFMT, S_IFREG, unlink } from "./file_stat.ts";
import { UserFacingError } from "../spec/user_facing.ts";
import { oneLine } from "./one_line.ts";
import { pseudoFilesystem } from "./pseudo_fs.ts";
import { copyElfParts, MAX_COPIED_BYTES } from "./elf_parts.ts";

const O_RDONLY = 0, O_CLOEXEC = 0o2000000, O_PATH = 0o10000000;

const ENOENT = -2, ESRCH = -3, ENOTDIR = -20;

/**
 * The whole file, or undefined if it does not exist. Throws on other errors, and UnsafeFileError
 * past `maxBytes`. A process's /proc file that fails with ESRCH does not exist either: the
 * process exited between open and read.
 */
export function readFileBytes(path: string, maxBytes = Infinity): Uint8Array | undefined {
  const c = libcSync();
  const fd = c.open(path, O_RDONLY | O_CLOEXEC);
  if (fd === ENOENT || fd === ENOTDIR || fd === ESRCH) return undefined;
  if (fd < 0) throw syscallError(`open("${path}")`, fd);
  try {
    // /proc files have no size: start at 64 KiB.
    return readBounded(fd, path, Math.min(65535, maxBytes), maxBytes);
  } catch (e) {
    if (e instanceof SyscallError && e.errno === -ESRCH) return undefined;
    throw e;
  } finally {
    c.close(fd);
  }
}

export function readTextFile(path: string): string | undefined {
  const bytes = readFileBytes(path);
  return bytes && new TextDecoder().decode(bytes);
}

export function fileExists(path: string): boolean {
  const c = libcSync();
  // O_PATH: neither reads nor blocks (opening a FIFO to read would wait for a writer).
  const fd = c.open(path, O_PATH | O_CLOEXEC);
  if (fd >= 0) c.close(fd);
  return fd >= 0 || fd === -13 || fd === -21; // EACCES, EISDIR: it exists
}

const SYS_OPENAT2 = 437, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_IN_ROOT = 0x10, O_DIRECTORY = 0o200000;

/**
 * `path` held O_PATH as the directory `root` (a process's /proc/PID/root, by name or open) sees it: an absolute
 * symlink or a ".." on the way stays inside `root` (openat2 RESOLVE_IN_ROOT), as it does for the
 * processes whose root it is. Looked up through /proc/PID/root by name, an absolute link resolves
 * against our own root instead: a container's user can point /usr/lib there at any file of the
 * host. With `noFollow`, a symlink at the last component is held itself (O_NOFOLLOW), not
 * followed. With `noSymlinks`, a symlink anywhere on the way fails the lookup (-ELOOP; -ENOSYS
 * before 5.6). The fd, or -errno. Kernels before 5.6 (no openat2) look the name up as before.
 */
export function openInRoot(root: string | number, path: string, noFollow = false, noSymlinks = false): number {
  const c = libcSync();
  const dir = typeof root === "number" ? root : c.open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return dir;
  const flags = O_PATH | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0);
  try {
    const how = new BigUint64Array([BigInt(flags), 0n, BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (noSymlinks ? RESOLVE_NO_SYMLINKS : 0))]);
    const name = cString(path);
    const fd = c.syscall(SYS_OPENAT2, BigInt(dir), c.addressOf(name), c.addressOf(new Uint8Array(how.buffer)), BigInt(how.byteLength));
    return fd === -38 && !noSymlinks ? c.open(`${typeof root === "number" ? `/proc/self/fd/${root}` : root}${path}`, flags) : fd; // ENOSYS
  } finally {
    if (dir !== root) c.close(dir);
  }
}

/** fstat of `path` as `root` sees it (openInRoot; of a symlink at the end itself with `noFollow`), or -errno. */
export function statInRoot(root: string | number, path: string, noFollow = false): FileStat | number {
  const fd = openInRoot(root, path, noFollow);
  if (fd < 0) return fd;
  try {
    return fstat(fd);
  } finally {
    libcSync().close(fd);
  }
}

const O_WRONLY = 1, O_CREAT = 0o100, O_EXCL = 0o200, O_NONBLOCK = 0o4000, O_NOFOLLOW = 0o400000;

/**
 * Writes a file whole: to a temporary name first, then renamed, so readers never see half of it.
 * The temporary name is unpredictable and in the target's own directory, and it is created
 * (O_EXCL|O_NOFOLLOW) rather than opened: a file or symlink planted there by another user makes
 * the open fail instead of redirecting root's write.
 */
export function writeFileAtomic(path: string, data: Uint8Array, mode = 0o644): void {
  const c = libcSync();
  const slash = path.lastIndexOf("/");
  const random = [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${random}.tmp`;
  const fd = c.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) throw new FileWriteError(path, `open("${tmp}")`, -fd);
  try {
    try {
      let off = 0;
      while (off < data.length) {
        const n = c.write(fd, data.subarray(off));
        if (n === -4) continue;
        if (n < 0) throw new FileWriteError(path, `write("${tmp}")`, -n);
        off += n;
      }
    } finally {
      c.close(fd);
    }
    const r = c.rename(tmp, path);
    if (r < 0) throw new FileWriteError(path, `rename("${tmp}")`, -r);
  } catch (e) {
    unlink(tmp);
    throw e;
  }
}

/** Why a file could not be written, in words: a full disk must not read as a bare errno. */
const WRITE_FAILURES: Record<number, string> = {
  1: "permission denied", 2: "its directory does not exist", 5: "an I/O error on its device", 13: "permission denied",
  20: "a part of its path is not a directory", 21: "it is a directory", 28: "no space left on the file system it goes to",
  30: "its file system is read-only", 122: "the disk quota is used up",
};

/**
 * writeFileAtomic() failed: the message names the file asked for and why in words (the
 * temporary file written first, and removed, is only in `call`).
 */
export class FileWriteError extends SyscallError {
  constructor(readonly path: string, call: string, errno: number) {
    super(call, errno);
    this.name = "FileWriteError";
    const why = WRITE_FAILURES[errno];
    this.message = `Cannot write "${path}": ${why ? `${why} (${errnoName(errno)})` : `${call} failed: ${errnoName(errno)}`}`;
  }
}

/** The largest executable or library read (its ELF parts: uprobes, `tsbpf list`): larger ones are refused. */
export const MAX_BINARY_BYTES = 1 << 30;

/** A file that is not what a checked read expects (a FIFO, a device, too big, someone else's). */
export class UnsafeFileError extends UserFacingError {
  constructor(readonly path: string, readonly reason: string) {
    super(oneLine(`Refusing to read "${path}": ${reason}`));
    this.name = "UnsafeFileError";
  }
}

export interface CheckedRead {
  /** The most bytes the file may have; a bigger one is refused rather than read. */
  maxBytes: number;
  /** Do not follow a symlink at the last component (for files in places others can write). */
  noFollow?: boolean;
  /** `path` is as the process whose root this is (/proc/PID/root, by name or open) sees it: looked up inside it (openInRoot). */
  root?: string | number;
  /** Accepted owners (uids); any owner when not given. */
  owners?: number[];
  /** Refuse a file its group or other users may write. */
  private?: boolean;
  /** Read only what an ELF file's headers, symbols and notes need (elf_parts.ts), not its code and data. */
  elfParts?: boolean;
  // With `owners` or `private`, a file on a pseudo filesystem (procfs, sysfs, ...) is refused too.
}

/**
 * A file read the way root should read one that another user may have put there: opened
 * non-blocking (a FIFO cannot hang us), checked after opening (fstat: a regular file, of an
 * accepted owner, not bigger than `maxBytes`), and read with that bound. undefined if the file
 * does not exist; UnsafeFileError if it is not acceptable.
 */
export function readCheckedFile(path: string, check: CheckedRead): Uint8Array | undefined {
  const c = libcSync();
  const fd = openRegular(path, check.noFollow ?? false, check.root);
  if (fd === -2 || fd === -20) return undefined; // ENOENT, ENOTDIR
  if (fd === -40) throw new UnsafeFileError(path, "it is a symbolic link (not followed here: anyone may create one)");
  if (typeof fd === "string") throw new UnsafeFileError(path, `it is ${fd}, not a regular file`);
  if (fd < 0) throw syscallError(`open("${path}")`, fd);
  try {
    const st = fstat(fd);
    if (typeof st === "number") throw syscallError(`fstat("${path}")`, st);
    if ((st.mode & S_IFMT) !== S_IFREG) throw new UnsafeFileError(path, `it is ${kindName(st.mode)}, not a regular file`);
    if (check.owners && !check.owners.includes(st.uid)) {
      throw new UnsafeFileError(path, `it is owned by uid ${st.uid}, not by ${check.owners.map((u) => `uid ${u}`).join(" or ")}`);
    }
    if (check.private && st.mode & 0o022) {
      throw new UnsafeFileError(path, `it is writable by ${st.mode & 0o002 ? "every user" : "its group"} (mode ${(st.mode & 0o7777).toString(8)})`);
    }
    // Trust from owner and mode holds only for a file whose text someone wrote: not on procfs/sysfs.
    const pseudo = check.owners || check.private ? pseudoFilesystem(fd) : undefined;
    if (pseudo) {
      throw new UnsafeFileError(path, `it is on ${pseudo}, a pseudo filesystem whose text the kernel makes up (other users can put lines into some of its files, whatever its owner and mode): give a regular file on a real filesystem`);
    }
    if (check.elfParts && st.size >= 64 && st.size <= check.maxBytes) {
      const parts = copyElfParts(fd, st.size);
      if (!parts) throw new UnsafeFileError(path, `its sections other than code and data add up to more than the ${MAX_COPIED_BYTES} bytes allowed`);
      return parts.bytes;
    }
    return readBounded(fd, path, st.size, check.maxBytes);
  } finally {
    c.close(fd);
  }
}

/**
 * `path` opened to read only if it is a regular file: the fd, a negative errno (-40: a symlink
 * where `noFollow`), or what it is instead ("a FIFO"). Opening a device or FIFO acts on it even
 * non-blocking (a watchdog arms, a tape rewinds, a FIFO's writer gets through), so the name is
 * first opened O_PATH, which opens nothing, checked, and that very file reopened through
 * /proc/self/fd: no other file can be swapped in between. With `root`, `path` is looked up
 * inside it (openInRoot).
 */
export function openRegular(path: string, noFollow: boolean, root?: string | number): number | string {
  const c = libcSync();
  return reopenRegular(root === undefined ? c.open(path, O_PATH | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0)) : openInRoot(root, path, noFollow));
}

/** openRegular of the file `handle` (O_PATH, or -errno) holds; the handle is closed. */
export function reopenRegular(handle: number): number | string {
  const c = libcSync();
  if (handle < 0) return handle;
  try {
    const st = fstat(handle);
    if (typeof st === "number") return st;
    if ((st.mode & S_IFMT) === S_IFLNK) return -40;
    if ((st.mode & S_IFMT) !== S_IFREG) return kindName(st.mode);
    return c.open(`/proc/self/fd/${handle}`, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } finally {
    c.close(handle);
  }
}

/**
 * The rest of open file `fd` (`path` for messages), which fstat said has `size` bytes, as a
 * copy: at most `maxBytes`, else UnsafeFileError.
 */
export function readBounded(fd: number, path: string, size: number, maxBytes: number): Uint8Array {
  const c = libcSync();
  if (size > maxBytes) throw new UnsafeFileError(path, `it has ${size} bytes, more than the ${maxBytes} allowed`);
  // One byte more than allowed: a file that grows past the bound while read is caught too. One
  // buffer, doubled when full: /proc files come back a page per read(), so allocating per read
  // would copy a large file (kallsyms) over and over.
  let buf = new Uint8Array(Math.min(maxBytes + 1, Math.max(size + 1, 4096)));
  let total = 0;
  for (;;) {
    if (total === buf.length) {
      if (total > maxBytes) throw new UnsafeFileError(path, `it grew past the ${maxBytes} bytes allowed`);
      const bigger = new Uint8Array(Math.min(maxBytes + 1, buf.length * 2));
      bigger.set(buf);
      buf = bigger;
    }
    const n = c.read(fd, buf.subarray(total), buf.length - total);
    if (n === -4) continue;
    if (n < 0) throw syscallError(`read("${path}")`, n);
    if (n === 0) break;
    total += n;
  }
  return buf.subarray(0, total);
}
