// The PID namespace tsbpf runs in. Inside a container (or `unshare --pid`), pid() and tid()
// give the namespace's numbers, the ones its /proc, `-p` and `-c` use, through
// bpf_get_ns_current_pid_tgid (5.7+), as bpftrace does since 0.21.
import { stat } from "./file_stat.ts";
import { syscallError } from "./errors.ts";

/** The device and inode that name a namespace (stat of /proc/self/ns/pid). */
export interface NamespaceId {
  dev: bigint;
  ino: bigint;
}

/** include/linux/proc_ns.h: the initial PID namespace's inode number. */
const PROC_PID_INIT_INO = 0xeffffffcn;

/** Device and inode of `path` (following symlinks, as stat(2) does). */
export function statId(path: string): NamespaceId {
  const st = stat(path);
  if (typeof st === "number") throw syscallError(`stat("${path}")`, st);
  return { dev: st.dev, ino: st.ino };
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
