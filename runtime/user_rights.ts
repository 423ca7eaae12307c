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
 * A tracer without CAP_SETUID cannot take another identity: it opens with its own rights, and
 * without the capabilities that pass over file permissions (a service's CAP_DAC_READ_SEARCH,
 * docs/service.md, reads any file), set aside on this thread for the open as the kernel sets
 * them aside when root's fsuid becomes a user's (tests/security/symbolize_gone_inode.test.ts).
 */
import { libcSync } from "./ffi/mod.ts";

const SYS_GETGROUPS = 115, SYS_SETGROUPS = 116, SYS_SETFSUID = 122, SYS_SETFSGID = 123, SYS_CAPGET = 125, SYS_CAPSET = 126;
const CAPABILITY_VERSION_3 = 0x20080522;
/**
 * The kernel's CAP_FS_MASK: CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
 * CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MKNOD (the first 32) and CAP_MAC_OVERRIDE (32).
 */
const FS_CAPS = [0x0800_021f, 0x1];

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
  let restoreCaps: (() => void) | undefined;
  try {
    if (owner.uid !== 0) restoreCaps = setFileCapabilitiesAside();
    return open();
  } finally {
    // setfsuid first: back at fsuid 0 the kernel gives the file capabilities back.
    c.syscall(SYS_SETFSUID, BigInt(uid));
    restoreCaps?.();
    c.syscall(SYS_SETFSGID, BigInt(gid));
    if (droppedGroups) c.syscall(SYS_SETGROUPS, BigInt(saved), c.addressOf(groups));
  }
}

/**
 * Clears this thread's effective file capabilities (FS_CAPS), if it has any; what gives them back.
 * Root's are gone already once its fsuid is a user's; a tracer that is not root keeps its own
 * through the setfsuid (which it may not even make). A thread's capabilities are its own, as its
 * fsuid is. Throws when they cannot be set aside: reading with them is what must not happen.
 */
function setFileCapabilitiesAside(): (() => void) | undefined {
  const c = libcSync();
  const header = new Uint8Array(8), data = new Uint8Array(24);
  const h = new DataView(header.buffer), d = new DataView(data.buffer);
  h.setUint32(0, CAPABILITY_VERSION_3, true); // pid 0: this thread
  if (c.syscall(SYS_CAPGET, c.addressOf(header), c.addressOf(data)) !== 0) throw new Error("capget failed: cannot read with another user's rights");
  // Two sets of { effective, permitted, inheritable }, for capabilities 0-31 and 32-63.
  const effective = [d.getUint32(0, true), d.getUint32(12, true)];
  if (!(effective[0] & FS_CAPS[0]) && !(effective[1] & FS_CAPS[1])) return undefined;
  const set = (low: number, high: number) => {
    h.setUint32(0, CAPABILITY_VERSION_3, true);
    d.setUint32(0, low, true);
    d.setUint32(12, high, true);
    return c.syscall(SYS_CAPSET, c.addressOf(header), c.addressOf(data));
  };
  if (set(effective[0] & ~FS_CAPS[0], effective[1] & ~FS_CAPS[1]) !== 0) throw new Error("capset failed: cannot read with another user's rights");
  return () => void set(effective[0], effective[1]);
}
