// Sockets, as far as packet programs need them: attaching a socket filter program to a socket
// (SO_ATTACH_BPF) and taking it off again. x86-64 syscall numbers, as the rest of runtime/.
import { libcSync } from "./ffi/mod.ts";
import { syscallError } from "./errors.ts";

const SYS_SETSOCKOPT = 54, SOL_SOCKET = 1n, SO_DETACH_FILTER = 27n, SO_ATTACH_BPF = 50n;

/** Makes `progFd` (a socket filter program) the filter of socket `fd`: it then decides what the socket receives. */
export function attachSocketFilter(fd: number, progFd: number, label: string): void {
  const c = libcSync();
  const value = new Uint8Array(4);
  new DataView(value.buffer).setInt32(0, progFd, true);
  const r = c.syscall(SYS_SETSOCKOPT, BigInt(fd), SOL_SOCKET, SO_ATTACH_BPF, c.addressOf(value), 4n);
  if (r < 0) throw syscallError("setsockopt(SO_ATTACH_BPF)", r, label);
}

/** Takes the filter off socket `fd`; false when it has none (or is no longer a socket). */
export function detachSocketFilter(fd: number): boolean {
  const c = libcSync();
  const none = new Uint8Array(4);
  return c.syscall(SYS_SETSOCKOPT, BigInt(fd), SOL_SOCKET, SO_DETACH_FILTER, c.addressOf(none), 4n) === 0;
}
