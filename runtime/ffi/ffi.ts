/**
 * The one contract between tsbpf and the JavaScript runtime it runs on.
 *
 * Everything that calls into libc goes through a `Libc`; `runtime/ffi/bun.ts` and
 * `runtime/ffi/deno.ts` implement it, and nothing outside this folder may know which
 * runtime it is on. Calls that can fail return `-errno` (a negative number), read right
 * after the call on the same thread, so no other runtime work can clobber errno.
 */
export interface Libc {
  readonly runtime: "bun" | "deno";
  /** The process's lifecycle, without node:process (which takes Deno ~15 ms to load). */
  readonly process: ProcessHooks;

  /** Address of a typed array's memory. The caller keeps the array alive while the address is in use. */
  addressOf(buf: Uint8Array): bigint;
  /** A zero-copy view of `length` bytes of native memory at `address` (an mmapped region). */
  view(address: bigint, length: number): ArrayBuffer;

  /** syscall(2) with up to six integer arguments; returns the result or -errno. */
  syscall(nr: number, a1?: bigint, a2?: bigint, a3?: bigint, a4?: bigint, a5?: bigint, a6?: bigint): number;
  ioctl(fd: number, request: number, arg: bigint): number;
  /** Returns the mapped address, or -errno as a negative bigint. */
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint;
  munmap(address: bigint, length: number): number;
  open(path: string, flags: number, mode?: number): number;
  read(fd: number, buf: Uint8Array, length?: number): number;
  write(fd: number, buf: Uint8Array, length?: number): number;
  close(fd: number): number;
  mount(source: string, target: string, fsType: string, flags: number): number;
  getpid(): number;
  getenv(name: string): string | undefined;
  mkdir(path: string, mode: number): number;
  rename(from: string, to: string): number;
  /** epoll_wait that may block the calling thread for up to `timeoutMs`. */
  epollWait(epfd: number, events: Uint8Array, maxEvents: number, timeoutMs: number): number;
  /**
   * A thread of its own that waits in epoll_wait(epfd) whenever `wait()` is called, so the
   * JS thread sleeps until the kernel has something (Deno: a nonblocking FFI call; Bun: a Worker).
   */
  epollWaiter(epfd: number): EpollWaiter;
  /**
   * Whether the event pump should pace itself with the timeouts of epollWaiter waits rather
   * than with timers. Deno: yes, its timers load on first use (≈ 6 ms, 3 MB of a warm start)
   * and its setTimeout(1) fires after ≈ 2 ms. Bun: no, its timers are free, and each wait
   * is a message to and from a Worker.
   */
  pacesWithEpoll: boolean;
}

export interface EpollWaiter {
  /**
   * Resolves with what epoll_wait(fd, timeoutMs) returned once it has: the number of fds ready,
   * 0 when the time ran out (-1: wait without a timeout), -1 when it failed or a signal
   * interrupted it (the thread's errno is not kept: runtime/epoll.ts asks again). One wait at a
   * time. Whoever closes the waiter makes an fd in the set ready first (runtime/epoll.ts: an
   * eventfd), so a wait returns promptly. Rejects if the thread cannot run (then the caller
   * drains on a timer instead).
   */
  wait(timeoutMs: number): Promise<number>;
  /**
   * Ends the thread after its current wait, which still resolves once epoll_wait returns.
   * Resolves once the thread is gone (Bun: the Worker has ended, with its own event loop's fds).
   * A wait() after it resolves with 1 at once: the set's fd number may be another's by then.
   */
  close(): Promise<void>;
}

/** The signals a tracer ends on (see docs/lifecycle.md). */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

