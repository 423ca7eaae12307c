/**
 * Opening a file with another user's rights. The symbolizer reads files at paths a traced
 * process chose (its libraries' directories, their .gnu_debuglink names, what their links lead
 * to): as root it would read any file of the system there, root's own 0700 directories included,
 * and name the process's frames from it. With the file-system identity (fsuid, fsgid, no
 * supplementary groups) of the process's owner, the kernel checks every directory and link on
 * the way, and the file, as it would for that user's own open.
 *
 * The file-system identity is the calling thread's own (raw syscalls, not glibc's wrappers, which
 * would change every thread's), and the open runs on this thread between the change and its undoing.
 * A tracer without CAP_SETUID cannot take another identity: it opens with its own rights, which
 * are then no more than a user's.
 */
import { libcSync } from "./ffi/mod.ts";

const SYS_GETGROUPS = 115, SYS_SETGROUPS = 116, SYS_SETFSUID = 122, SYS_SETFSGID = 123;

/** Whose rights: a user and its group (of the process, as /proc/PID's owner says). */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** The rights of no one in particular (the kernel's overflow ids): what every user may read. */
export const NO_ONE: FileOwner = { uid: 65534, gid: 65534 };

/**
 * Whose rights the files a process names are read with, from its /proc/PID/status text: of its
 * user ids (real, effective, saved, file system: the Uid line) the first that is not root's, so
 * a setuid program's is its caller's, and a daemon's that switched to a user is that user's; its
 * group ids alike. Not the owner of /proc/PID's files: a process makes them root's by making
 * itself not dumpable. No one's when the text has no ids.
 */
export function rightsInStatus(status: string): FileOwner {
  const ids = (line: string) => status.match(new RegExp(`^${line}:\\s+(.*)$`, "m"))?.[1].trim().split(/\s+/).map(Number);
  const uids = ids("Uid"), gids = ids("Gid");
  if (!uids || !gids) return NO_ONE;
  return { uid: uids.find((id) => id !== 0) ?? 0, gid: gids.find((id) => id !== 0) ?? 0 };
}

/** `open()` run with `owner`'s file-system rights, then ours again. */
export function withRightsOf<T>(owner: FileOwner, open: () => T): T {
  const c = libcSync();
  const count = c.syscall(SYS_GETGROUPS, 0n, 0n);
  const groups = new Uint8Array(4 * Math.max(count, 1));
  const saved = count > 0 ? c.syscall(SYS_GETGROUPS, BigInt(count), c.addressOf(groups)) : 0;
  const droppedGroups = saved >= 0 && c.syscall(SYS_SETGROUPS, 0n, 0n) === 0;
  const gid = c.syscall(SYS_SETFSGID, BigInt(owner.gid));
  const uid = c.syscall(SYS_SETFSUID, BigInt(owner.uid));
  try {
    return open();
  } finally {
    // setfsuid first: back at fsuid 0 the kernel gives the file capabilities back.
    c.syscall(SYS_SETFSUID, BigInt(uid));
    c.syscall(SYS_SETFSGID, BigInt(gid));
    if (droppedGroups) c.syscall(SYS_SETGROUPS, BigInt(saved), c.addressOf(groups));
  }
}
