// The Bun implementation of the libc contract (bun:ffi).
//
// bun:ffi arrives as an argument rather than an import, so a bundle of a tsbpf script (esbuild
// keeps `await import("bun:ffi")` dynamic) still loads under Deno, which has no such module.
import type * as BunFfi from "bun:ffi";
import { cString, type Libc, type ProcessHooks } from "./ffi.ts";
import { bunEpollWaiter } from "./bun_epoll.ts";

// Bun's global process (node:process is the same object): importing node:process would load
// Deno's Node layer too, where runtime/ffi/mod.ts imports this file without running it.
declare const process: typeof import("node:process");
declare const Bun: { gc(force: boolean): void };

export const processHooks: ProcessHooks = {
  onSignal: (signal, f) => void process.on(signal, f),
  onFatalError: (f) => {
    // Ours is the only listener unless the script added its own: then the error is the script's.
    const fatal = (kind: "uncaughtException" | "unhandledRejection") => (error: unknown) => {
      if (process.listenerCount(kind) === 1) f(error);
    };
    const onException = fatal("uncaughtException"), onRejection = fatal("unhandledRejection");
    process.on("uncaughtException", onException);
    process.on("unhandledRejection", onRejection);
    return () => {
      process.off("uncaughtException", onException);
      process.off("unhandledRejection", onRejection);
    };
  },
  onExit: (f) => void process.on("exit", f),
  exit: (code) => process.exit(code),
  setExitCode: (code) => void (process.exitCode = code),
  exitCode: () => Number(process.exitCode ?? 0),
  soon: (f) => {
    const id = setImmediate(f);
    return () => clearImmediate(id);
  },
  nextTask: (f) => void setTimeout(f, 0),
  after: (ms, f) => {
    const timer = setTimeout(f, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
  collectGarbage: () => {
    Bun.gc(true);
    return true;
  },
};

export function openLibc({ dlopen, ptr, toArrayBuffer, FFIType }: typeof BunFfi): Libc {
  const { i32, i64, u64, ptr: p } = FFIType;
  const { symbols: c } = dlopen("libc.so.6", {
    syscall: { args: [i64, u64, u64, u64, u64, u64, u64], returns: i64 },
    ioctl: { args: [i32, u64, u64], returns: i32 },
    mmap: { args: [u64, u64, i32, i32, i32, i64], returns: u64 },
    munmap: { args: [u64, u64], returns: i32 },
    open: { args: [p, i32, i32], returns: i32 },
    read: { args: [i32, p, u64], returns: i64 },
    write: { args: [i32, p, u64], returns: i64 },
    close: { args: [i32], returns: i32 },
    mount: { args: [p, p, p, u64, p], returns: i32 },
    getpid: { args: [], returns: i32 },
    mkdir: { args: [p, i32], returns: i32 },
    rename: { args: [p, p], returns: i32 },
    epoll_wait: { args: [i32, p, i32, i32], returns: i32 },
    __errno_location: { args: [], returns: p },
  });
  const errnoView = new Int32Array(toArrayBuffer(c.__errno_location() as number, 0, 4));
  // Read errno immediately after a failed call, before anything else runs on this thread.
  const check = (r: number | bigint): number => (Number(r) === -1 ? -errnoView[0] : Number(r));

  return {
    runtime: "bun",
    process: processHooks,
    addressOf: (buf) => BigInt(ptr(buf)),
    view: (address, length) => toArrayBuffer(Number(address), 0, length),
    syscall: (nr, a1 = 0n, a2 = 0n, a3 = 0n, a4 = 0n, a5 = 0n, a6 = 0n) =>
      check(c.syscall(nr, a1, a2, a3, a4, a5, a6)),
    ioctl: (fd, request, arg) => check(c.ioctl(fd, request, arg)),
    mmap: (length, prot, flags, fd, offset) => {
      const r = BigInt.asIntN(64, BigInt(c.mmap(0, length, prot, flags, fd, offset)));
      return r === -1n ? BigInt(-errnoView[0]) : r;
    },
    munmap: (address, length) => check(c.munmap(address, length)),
    open: (path, flags, mode = 0) => check(c.open(cString(path), flags, mode)),
    read: (fd, buf, length = buf.length) => check(c.read(fd, buf, length)),
    write: (fd, buf, length = buf.length) => check(c.write(fd, buf, length)),
    close: (fd) => check(c.close(fd)),
    mount: (source, target, fsType, flags) =>
      check(c.mount(cString(source), cString(target), cString(fsType), flags, null)),
    getpid: () => c.getpid() as number,
    // Bun's process.env is a copy that assignments do not write back to libc's environment:
    // ask it, so a script's process.env.TSBPF_... counts as it does under Deno.
    getenv: (name) => process.env[name],
    mkdir: (path, mode) => check(c.mkdir(cString(path), mode)),
    rename: (from, to) => check(c.rename(cString(from), cString(to))),
    epollWait: (epfd, events, maxEvents, timeoutMs) => check(c.epoll_wait(epfd, events, maxEvents, timeoutMs)),
    epollWaiter: bunEpollWaiter,
    pacesWithEpoll: false,
  };
}
