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
const I32 = { struct: ["i32"] } as const;
const I64 = { struct: ["i64"] } as const;
const U64 = { struct: ["u64"] } as const;

const SIGNATURES = {
  syscall: { parameters: ["i64", "u64", "u64", "u64", "u64", "u64", "u64"], result: I64 },
  ioctl: { parameters: ["i32", "u64", "u64"], result: I32 },
  mmap: { parameters: ["u64", "u64", "i32", "i32", "i32", "i64"], result: U64 },
  munmap: { parameters: ["u64", "u64"], result: I32 },
  open: { parameters: ["buffer", "i32", "i32"], result: I32 },
  read: { parameters: ["i32", "buffer", "u64"], result: I64 },
  write: { parameters: ["i32", "buffer", "u64"], result: I64 },
  close: { parameters: ["i32"], result: I32 },
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "pointer"], result: I32 },
  getpid: { parameters: [], result: I32 },
  getenv: { parameters: ["buffer"], result: U64 },
  mkdir: { parameters: ["buffer", "i32"], result: I32 },
  rename: { parameters: ["buffer", "buffer"], result: I32 },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: I32 },
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
};

function nextTurn(): Promise<number> {
  return symbols().nonblocking_getpid();
}

function epollWaiter(epfd: number): EpollWaiter {
  const { nonblocking_epoll_wait } = symbols();
  const events = new Uint8Array(8 * 12); // struct epoll_event is 12 bytes, packed, on x86-64
  return {
    // Which fd is ready is not needed (errno is lost on the other thread anyway): the caller
    // drains every buffer whatever woke it.
    wait: async (timeoutMs) => (await nonblocking_epoll_wait(epfd, events, 8, timeoutMs)) !== 0,
    close: () => Promise.resolve(), // the thread is Deno's own (its blocking pool)
  };
}

export function openLibc(): Libc {
  const c = symbols();
  const errnoView = new Int32Array(new Deno.UnsafePointerView(Deno.UnsafePointer.create(uint64(c.__errno_location()))!).getArrayBuffer(4));
  // Read errno immediately after a failed call, before anything else runs on this thread.
  const check = (r: number): number => (r === -1 ? -errnoView[0] : r);
  // Deno passes 64-bit parameters fastest as bigint.
  const big = (n: number | bigint) => BigInt(n);

  return {
    runtime: "deno",
    process: processHooks,
    addressOf: (buf) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>))),
    view: (address, length) => new Deno.UnsafePointerView(Deno.UnsafePointer.create(address)!).getArrayBuffer(length),
    syscall: (nr, a1 = 0n, a2 = 0n, a3 = 0n, a4 = 0n, a5 = 0n, a6 = 0n) =>
      check(int64(c.syscall(big(nr), a1, a2, a3, a4, a5, a6))),
    ioctl: (fd, request, arg) => check(int32(c.ioctl(fd, big(request), arg))),
    mmap: (length, prot, flags, fd, offset) => {
      const r = c.mmap(0n, big(length), prot, flags, fd, big(offset));
      return int64(r) === -1 ? BigInt(-errnoView[0]) : uint64(r);
    },
    munmap: (address, length) => check(int32(c.munmap(address, big(length)))),
    open: (path, flags, mode = 0) => check(int32(c.open(cString(path), flags, mode))),
    read: (fd, buf, length = buf.length) => check(int64(c.read(fd, buf as Uint8Array<ArrayBuffer>, big(length)))),
    write: (fd, buf, length = buf.length) => check(int64(c.write(fd, buf as Uint8Array<ArrayBuffer>, big(length)))),
    close: (fd) => check(int32(c.close(fd))),
    mount: (source, target, fsType, flags) =>
      check(int32(c.mount(cString(source), cString(target), cString(fsType), big(flags), null))),
    getpid: () => int32(c.getpid()),
    getenv: (name) => {
      const v = uint64(c.getenv(cString(name)));
      return v === 0n ? undefined : new Deno.UnsafePointerView(Deno.UnsafePointer.create(v)!).getCString();
    },
    mkdir: (path, mode) => check(int32(c.mkdir(cString(path), mode))),
    rename: (from, to) => check(int32(c.rename(cString(from), cString(to)))),
    epollWait: (epfd, events, maxEvents, timeoutMs) =>
      check(int32(c.epoll_wait(epfd, events as Uint8Array<ArrayBuffer>, maxEvents, timeoutMs))),
    epollWaiter,
    pacesWithEpoll: true,
  };
}
