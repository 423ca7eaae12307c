// Before Linux 5.11 the kernel charged the memory of BPF maps and programs to RLIMIT_MEMLOCK
// (the process's locked-memory limit: 8 MiB by default, 64 KiB on older systems), which no
// capability exempts; from 5.11 on it goes to the memory cgroup and the limit plays no part.
// On 5.8-5.10 one 4 MiB ring buffer and a few maps then failed with EPERM. So before the first
// map, program or BTF is created there, the limit is raised to unlimited, as libbpf and
// bpftrace do (root, or CAP_SYS_RESOURCE, may raise it; if that is refused the kernel's EPERM
// still reaches the user).
import { libcSync } from "./ffi/mod.ts";
import { kernelRelease } from "./kernel_release.ts";

const SYS_PRLIMIT64 = 302, RLIMIT_MEMLOCK = 8n;
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** Whether a kernel of this release (uname -r, /proc/sys/kernel/osrelease) charges BPF memory to RLIMIT_MEMLOCK. */
export function chargesMemlock(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false; // unknown: leave the limit as it is
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 5 || (major === 5 && minor < 11);
}

/** RLIMIT_MEMLOCK of this process: [soft, hard] (RLIM_INFINITY for unlimited). */
export function memlockLimit(): [bigint, bigint] {
  const c = libcSync();
  const old = new Uint8Array(16);
  const r = c.syscall(SYS_PRLIMIT64, 0n, RLIMIT_MEMLOCK, 0n, c.addressOf(old));
  if (r < 0) return [0n, 0n];
  const v = new DataView(old.buffer);
  return [v.getBigUint64(0, true), v.getBigUint64(8, true)];
}

/**
 * Sets RLIMIT_MEMLOCK to unlimited (root, CAP_SYS_RESOURCE), else the soft limit up to the
 * hard one; returns whether the kernel allowed either.
 */
export function raiseMemlock(): boolean {
  const [, hard] = memlockLimit();
  return setMemlock(RLIM_INFINITY, RLIM_INFINITY) || setMemlock(hard, hard);
}

function setMemlock(soft: bigint, hard: bigint): boolean {
  const c = libcSync();
  const limit = new Uint8Array(16);
  const v = new DataView(limit.buffer);
  v.setBigUint64(0, soft, true);
  v.setBigUint64(8, hard, true);
  return c.syscall(SYS_PRLIMIT64, 0n, RLIMIT_MEMLOCK, c.addressOf(limit), 0n) === 0;
}

let checked = false;

/**
 * Once per process, before BPF memory is first charged: raises the limit where the running kernel
 * (or `release`) charges it. Called before every map, program and BTF: the release is read only once.
 */
export function ensureMemlock(release?: string): void {
  if (checked) return;
  checked = true;
  if (chargesMemlock(release ?? kernelRelease()) && memlockLimit()[0] !== RLIM_INFINITY) raiseMemlock();
}
