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
