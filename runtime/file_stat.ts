// stat(2) and friends through raw syscalls (the libc contract has no stat): who owns a file,
// what kind it is and who may write it, which is what deciding whether root may trust it needs.
import { cString, libcSync } from "./ffi/mod.ts";

const SYS_STAT = 4, SYS_FSTAT = 5, SYS_LSTAT = 6, SYS_READLINK = 89, SYS_GETEUID = 107, SYS_UNLINK = 87, SYS_RMDIR = 84;

export const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFLNK = 0o120000;
export const S_IFIFO = 0o010000, S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFSOCK = 0o140000;
export const S_ISVTX = 0o1000;

export interface FileStat {
  /** The device and inode that name the file (a namespace, a cgroup's id). */
  dev: bigint;
  ino: bigint;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Last modification, in seconds since the epoch. */
  mtime: number;
  /** Last access, in seconds since the epoch (as the mount keeps it: with relatime, at most a day old after a read). */
  atime: number;
  /** Last change of content or metadata, in nanoseconds since the epoch: no user can set it back. */
  ctimeNs: bigint;
}

/** The struct stat of x86-64: st_dev at 0, st_ino at 8, st_mode at 24, st_uid at 28, st_gid at 32, st_size at 48, st_atim at 72, st_mtim at 88, st_ctim at 104 (144 bytes in all). */
function decode(buf: Uint8Array): FileStat {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    dev: v.getBigUint64(0, true), ino: v.getBigUint64(8, true),
    mode: v.getUint32(24, true), uid: v.getUint32(28, true), gid: v.getUint32(32, true), size: Number(v.getBigInt64(48, true)),
    mtime: Number(v.getBigInt64(88, true)), atime: Number(v.getBigInt64(72, true)),
    ctimeNs: v.getBigInt64(104, true) * 1_000_000_000n + v.getBigInt64(112, true),
  };
}

/** stat(path) (symlinks followed), or -errno. */
export function stat(path: string): FileStat | number {
  const c = libcSync();
  const buf = new Uint8Array(144), name = cString(path);
  const r = c.syscall(SYS_STAT, c.addressOf(name), c.addressOf(buf));
  return r < 0 ? r : decode(buf);
}

/** fstat(fd), or -errno. */
export function fstat(fd: number): FileStat | number {
  const c = libcSync();
  const buf = new Uint8Array(144);
  const r = c.syscall(SYS_FSTAT, BigInt(fd), c.addressOf(buf));
  return r < 0 ? r : decode(buf);
}

/** lstat(path) (a symlink is described, not followed), or -errno. */
export function lstat(path: string): FileStat | number {
  const c = libcSync();
  const buf = new Uint8Array(144), name = cString(path);
  const r = c.syscall(SYS_LSTAT, c.addressOf(name), c.addressOf(buf));
  return r < 0 ? r : decode(buf);
}

/** A symlink's target, or -errno. */
export function readlink(path: string): string | number {
  const c = libcSync();
  const buf = new Uint8Array(4096), name = cString(path);
  const n = c.syscall(SYS_READLINK, c.addressOf(name), c.addressOf(buf), BigInt(buf.length));
  return n < 0 ? n : new TextDecoder().decode(buf.subarray(0, n));
}

export function unlink(path: string): number {
  const c = libcSync();
  const name = cString(path);
  return c.syscall(SYS_UNLINK, c.addressOf(name));
}

export function rmdir(path: string): number {
  const c = libcSync();
  const name = cString(path);
  return c.syscall(SYS_RMDIR, c.addressOf(name));
}

let euid: number | undefined;
export function geteuid(): number {
  return (euid ??= libcSync().syscall(SYS_GETEUID));
}

/** "a FIFO", "a directory", ...: for messages about a file that is not what it should be. */
export function kindName(mode: number): string {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFLNK: return "a symbolic link";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    default: return "a special file";
  }
}

const O_RDONLY = 0, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
const SYS_GETDENTS64 = 217, DT_DIR = 4;

/** Subdirectory names of `dir` (getdents64 through libc: Deno needs no --allow-read); every name when not `dirsOnly`. */
export function listDirs(dir: string, dirsOnly = true): string[] {
  const c = libcSync();
  const fd = c.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return [];
  const out: string[] = [];
  const buf = new Uint8Array(32 * 1024), view = new DataView(buf.buffer), text = new TextDecoder();
  try {
    for (;;) {
      const n = c.syscall(SYS_GETDENTS64, BigInt(fd), c.addressOf(buf), BigInt(buf.length));
      if (n <= 0) break;
      for (let at = 0; at < n;) {
        const reclen = view.getUint16(at + 16, true), type = buf[at + 18];
        const nameEnd = buf.indexOf(0, at + 19);
        const name = text.decode(buf.subarray(at + 19, nameEnd));
        if ((type === DT_DIR || !dirsOnly) && name !== "." && name !== "..") out.push(name);
        at += reclen;
      }
    }
  } finally {
    c.close(fd);
  }
  return out;
}
