// Bun has no nonblocking FFI calls, so the blocking epoll_wait runs in a Worker: it sleeps on
// a shared word until asked to wait (Atomics.wait), then in epoll_wait until the kernel has
// something or the timeout (the second word) ran out, then posts epoll_wait's result, which
// resolves the JS thread's wait(). A signal that interrupts epoll_wait (EINTR: a profiler's,
// the script's own handled signal) is no news for the JS thread: the Worker waits again for
// the time left, so a stream of signals wakes only this thread. One Worker per waiter,
// started on the first wait() (a tracer that never goes quiet never starts one), unref'd: it
// never keeps the process alive by itself.
import type { EpollWaiter } from "./ffi.ts";

const IDLE = 0, WAIT = 1, CLOSE = 2;
const EINTR = 4;
/**
 * How long close() waits at most, from when it is called, for the Worker to end. It ends within
 * milliseconds (37 ms at a load of 20 on 2 cores); the bound is for a Worker that never ends.
 */
const ENDED_WAIT_MS = 2000;

// Runs in the Worker. A blob: source, so a one-file bundle of a script carries it.
const WORKER = `
import { dlopen, toArrayBuffer } from "bun:ffi";
self.onmessage = ({ data: { epfd, control } }) => {
  const { symbols: c, close } = dlopen("libc.so.6", {
    epoll_wait: { args: ["i32", "ptr", "i32", "i32"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  });
  const errno = new Int32Array(toArrayBuffer(c.__errno_location(), 0, 4));
  const state = new Int32Array(control);
  const events = new Uint8Array(8 * 12);
  for (;;) {
    Atomics.wait(state, 0, ${IDLE});
    if (Atomics.load(state, 0) === ${CLOSE}) break;
    const timeout = Atomics.load(state, 1), until = performance.now() + timeout;
    let ready = c.epoll_wait(epfd, events, 8, timeout);
    while (ready === -1 && errno[0] === ${EINTR} && Atomics.load(state, 0) === ${WAIT}) {
      const left = timeout < 0 ? -1 : Math.max(0, Math.ceil(until - performance.now()));
      ready = c.epoll_wait(epfd, events, 8, left);
    }
    Atomics.compareExchange(state, 0, ${WAIT}, ${IDLE});
    postMessage(ready);
  }
  // Closed before it got to wait (it had only just started): resolve a wait() still pending.
  postMessage(1);
  close();
  process.exit(0); // ends the Worker only (Bun's Workers have no self.close())
};
`;

let workerUrl: string | undefined;

export function bunEpollWaiter(epfd: number): EpollWaiter {
  /** [IDLE | WAIT | CLOSE, the timeout of the next wait in ms] */
  const state = new Int32Array(new SharedArrayBuffer(8));
  let worker: Worker | undefined;
  let woken: { resolve(ready: number): void; reject(e: unknown): void } | undefined;
  let failed: unknown;
  /** Resolves when the Worker has ended (its own event loop's fds closed with it). */
  let ended: Promise<void> = Promise.resolve();
  /** After close(): no Worker starts again, on an fd number that may be another's by now. */
  let closed = false;
  const start = (): Worker => {
    workerUrl ??= URL.createObjectURL(new Blob([WORKER], { type: "application/javascript" }));
    const w = new Worker(workerUrl);
    (w as unknown as { unref(): void }).unref();
    w.onmessage = ({ data: ready }) => {
      const f = woken;
      woken = undefined;
      f?.resolve(ready);
    };
    w.onerror = (e) => {
      failed = new Error(`The epoll Worker failed: ${e.message}`);
      woken?.reject(failed);
      woken = undefined;
    };
    ended = new Promise((resolve) => w.addEventListener("close", () => resolve()));
    w.postMessage({ epfd, control: state.buffer });
    return w;
  };
  return {
    wait: (timeoutMs) =>
      new Promise<number>((resolve, reject) => {
        if (failed) return reject(failed);
        if (closed) return resolve(1);
        woken = { resolve, reject };
        worker ??= start();
        Atomics.store(state, 1, timeoutMs);
        Atomics.store(state, 0, WAIT);
        Atomics.notify(state, 0);
      }),
    close: () => {
      // The caller makes the epoll set ready next: a Worker inside epoll_wait returns, resolves
      // the pending wait() and ends.
      closed = true;
      Atomics.store(state, 0, CLOSE);
      Atomics.notify(state, 0);
      worker = undefined;
      // Never hold up a stop() for longer, whatever the Worker does. Timed from here: a timer
      // set when the Worker started had run out in any tracer older than the bound, and stop()
      // then returned with the Worker's epoll set and eventfd still open.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ENDED_WAIT_MS)).unref?.());
      return Promise.race([ended, bound]).finally(() => clearTimeout(timer));
    },
  };
}
