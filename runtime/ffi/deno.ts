// The Deno implementation of the libc contract (Deno.dlopen). Needs only --allow-ffi.
import { cString, type EpollWaiter, type Libc, type ProcessHooks } from "./ffi.ts";
import { FfiPermissionError } from "../errors.ts";

const SIGNATURES = {
  syscall: { parameters: ["i64", "u64", "u64", "u64", "u64", "u64", "u64"], result: "i64" },
  ioctl: { parameters: ["i32", "u64", "u64"], result: "i32" },
  mmap: { parameters: ["u64", "u64", "i32", "i32", "i32", "i64"], result: "u64" },
  munmap: { parameters: ["u64", "u64"], result: "i32" },
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  write: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  close: { parameters: ["i32"], result: "i32" },
  mount: { parameters: ["buffer", "buffer", "buffer", "u64", "pointer"], result: "i32" },
  getpid: { parameters: [], result: "i32" },
  getenv: { parameters: ["buffer"], result: "pointer" },
  mkdir: { parameters: ["buffer", "i32"], result: "i32" },
  rename: { parameters: ["buffer", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;
type Signatures = typeof SIGNATURES;
type Symbols = Deno.DynamicLibrary<Signatures>["symbols"];

/**
 * Each symbol is bound on its first call: Deno.dlopen costs ≈ 0.2 ms per symbol, and a tracer
 * started from the compile cache uses fewer than half of them.
 */
function lazySymbols(): Symbols {
  const bound: Record<string, unknown> = {};
  return new Proxy(bound, {
    get: (_, name: string) =>
      (bound[name] ??= Deno.dlopen("libc.so.6", { [name]: SIGNATURES[name as keyof Signatures] }).symbols[name]),
  }) as unknown as Symbols;
}

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
};

let nextTurnCall: (() => Promise<number>) | undefined;
function nextTurn(): Promise<number> {
  nextTurnCall ??= Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32", nonblocking: true } }).symbols.getpid;
  return nextTurnCall();
}

/** The first symbol bound: where a missing --allow-ffi shows. */
function errnoLocation(c: Symbols): Deno.PointerObject {
  try {
    return c.__errno_location()!;
  } catch (e) {
    if (e instanceof Error && e.name === "NotCapable") throw new FfiPermissionError();
    throw e;
  }
}

/** epoll_wait run on a thread of Deno's blocking pool: the JS thread gets a Promise and sleeps meanwhile. */
let blockingEpollWait: ((epfd: number, events: Uint8Array<ArrayBuffer>, max: number, timeout: number) => Promise<number>) | undefined;

function epollWaiter(epfd: number): EpollWaiter {
  blockingEpollWait ??= Deno.dlopen("libc.so.6", {
    epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  }).symbols.epoll_wait;
  const events = new Uint8Array(8 * 12); // struct epoll_event is 12 bytes, packed, on x86-64
  return {
    // Which fd is ready is not needed (errno is lost on the other thread anyway): the caller
    // drains every buffer whatever woke it.
    wait: async (timeoutMs) => (await blockingEpollWait!(epfd, events, 8, timeoutMs)) !== 0,
    close: () => Promise.resolve(), // the thread is Deno's own (its blocking pool)
  };
}

export function openLibc(): Libc {
  const c = lazySymbols();
  const errnoView = new Int32Array(new Deno.UnsafePointerView(errnoLocation(c)).getArrayBuffer(4));
  // Read errno immediately after a failed call, before anything else runs on this thread.
  const check = (r: number | bigint): number => (Number(r) === -1 ? -errnoView[0] : Number(r));
  // Deno passes 64-bit parameters fastest as bigint.
  const big = (n: number | bigint) => BigInt(n);

  return {
    runtime: "deno",
    process: processHooks,
    addressOf: (buf) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>))),
    view: (address, length) => new Deno.UnsafePointerView(Deno.UnsafePointer.create(address)!).getArrayBuffer(length),
    syscall: (nr, a1 = 0n, a2 = 0n, a3 = 0n, a4 = 0n, a5 = 0n, a6 = 0n) =>
      check(c.syscall(big(nr), a1, a2, a3, a4, a5, a6)),
    ioctl: (fd, request, arg) => check(c.ioctl(fd, big(request), arg)),
    mmap: (length, prot, flags, fd, offset) => {
      const r = BigInt.asIntN(64, BigInt(c.mmap(0n, big(length), prot, flags, fd, big(offset))));
      return r === -1n ? BigInt(-errnoView[0]) : r;
    },
    munmap: (address, length) => check(c.munmap(address, big(length))),
    open: (path, flags, mode = 0) => check(c.open(cString(path), flags, mode)),
    read: (fd, buf, length = buf.length) => check(c.read(fd, buf as Uint8Array<ArrayBuffer>, big(length))),
    write: (fd, buf, length = buf.length) => check(c.write(fd, buf as Uint8Array<ArrayBuffer>, big(length))),
    close: (fd) => check(c.close(fd)),
    mount: (source, target, fsType, flags) =>
      check(c.mount(cString(source), cString(target), cString(fsType), big(flags), null)),
    getpid: () => c.getpid(),
    getenv: (name) => {
      const v = c.getenv(cString(name));
      return v === null ? undefined : new Deno.UnsafePointerView(v).getCString();
    },
    mkdir: (path, mode) => check(c.mkdir(cString(path), mode)),
    rename: (from, to) => check(c.rename(cString(from), cString(to))),
    epollWait: (epfd, events, maxEvents, timeoutMs) =>
      check(c.epoll_wait(epfd, events as Uint8Array<ArrayBuffer>, maxEvents, timeoutMs)),
    epollWaiter,
    pacesWithEpoll: true,
  };
}
