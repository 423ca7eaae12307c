// The Deno implementation of the libc contract (Deno.dlopen). Needs only --allow-ffi.
import { cString, type EpollWaiter, type Libc, type ProcessHooks } from "./ffi.ts";
import { FfiPermissionError } from "../errors.ts";

/**
 * Every result is declared as a struct of one integer. On x86-64 such a struct comes back in the
 * same register as the integer (SysV: one INTEGER eightbyte in rax), and Deno compiles no fast-call
 * trampoline for a symbol with a struct: it compiles one with Cranelift for every other
 * synchronous symbol at dlopen, ≈ 0.6 ms each, and its first costs ≈ 2 MB of code and heap. The
 * fast path would serve only calls from code V8 has optimized, and tsbpf's calls are system calls
 * that cost microseconds themselves, made from code that runs a few times per start.
 */
const I64 = { struct: ["i64"] } as const;
const U64 = { struct: ["u64"] } as const;

/**
 * As few symbols as can serve: every call that is a system call goes through syscall(2) (each
 * symbol costs Deno memory at dlopen: 15 symbols with struct results took ≈ 0.45 MB more of a
 * warm start's peak than these three). getenv reads libc's environment; __errno_location is read once.
 */
const SIGNATURES = {
  syscall: { parameters: ["i64", "u64", "u64", "u64", "u64", "u64", "u64"], result: I64 },
  getenv: { parameters: ["buffer"], result: U64 },
  __errno_location: { parameters: [], result: U64 },
  // Run on a thread of Deno's blocking pool: the JS thread gets a Promise and sleeps meanwhile.
  // Deno compiles no trampoline for these either.
  nonblocking_epoll_wait: { name: "epoll_wait", parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  nonblocking_getpid: { name: "getpid", parameters: [], result: "i32", nonblocking: true },
} as const;
type Symbols = Deno.DynamicLibrary<typeof SIGNATURES>["symbols"];

/** One dlopen for the process: binding all symbols costs ≈ 0.3 ms now that none is compiled. */
let opened: Symbols | undefined;
function symbols(): Symbols {
  try {
    return (opened ??= Deno.dlopen("libc.so.6", SIGNATURES).symbols);
  } catch (e) {
    if (e instanceof Error && e.name === "NotCapable") throw new FfiPermissionError();
    throw e;
  }
}

// The integer a struct result carries, from its bytes (little-endian, as rax held them): no
// allocation, so nothing can run between a failed call and the read of its errno.
const int32 = (r: Uint8Array) => r[0] | (r[1] << 8) | (r[2] << 16) | (r[3] << 24);
/** x86-64 numbers of the system calls made through syscall(2) here. */
const NR = { read: 0n, write: 1n, close: 3n, mmap: 9n, munmap: 11n, ioctl: 16n, getpid: 39n, rename: 82n, mkdir: 83n, mount: 165n, epoll_wait: 232n, openat: 257n };
const AT_FDCWD = -100;
const int64 = (r: Uint8Array) => ((r[4] | (r[5] << 8) | (r[6] << 16) | (r[7] << 24)) * 2 ** 32) + (int32(r) >>> 0);
const uint64 = (r: Uint8Array) => new DataView(r.buffer, r.byteOffset, 8).getBigUint64(0, true);

export const processHooks: ProcessHooks = {
  onSignal: (signal, f) => Deno.addSignalListener(signal, f),
  onFatalError: () => () => {},
  // Deno dispatches "unload" when the program ends, by Deno.exit() too.
  onExit: (f) => globalThis.addEventListener("unload", f),
  exit: (code) => Deno.exit(code),
  setExitCode: (code) => void (Deno.exitCode = code),
  exitCode: () => Deno.exitCode,
  // Not setTimeout: Deno loads its timers on first use (≈ 6 ms, 3 MB). A nonblocking FFI call
  // resolves on a later turn of the event loop, after the I/O it found pending.
  soon: (f) => {
    let cancelled = false;
    nextTurn().then(() => cancelled || f());
    return () => void (cancelled = true);
  },
  // Not setTimeout: Deno's timers are Node's (its setTimeout returns a Node Timeout), and their
  // first use loads them: ≈ 4 MB of peak memory, ms of a start or a stop.
  nextTask: (f) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      f();
    };
    channel.port2.postMessage(undefined);
  },
  after,
  collectGarbage: () => false,
};

/**
 * A timeout of V8's own (Atomics.waitAsync on a value nobody changes): not Deno's timers (see
 * nextTask). It keeps no event loop alive. (On Bun, JavaScriptCore's version cost ≈ 1 MB more
 * peak memory than a timer.)
 */
