/**
 * /proc/PID/maps: which file (and which part of it) backs each range of a process's memory.
 * A user stack address is meaningful only through the mapping that holds it.
 *
 * @example
 * ```ts
 * const maps = parseProcMaps(readProcMaps(pid)!);
 * const m = findMapping(maps, 0x7f32854fa4f7)!;  // { path: "/usr/lib/x86_64-linux-gnu/libc.so.6", … }
 * const fileOffset = 0x7f32854fa4f7 - m.start + m.offset;
 * ```
 */
import { lastStartAtOrBelow } from "../../elf/address_search.ts";
import { readFileBytes, readTextFile, UnsafeFileError } from "../files.ts";

/** One line of /proc/PID/maps. */
export interface Mapping {
  readonly start: number;
  readonly end: number;
  /** "r-xp" and the like. */
  readonly perms: string;
  /** File offset of `start`. */
  readonly offset: number;
  /** The device as "major:minor" in hex, e.g. "fd:01", and the inode: the file's identity. */
  readonly dev: string;
  readonly inode: number;
  /** The path as the kernel prints it: may end in " (deleted)", or be "[vdso]", "[heap]", "". */
  readonly path: string;
}

const DELETED = " (deleted)";

/**
 * Parses the text of /proc/PID/maps. Lines are in ascending address order, as the kernel
 * writes them; malformed lines are skipped.
 */
export function parseProcMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split("\n")) {
    // "start-end perms offset dev inode   path": five single-space fields, then padding.
    const f = line.split(" ", 5);
    if (f.length < 5) continue;
    const dash = f[0].indexOf("-");
    if (dash < 0) continue;
    const start = parseInt(f[0].slice(0, dash), 16);
    const end = parseInt(f[0].slice(dash + 1), 16);
    const offset = parseInt(f[2], 16);
    const inode = Number(f[4]);
    if (!(start < end) || !Number.isFinite(offset) || !Number.isFinite(inode)) continue;
    const fieldsEnd = f[0].length + f[1].length + f[2].length + f[3].length + f[4].length + 5;
    const path = line.slice(fieldsEnd).trimStart();
    out.push({ start, end, perms: f[1], offset, dev: f[3], inode, path });
  }
  return out;
}

/** The mapping holding `address`, by binary search over the ascending list. */
export function findMapping(maps: readonly Mapping[], address: number): Mapping | undefined {
  const m = maps[lastStartAtOrBelow(maps, address, (m) => m.start)];
  return m && address < m.end ? m : undefined;
}

/** Whether the mapping is backed by a file (not anonymous memory, the stack, the heap or the vDSO). */
export function isFileBacked(m: Mapping): boolean {
  return m.inode !== 0 && m.path.startsWith("/");
}

/** The path without the " (deleted)" the kernel appends once the file is unlinked. */
export function filePath(m: Mapping): string {
  return m.path.endsWith(DELETED) ? m.path.slice(0, -DELETED.length) : m.path;
}

/**
 * A /proc file's text, or undefined when it cannot be read, which for a process's files
 * usually means the process has exited (ENOENT, or ESRCH mid-exit). Never throws.
 */
export function readProcText(path: string): string | undefined {
  try {
    return readTextFile(path);
  } catch {
    return undefined;
  }
}

/**
 * The most of a process's /proc/PID/maps read: 256 Ki mappings (what a database raises the
 * limit to) of 256 bytes a line. A line names its file by path, up to 4 KB, and the process may
 * be another user's: 65 530 mappings of one file under such a path (the default limit) are
 * 270 MB of text, read whole for each process forked from it.
 */
export const MAX_MAPS_BYTES = 64 << 20;

/**
 * The text of /proc/PID/maps, or undefined when it cannot be read (the process has exited).
 * Throws UnsafeFileError past MAX_MAPS_BYTES.
 */
export function readProcMaps(pid: number): string | undefined {
  let bytes: Uint8Array | undefined;
  try {
    bytes = readFileBytes(`/proc/${pid}/maps`, MAX_MAPS_BYTES);
  } catch (e) {
    if (e instanceof UnsafeFileError) throw new UnsafeFileError(e.path, `it has more than the ${MAX_MAPS_BYTES} bytes read of a process's mappings`);
    return undefined;
  }
  return bytes && new TextDecoder().decode(bytes);
}
