// `tsbpf run`'s child holds every kernel object of the script; it must not outlive the tsbpf
// process that started it, which may die of SIGKILL and pass nothing on. So the child asks the
// kernel for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG, kept across exec) and stops
// as on any SIGTERM: end() runs, the kernel objects are released, the -c command is ended.
// The kernel sends it when the *thread* that forked this process ends: both runtimes spawn
// from their main thread (checked: a child kept running through 14 s of an idle parent).
import { libcSync, SYS } from "../runtime/ffi/mod.ts";

const PR_SET_PDEATHSIG = 1n;
const SIGTERM = 15;

/** Arranges SIGTERM on the parent's death; false if the parent has died already. */
export function dieWithParent(parentPid: number): boolean {
  const r = libcSync().syscall(SYS.prctl, PR_SET_PDEATHSIG, BigInt(SIGTERM));
  if (r < 0) throw new Error(`prctl(PR_SET_PDEATHSIG) failed: errno ${-r}`);
  // The parent may have died before the prctl: then this process already has a new parent.
  return !parentGone(parentPid);
}

/** Whether the process that started this one has died (this one was given to another parent). */
export function parentGone(parentPid: number): boolean {
  return libcSync().syscall(SYS.getppid) !== parentPid;
}