function after(ms: number, f: () => void): () => void {
  let cancelled = false;
  const wait = Atomics.waitAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  (wait.async ? wait.value : Promise.resolve(wait.value)).then(() => cancelled || f());
  return () => void (cancelled = true);
}

function nextTurn(): Promise<number> {
  return symbols().nonblocking_getpid();
}

function epollWaiter(epfd: number): EpollWaiter {
  const { nonblocking_epoll_wait } = symbols();
  const events = new Uint8Array(8 * 12); // struct epoll_event is 12 bytes, packed, on x86-64
  let closed = false;
  return {
    // Which fd is ready is not needed: the caller drains every buffer whatever woke it. After
    // close(), the fd number may be another's: no wait on it.
    wait: (timeoutMs) => closed ? Promise.resolve(1) : nonblocking_epoll_wait(epfd, events, 8, timeoutMs),
    close: () => {
      closed = true;
      return Promise.resolve(); // the thread is Deno's own (its blocking pool)
    },
  };
}

export function openLibc(): Libc {
  const c = symbols();
  const errnoView = new Int32Array(new Deno.UnsafePointerView(Deno.UnsafePointer.create(uint64(c.__errno_location()))!).getArrayBuffer(4));
  // Read errno immediately after a failed call, before anything else runs on this thread.
  const check = (r: number): number => (r === -1 ? -errnoView[0] : r);
  // Deno passes 64-bit parameters fastest as bigint; a negative one (an fd of -1, AT_FDCWD, a
  // timeout of -1) as its two's complement: the kernel reads the low bits it declares.
  const big = (n: number | bigint) => BigInt.asUintN(64, BigInt(n));
  const address = (buf: Uint8Array) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>)));
  const sys = (nr: bigint, a1 = 0n, a2 = 0n, a3 = 0n, a4 = 0n, a5 = 0n, a6 = 0n) => check(int64(c.syscall(nr, a1, a2, a3, a4, a5, a6)));
  // The buffers a call's addresses point into, held until it returns (only their addresses are passed).
  const held: Uint8Array[][] = [];
  const sysOn = (buffers: Uint8Array[], nr: bigint, ...args: bigint[]) => {
    held.push(buffers);
    try {
      return sys(nr, ...args);
    } finally {
      held.pop();
    }
  };

  return {
    runtime: "deno",
    process: processHooks,
    addressOf: (buf) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>))),
    view: (address, length) => new Deno.UnsafePointerView(Deno.UnsafePointer.create(address)!).getArrayBuffer(length),
    syscall: (nr, a1 = 0n, a2 = 0n, a3 = 0n, a4 = 0n, a5 = 0n, a6 = 0n) => sys(BigInt(nr), a1, a2, a3, a4, a5, a6),
    ioctl: (fd, request, arg) => sys(NR.ioctl, big(fd), big(request), arg),
    // An address is below 2^47: exact as a number.
    mmap: (length, prot, flags, fd, offset) => BigInt(sys(NR.mmap, 0n, big(length), big(prot), big(flags), big(fd), big(offset))),
    munmap: (at, length) => sys(NR.munmap, at, big(length)),
    open: (path, flags, mode = 0) => {
      const p = cString(path);
      return sysOn([p], NR.openat, big(AT_FDCWD), address(p), big(flags), big(mode));
    },
    read: (fd, buf, length = buf.length) => sysOn([buf], NR.read, big(fd), address(buf), big(length)),
    write: (fd, buf, length = buf.length) => sysOn([buf], NR.write, big(fd), address(buf), big(length)),
    close: (fd) => sys(NR.close, big(fd)),
    mount: (source, target, fsType, flags) => {
      const s = cString(source), t = cString(target), f = cString(fsType);
      return sysOn([s, t, f], NR.mount, address(s), address(t), address(f), big(flags), 0n);
    },
    getpid: () => sys(NR.getpid),
    getenv: (name) => {
      const v = uint64(c.getenv(cString(name)));
      return v === 0n ? undefined : new Deno.UnsafePointerView(Deno.UnsafePointer.create(v)!).getCString();
    },
    mkdir: (path, mode) => {
      const p = cString(path);
      return sysOn([p], NR.mkdir, address(p), big(mode));
    },
    rename: (from, to) => {
      const f = cString(from), t = cString(to);
      return sysOn([f, t], NR.rename, address(f), address(t));
    },
    epollWait: (epfd, events, maxEvents, timeoutMs) => sysOn([events], NR.epoll_wait, big(epfd), address(events), big(maxEvents), big(timeoutMs)),
    epollWaiter,
    pacesWithEpoll: true,
  };
}
