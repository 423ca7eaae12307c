/**
 * Files another process names (its libraries by path, their debug files, its perf map), opened
 * as that process would open them: inside its root (files.ts openInRoot) and with its user's
 * rights (user_rights.ts).
 *
 * A process is asked about by its pid and start time, which together name one process for good.
 * Its /proc/PID directory is opened once for each open, checked to be that process still (the
 * start time in its stat, read through the directory), and its user's ids (status) and its root
 * are read through that same directory. Looked up by name each, as /proc/PID/status and then
 * /proc/PID/root, a process that ended in between would leave its pid to the next: root's
 * process's rights (root's) with the root of another user's process (a container of theirs,
 * where a link at the path leads into root's files), or a path a process of that user chose
 * read with the rights of a root process given its pid.
 */
import { cString, libcSync } from "./ffi/mod.ts";
import { openInRoot, readBounded } from "./files.ts";
import { type ProcessRef, startIn } from "./process_start.ts";
import { NO_ONE, rightsInStatus, withRightsOf } from "./user_rights.ts";
import { fstat, type FileStat } from "./file_stat.ts";

export { processNow, type ProcessRef } from "./process_start.ts";

const SYS_OPENAT = 257, SYS_STATX = 332, SYS_FACCESSAT2 = 439;
const STATX_MNT_ID = 0x1000;
const R_OK = 4n, AT_EACCESS = 0x200, AT_EMPTY_PATH = 0x1000;
const O_RDONLY = 0, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000, O_PATH = 0o10000000;
const ENOENT = -2, ESRCH = -3;

/**
 * `use(root)` run with the file-system rights of `process`'s user, `root` its root directory,
 * open (undefined `onHost`: paths are then ours, only the rights its user's). -ESRCH when it is
 * no longer that process (gone, its pid another's). Without a process (it had gone when its
 * mappings were read): on the host with no one's rights, and nothing inside a root.
 */
export function asProcess<T>(process: ProcessRef | undefined, use: (root: number | undefined) => T, onHost = false): T | number {
  if (!process) return onHost ? withRightsOf(NO_ONE, () => use(undefined)) : ESRCH;
  return inProcessDir(process, (dir) => {
    const status = readAt(dir, "status");
    if (status === undefined) return ESRCH;
    const rights = rightsInStatus(status);
    if (onHost) return withRightsOf(rights, () => use(undefined));
    const root = openAt(dir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) return root;
    try {
      return withRightsOf(rights, () => use(root));
    } finally {
      libcSync().close(root);
    }
  });
}

/**
 * `path` as `process` sees it, held O_PATH (files.ts openInRoot), looked up with its user's
 * rights, or -errno: -EACCES too when that user may not read the file, since whoever reads
 * through the handle (/proc/self/fd/N) is root, and O_PATH asks for no right to read.
 */
export function holdAsProcess(process: ProcessRef, path: string): number {
  return asProcess(process, (root) => {
    const handle = openInRoot(root!, path);
    if (handle < 0) return handle;
    const readable = mayRead(handle);
    if (readable === 0 || readable === -38) return handle; // ENOSYS (before Linux 5.8): as before, unchecked
    libcSync().close(handle);
    return readable;
  });
}

/**
 * `process`'s /proc/PID/map_files/`range` (START-END, hex), the very file it maps there, held
 * O_PATH, if that is still `file` (the device and inode its maps line named); or -errno, -ENOENT
 * when the range now maps another file. The pid and start time outlive an exec, and a range
 * names what is mapped there now: a program root's tracer may read and nobody may not (mode 0711)
 * loads where nobody's library was mapped when its maps were read.
 *
 * On btrfs, stat gives each subvolume a device of its own while maps gives the file system's, one
 * for all its subvolumes, where inode numbers start alike (every subvolume's first file is 257):
 * the file system and inode a maps line names then fit a file in any subvolume, another user's or
 * root's. So where only these fit, the file is taken only if it is the one at the line's `path`
 * (looked up in the process's root with its user's rights, through no symlink) and its user may
 * read it. Its user's rights alone are not enough: they are the process's now, and a process
 * that became root (sudo, for a program nobody may run as root but not read) may read anything.
 */
export function openMappedFile(process: ProcessRef, range: string, file: { dev: string; inode: number; path: string }): number {
  return inProcessDir(process, (dir) => {
    const handle = openAt(dir, `map_files/${range}`, O_PATH | O_CLOEXEC);
    if (handle < 0) return handle;
    const st = fstat(handle);
    const expected = mappedFileIdentity(file);
    if (typeof st !== "number" && st.ino === expected.ino) {
      if (st.dev === expected.dev || (superblockOf(dir, handle) === expected.dev && atPathAndReadable(dir, handle, st, file.path))) return handle;
    }
    libcSync().close(handle);
    return typeof st === "number" ? st : ENOENT;
  });
}

/**
 * The device of the file system (its superblock) that open file `handle` is on, as a maps line
 * and mountinfo show it (the device of its mount's line in `dir`'s mountinfo), or undefined
 * (before Linux 5.8, statx gives no mount id).
 */
