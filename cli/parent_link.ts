// `tsbpf run`'s child holds every kernel object of the script; it must not outlive the tsbpf
// process that started it, which may die of SIGKILL and pass nothing on. So the child asks the
// kernel for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG, kept across exec).
// SIGKILL, not SIGTERM: a SIGTERM needs the child's JavaScript to run its listener, and a child
// whose JavaScript never yields then outlived a killed tsbpf for good. Nothing is lost by it:
// a tsbpf that ends by a signal it can handle passes the signal on and waits for the child (the
// child's end() runs then), so this only acts once tsbpf can no longer do that. What the child
// holds goes with it: a tracer's programs, maps and links are released with its file
// descriptors (pinned ones stay, as --pin asks), and a -c command dies with tsbpf by its own
// parent-death signal (cli/held_command.ts).
// The kernel sends it when the *thread* that forked this process ends: both runtimes spawn
// from their main thread (checked: a child kept running through 14 s of an idle parent).
import { libcSync, SYS } from "../runtime/ffi/mod.ts";

const PR_SET_PDEATHSIG = 1n;
const SIGKILL = 9;

/** Arranges SIGKILL on the parent's death; false if the parent has died already. */
export function dieWithParent(parentPid: number): boolean {
  const r = libcSync().syscall(SYS.prctl, PR_SET_PDEATHSIG, BigInt(SIGKILL));
  if (r < 0) throw new Error(`prctl(PR_SET_PDEATHSIG) failed: errno ${-r}`);
  // The parent may have died before the prctl: then this process already has a new parent.
  return !parentGone(parentPid);
}

/** Whether the process that started this one has died (this one was given to another parent). */
export function parentGone(parentPid: number): boolean {
  return libcSync().syscall(SYS.getppid) !== parentPid;
}
