// Typed errors of the kernel interface. Raw errno never escapes: it is named and explained.
import { UserFacingError } from "../spec/user_facing.ts";

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 7: "E2BIG", 9: "EBADF", 11: "EAGAIN",
  12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 19: "ENODEV", 22: "EINVAL",
  24: "EMFILE", 27: "EFBIG", 28: "ENOSPC", 32: "EPIPE", 38: "ENOSYS", 122: "EDQUOT", 95: "EOPNOTSUPP", 524: "ENOTSUPP",
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** A system call failed; `call` names it (e.g. "bpf(BPF_MAP_CREATE)"). */
export class SyscallError extends UserFacingError {
  /** `call` failed with `errno` (positive); `detail` adds what tsbpf knows of why. */
  constructor(readonly call: string, readonly errno: number, detail?: string) {
    super(`${call} failed: ${errnoName(errno)}${detail ? `: ${detail}` : ""}`);
    this.name = "SyscallError";
  }
}

/** The process lacks a privilege tsbpf needs; the message says which. */
export class PermissionError extends SyscallError {
  /** `call` failed with EPERM or EACCES. */
  constructor(call: string, errno: number) {
    super(call, errno);
    this.name = "PermissionError";
    this.message = `Permission denied: ${call} needs ${privilegeFor(call)}; run tsbpf as root (sudo), or as a service with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (docs/service.md)`;
  }
}

function privilegeFor(call: string): string {
  if (call.startsWith("bpf(")) return "CAP_BPF (and CAP_PERFMON for tracing programs)";
  if (call.startsWith("perf_event_open")) return "CAP_PERFMON";
  if (call.includes("/sys/kernel/tracing") || call.includes("/sys/kernel/debug")) return "root or CAP_DAC_READ_SEARCH to read tracefs";
  return "root";
}

export function syscallError(call: string, result: number, detail?: string): SyscallError {
  const errno = -result;
  if (errno === 1 || errno === 13) return new PermissionError(call, errno);
  return new SyscallError(call, errno, detail);
}

/** The runtime refuses the FFI that every kernel call goes through (Deno without --allow-ffi). */
export class FfiPermissionError extends UserFacingError {
  constructor() {
    super("Deno refuses tsbpf the FFI it reaches the kernel through (libc): run it with --allow-ffi (deno run --allow-ffi SCRIPT)");
    this.name = "FfiPermissionError";
  }
}

/** Neither Bun nor Deno runs the script (Node.js: `node trace.ts`). */
export class UnsupportedRuntimeError extends UserFacingError {
  constructor() {
    super("tsbpf runs on Bun or Deno, not Node.js (it reaches the kernel through their FFI): run the script with sudo bun SCRIPT or sudo deno run --allow-ffi SCRIPT");
    this.name = "UnsupportedRuntimeError";
  }
}

/** A tracer is used wrongly (no handlers, a map field of the wrong kind, no source file). */
export class TracerError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = "TracerError";
  }
}