function superblockOf(dir: number, handle: number): bigint | undefined {
  const c = libcSync();
  const buf = new Uint8Array(256), empty = cString("");
  if (c.syscall(SYS_STATX, BigInt(handle), c.addressOf(empty), BigInt(AT_EMPTY_PATH), BigInt(STATX_MNT_ID), c.addressOf(buf)) < 0) return undefined;
  const v = new DataView(buf.buffer);
  if (!(v.getUint32(0, true) & STATX_MNT_ID)) return undefined;
  // The mount's line in the process's mountinfo: "ID PARENT MAJOR:MINOR ..." (decimal), the superblock's device.
  const line = readAt(dir, "mountinfo")?.split("\n").find((l) => l.startsWith(`${v.getBigUint64(144, true)} `));
  const device = line?.split(" ")[2]?.split(":");
  if (device?.length !== 2 || !device.every((n) => /^\d{1,10}$/.test(n))) return undefined;
  return deviceNumber(BigInt(device[0]), BigInt(device[1]));
}

/**
 * Whether open file `handle` (whose stat is `st`) is the file at `path` in the root of the process
 * of `dir`, looked up through no symlink (its user could point one at any file it may read), and
 * the user whose rights its files are read with (rightsInStatus: a setuid program's caller) may
 * read it.
 */
function atPathAndReadable(dir: number, handle: number, st: FileStat, path: string): boolean {
  const status = readAt(dir, "status");
  if (status === undefined) return false;
  const root = openAt(dir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return false;
  try {
    return withRightsOf(rightsInStatus(status), () => {
      if (mayRead(handle) !== 0) return false;
      const named = openInRoot(root, path, false, true);
      if (named < 0) return false;
      const there = fstat(named);
      libcSync().close(named);
      return typeof there !== "number" && there.dev === st.dev && there.ino === st.ino;
    });
  } finally {
    libcSync().close(root);
  }
}

/** faccessat2(handle, "", R_OK) with our file-system ids (AT_EACCESS): 0, or -errno (-ENOSYS before Linux 5.8). */
function mayRead(handle: number): number {
  const c = libcSync();
  const empty = cString("");
  return c.syscall(SYS_FACCESSAT2, BigInt(handle), c.addressOf(empty), R_OK, BigInt(AT_EACCESS | AT_EMPTY_PATH));
}

/** The st_dev and st_ino of the file a maps line names by its device ("fd:01": major 0xfd, minor 1, in hex) and inode. */
export function mappedFileIdentity(file: { dev: string; inode: number }): { dev: bigint; ino: bigint } {
  const [major, minor] = file.dev.split(":").map((h) => BigInt(parseInt(h, 16) || 0));
  return { dev: deviceNumber(major, minor), ino: BigInt(file.inode) };
}

/** The st_dev of a device's major and minor numbers (glibc's makedev). */
function deviceNumber(major: bigint, minor: bigint): bigint {
  return (minor & 0xffn) | ((major & 0xfffn) << 8n) | ((minor & ~0xffn) << 12n) | ((major & ~0xfffn) << 32n);
}

/**
 * The text of /proc/`pid`/stat and the owner of /proc/`pid` (whose perf map is believed), both
 * read through one open of the directory, so of one process even if the pid passes to another
 * in between; or undefined when there is no such process.
 */
export function statAndOwner(pid: number): { stat: string; uid: number } | undefined {
  const c = libcSync();
  const dir = c.open(`/proc/${pid}`, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return undefined;
  try {
    const st = fstat(dir);
    const stat = readAt(dir, "stat");
    return stat && typeof st !== "number" ? { stat, uid: st.uid } : undefined;
  } finally {
    c.close(dir);
  }
}

/**
 * `use(dir)` with `process`'s /proc/PID directory open (O_PATH), if it is that process still;
 * else -ESRCH. The directory open is of the process that had the pid when it was opened, for
 * good: once that one is gone, nothing is read through it, whoever has its pid.
 */
function inProcessDir<T>(process: ProcessRef, use: (dir: number) => T): T | number {
  const c = libcSync();
  const dir = c.open(`/proc/${process.pid}`, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return dir;
  try {
    return startIn(readAt(dir, "stat")) === process.start ? use(dir) : ESRCH;
  } finally {
    c.close(dir);
  }
}

function openAt(dir: number, name: string, flags: number): number {
  const c = libcSync();
  const bytes = cString(name);
  return c.syscall(SYS_OPENAT, BigInt(dir), c.addressOf(bytes), BigInt(flags), 0n);
}

/** The text of file `name` in directory `dir` (a /proc/PID), or undefined when it cannot be read (the process has gone). */
function readAt(dir: number, name: string): string | undefined {
  const c = libcSync();
  const fd = openAt(dir, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return undefined;
  try {
    return new TextDecoder().decode(readBounded(fd, name, 4096, 1 << 20));
  } catch {
    return undefined;
  } finally {
    c.close(fd);
  }
}