export interface ProcessHooks {
  /** Runs `f` on the signal instead of ending the process. */
  onSignal(signal: StopSignal, f: () => void): void;
  /**
   * Runs `f` on an exception or rejection nothing caught, unless the script listens for them
   * itself. Bun prints such an error and goes on while anything keeps the event loop alive;
   * Deno prints it and exits 1 (and runs no JavaScript after, so it needs no hook).
   * Returns what removes the hook.
   */
  onFatalError(f: (error: unknown) => void): () => void;
  /** Runs `f` when the process exits. */
  onExit(f: () => void): void;
  exit(code: number): never;
  /** The status the process ends with when it ends by itself. */
  setExitCode(code: number): void;
  /** What setExitCode (or the script's process.exitCode) set: 0 if nothing did. */
  exitCode(): number;
  /** Runs `f` as soon as pending I/O has been handled (setImmediate); returns what cancels it. */
  soon(f: () => void): () => void;
  /**
   * Runs `f` in a task of its own, after every promise job queued before it (setTimeout(f, 0)),
   * and before I/O that is pending meanwhile (a second copy of a signal): the exit after a signal.
   */
  nextTask(f: () => void): void;
  /**
   * Runs `f` after `ms` unless the returned function cancels it first; the wait alone does not
   * keep the process alive (an unref'd timer). Deno: without its timers (see nextTask).
   */
  after(ms: number, f: () => void): () => void;
  /**
   * Frees now what nothing reaches any more (a full collection, on this thread), where a library
   * may ask for one; returns whether it could. Bun: yes. Deno: no (V8 offers it only behind a
   * flag), and V8 collects an idle Deno process's leftovers without costing it anything measurable.
   */
  collectGarbage(): boolean;
}

/** Linux x86-64 syscall numbers used by tsbpf. */
export const SYS = {
  bpf: 321,
  perf_event_open: 298,
  epoll_create1: 291,
  epoll_ctl: 233,
  eventfd2: 290,
  getppid: 110,
  access: 21,
  getpgrp: 111,
  prctl: 157,
  waitid: 247,
  rt_sigaction: 13,
  clock_gettime: 228,
  pidfd_send_signal: 424,
  pidfd_open: 434,
  poll: 7,
  dup3: 292,
  statfs: 137,
  fstatfs: 138,
} as const;

const SIGNAL_NUMBER: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
/** The kernel's struct sigaction on x86-64: handler, flags, restorer, an 8-byte mask. */
const SIGACTION_SIZE = 32;
const SA_RESETHAND = 0x80000000n;

/**
 * Makes the runtime's own handler for `signal` (installed by onSignal) one-shot: the kernel puts
 * the default action back as it delivers the signal, so a second copy ends the process even
 * while the JavaScript thread never yields and no listener can run (docs/lifecycle.md). The
 * runtime's handler still records the first, and its listeners run once the thread is free.
 * Returns what arms it again with the same handler (once a delivery has reset it), or undefined
 * when no handler is installed (nothing to make one-shot). Both runtimes install a plain
 * sigaction handler; this only adds a flag to it.
 */
export function oneShotSignal(c: Libc, signal: StopSignal): (() => void) | undefined {
  const nr = BigInt(SIGNAL_NUMBER[signal]);
  const action = new Uint8Array(SIGACTION_SIZE);
  if (c.syscall(SYS.rt_sigaction, nr, 0n, c.addressOf(action), 8n) < 0) return undefined;
  const view = new DataView(action.buffer);
  if (view.getBigUint64(0, true) <= 1n) return undefined; // SIG_DFL or SIG_IGN
  view.setBigUint64(8, view.getBigUint64(8, true) | SA_RESETHAND, true);
  const arm = () => void c.syscall(SYS.rt_sigaction, nr, c.addressOf(action), 0n, 8n);
  arm();
  return arm;
}

/** Whether `signal` is ignored (SIG_IGN) now: as inherited, before any handler of ours. */
export function signalIgnored(c: Libc, signal: StopSignal): boolean {
  const action = new Uint8Array(SIGACTION_SIZE);
  if (c.syscall(SYS.rt_sigaction, BigInt(SIGNAL_NUMBER[signal]), 0n, c.addressOf(action), 8n) < 0) return false;
  return new DataView(action.buffer).getBigUint64(0, true) === 1n;
}

/** Sets `signal` to be ignored (SIG_IGN). */
export function ignoreSignal(c: Libc, signal: StopSignal): void {
  const action = new Uint8Array(SIGACTION_SIZE);
  new DataView(action.buffer).setBigUint64(0, 1n, true);
  c.syscall(SYS.rt_sigaction, BigInt(SIGNAL_NUMBER[signal]), c.addressOf(action), 0n, 8n);
}

/** C string (NUL-terminated UTF-8) for passing a path to libc. */
export function cString(s: string): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
