// The PID namespace tsbpf runs in. Inside a container (or `unshare --pid`), pid() and tid()
// give the namespace's numbers, the ones its /proc, `-p` and `-c` use, through
// bpf_get_ns_current_pid_tgid (5.7+), as bpftrace does since 0.21.
import { cString, libcSync } from "./ffi/mod.ts";
import { syscallError } from "./errors.ts";

/** The device and inode that name a namespace (stat of /proc/self/ns/pid). */
export interface NamespaceId {
  dev: bigint;
  ino: bigint;
}

/** include/linux/proc_ns.h: the initial PID namespace's inode number. */
const PROC_PID_INIT_INO = 0xeffffffcn;
const SYS_STAT = 4;
/** struct stat on x86-64: st_dev at 0, st_ino at 8; 144 bytes in all. */
const STAT_SIZE = 144;

/** Device and inode of `path` (following symlinks, as stat(2) does). */
export function statId(path: string): NamespaceId {
  const c = libcSync();
  const name = cString(path), buf = new Uint8Array(STAT_SIZE);
  const r = c.syscall(SYS_STAT, c.addressOf(name), c.addressOf(buf));
  if (r < 0) throw syscallError(`stat("${path}")`, r);
  const view = new DataView(buf.buffer);
  return { dev: view.getBigUint64(0, true), ino: view.getBigUint64(8, true) };
}

let cached: NamespaceId | null | undefined;

/** tsbpf's PID namespace, or undefined in the initial one (where the kernel's own pids are the answer). */
export function pidNamespace(): NamespaceId | undefined {
  if (cached === undefined) {
    const ns = statId("/proc/self/ns/pid");
    cached = ns.ino === PROC_PID_INIT_INO ? null : ns;
  }
  return cached ?? undefined;
}
