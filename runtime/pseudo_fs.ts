// Filesystems whose files the kernel makes up as they are read. A file there may be root's and
// writable by no one, yet other users choose part of its text (a socket name in /proc/net/unix,
// a process's command line, a cgroup's name): its owner and mode say nothing of who wrote it.
import { cString, libcSync, SYS } from "./ffi/mod.ts";

/** linux/magic.h: f_type of statfs, by the name a message uses. */
const PSEUDO_FILESYSTEMS = new Map<bigint, string>([
  [0x9fa0n, "procfs"], [0x62656572n, "sysfs"], [0x64626720n, "debugfs"], [0x74726163n, "tracefs"],
  [0x73636673n, "securityfs"], [0xf97cff8cn, "selinuxfs"], [0x43415d53n, "smackfs"], [0x27e0ebn, "cgroupfs"],
  [0x63677270n, "cgroup2"], [0xcafe4a11n, "bpffs"], [0x62656570n, "configfs"], [0x1cd1n, "devpts"],
  [0xde5e81e4n, "efivarfs"], [0x6165676cn, "pstore"], [0x65735543n, "fusectl"], [0x42494e4dn, "binfmt_misc"],
  [0x6e736673n, "nsfs"], [0x19800202n, "mqueue"], [0x7655821n, "resctrl"], [0x9fa2n, "usbfs"],
]);

/** The f_type (linux/magic.h) of the filesystem open file `fd` is on; undefined if fstatfs fails. */
export function filesystemType(fd: number): bigint | undefined {
  const c = libcSync();
  const statfs = new Uint8Array(120); // struct statfs on x86_64; f_type is its first 8 bytes
  return typeOf(c.syscall(SYS.fstatfs, BigInt(fd), c.addressOf(statfs)), statfs);
}

/** The pseudo filesystem open file `fd` is on ("procfs"), or undefined for any other (a disk, tmpfs, NFS). */
export function pseudoFilesystem(fd: number): string | undefined {
  return named(filesystemType(fd));
}

/** pseudoFilesystem of the file at `path` (symlinks followed). */
export function pseudoFilesystemAt(path: string): string | undefined {
  const c = libcSync();
  const statfs = new Uint8Array(120), name = cString(path);
  return named(typeOf(c.syscall(SYS.statfs, c.addressOf(name), c.addressOf(statfs)), statfs));
}

function typeOf(result: number, statfs: Uint8Array): bigint | undefined {
  return result < 0 ? undefined : new DataView(statfs.buffer).getBigInt64(0, true);
}

function named(type: bigint | undefined): string | undefined {
  return type === undefined ? "a filesystem statfs cannot name" : PSEUDO_FILESYSTEMS.get(type);
}
