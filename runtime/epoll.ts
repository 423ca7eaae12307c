// An epoll set over the fds the kernel signals when events arrive (ring buffer maps, perf
// events), waited on off the JS thread (runtime/ffi: a Deno nonblocking call, a Bun Worker), with
// an eventfd in the set so close() can end a wait that would otherwise last until the next event.
// sleep() waits on a second set that holds only that eventfd: a timer that close() ends too.
//
// A wait that returns early is not news: a signal that interrupts epoll_wait (a profiler's, the
// script's own handled one) makes it wait again for the time left, and a wait that fails is an
// error (the event pump then drains on timers), never a "ready" that would have the pump drain,
// wait, return at once and drain again for as long as the cause lasts.
import { type EpollWaiter, libcSync, SYS } from "./ffi/mod.ts";
import { syscallError } from "./errors.ts";
import { OwnedFd } from "./fd.ts";

const EPOLL_CLOEXEC = 0o2000000, EFD_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;
const EPOLL_CTL_ADD = 1, EPOLLIN = 1, EINTR = 4;
/**
 * Interruptions in a row, each within a millisecond of the last, after which a wait fails: a
 * thread whose epoll_wait returns at once, every time, would otherwise be asked again forever.
 */
const MAX_QUICK_INTERRUPTIONS = 64;
/**
 * How long close() waits at most, after making the set ready, for the waiting thread to return.
 * It returns within milliseconds; the bound is for one that never does (a runtime's thread that
 * does not run again): stop() ends all the same, and the fds are closed without it (the kernel
 * keeps a set alive while a thread waits in it; only the numbers are freed).
 */
const RETURN_WAIT_MS = 2000;

export class Epoll {
  readonly #epoll: OwnedFd;
  readonly #wake: OwnedFd;
  #waiter?: EpollWaiter;
  /** The set sleep() waits on: the eventfd alone. */
  #sleepSet?: OwnedFd;
  #sleeper?: EpollWaiter;
  /** The wait in progress: the fds stay open until it returns (see close()). */
  #pending?: Promise<boolean>;
  #closed?: Promise<void>;

  constructor(fds: number[]) {
    const c = libcSync();
    const epfd = c.syscall(SYS.epoll_create1, BigInt(EPOLL_CLOEXEC));
    if (epfd < 0) throw syscallError("epoll_create1", epfd);
    this.#epoll = new OwnedFd(epfd, "epoll set of the event buffers");
    const efd = c.syscall(SYS.eventfd2, 0n, BigInt(EFD_CLOEXEC | EFD_NONBLOCK));
    if (efd < 0) {
      this.#epoll.close();
      throw syscallError("eventfd2", efd);
    }
    this.#wake = new OwnedFd(efd, "eventfd that ends an epoll wait");
    try {
      for (const fd of [efd, ...fds]) this.#add(this.#epoll, fd);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  #add(set: OwnedFd, fd: number): void {
    const event = new Uint8Array(12); // struct epoll_event { u32 events; u64 data } packed
    new DataView(event.buffer).setUint32(0, EPOLLIN, true);
    const c = libcSync();
    const r = c.syscall(SYS.epoll_ctl, BigInt(set.fd), BigInt(EPOLL_CTL_ADD), BigInt(fd), c.addressOf(event));
    if (r < 0) throw syscallError("epoll_ctl(EPOLL_CTL_ADD)", r, `fd ${fd}`);
  }

  /** Resolves when an fd of the set is readable (true) or after close() (true), or after `timeoutMs` (false; -1: never). */
  wait(timeoutMs: number): Promise<boolean> {
    // Its fd numbers may be another set's by now.
    if (this.#closed) return Promise.resolve(true);
    this.#waiter ??= libcSync().epollWaiter(this.#epoll.fd);
    return this.#track(this.#waitOn(this.#waiter, this.#epoll, timeoutMs));
  }

  /**
   * Resolves after `ms`, or at once after close(). One wait or sleep at a time. A flowing event
   * pump sleeps once a millisecond: a sleep that ran its time is one promise reaction on the
   * waiter's result (not #waitOn's loop and #track's finally, ≈ ten promise jobs per sleep).
   */
  sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (!this.#sleepSet) {
      const fd = libcSync().syscall(SYS.epoll_create1, BigInt(EPOLL_CLOEXEC));
      if (fd < 0) return Promise.reject(syscallError("epoll_create1", fd));
      this.#sleepSet = new OwnedFd(fd, "epoll set that sleeps until stop()");
      try {
        this.#add(this.#sleepSet, this.#wake.fd);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const sleeper = this.#sleeper ??= libcSync().epollWaiter(this.#sleepSet.fd);
    const set = this.#sleepSet, until = performance.now() + ms;
    const pending: Promise<boolean> = sleeper.wait(ms).then((ready) => {
      if (ready >= 0 || this.#closed) return this.#settled(pending);
      // Interrupted or failed: told apart, and waited again for the time left, as wait() does.
      const left = Math.max(0, Math.ceil(until - performance.now()));
      return this.#waitOn(sleeper, set, left, true).finally(() => this.#settled(pending));
    });
    this.#pending = pending;
    return pending as Promise<unknown> as Promise<void>;
  }

  /** The wait `pending` has returned: none is in progress now, unless another took its place. */
  #settled(pending: Promise<boolean>): boolean {
    if (this.#pending === pending) this.#pending = undefined;
    return true;
  }

  /**
   * Waits on `set` until something is ready (true) or `timeoutMs` ran out (false). The waiting
   * thread's errno is lost: after a failed return the set is asked once more from this thread,
   * without waiting, which tells an interruption (wait again for the time left) from a failure.
   * `failedOnce`: the waiter has just returned such a failure (sleep() made the first wait).
   */
  async #waitOn(waiter: EpollWaiter, set: OwnedFd, timeoutMs: number, failedOnce = false): Promise<boolean> {
    const until = performance.now() + timeoutMs;
    let quick = 0, last = performance.now();
    for (let left = timeoutMs;;) {
      const ready = failedOnce ? -1 : await waiter.wait(left);
      failedOnce = false;
      if (ready >= 0) return ready > 0;
      if (this.#closed) return true;
      const now = performance.now();
      quick = now - last < 1 ? quick + 1 : 0;
      last = now;
      const again = libcSync().epollWait(set.fd, new Uint8Array(12), 1, 0);
      if (again > 0) return true;
      if (again < 0 && again !== -EINTR) throw syscallError("epoll_wait", again);
      if (quick >= MAX_QUICK_INTERRUPTIONS) throw syscallError("epoll_wait", -EINTR, `interrupted at once ${quick} times in a row`);
      if (timeoutMs >= 0) {
        left = Math.max(0, Math.ceil(until - now));
        if (left === 0) return false;
      }
    }
  }

  #track(wait: Promise<boolean>): Promise<boolean> {
    const pending = wait.finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    this.#pending = pending;
    return pending;
  }

  /** Ends a wait in progress and releases the set; resolves once the fds are closed. */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    const gone = Promise.all([this.#waiter?.close(), this.#sleeper?.close()]).then(() => {});
    const pending = this.#pending;
    if (!pending) {
      this.#release();
      return (this.#closed = gone);
    }
    // Readable from now on: the waiting thread returns. Only then are the fds closed: closing the
    // eventfd first would take it out of the set before the thread saw it, and it would sleep on.
    const one = new Uint8Array(8);
    one[0] = 1;
    const c = libcSync();
    c.write(this.#wake.fd, one);
    const returned = new Promise<void>((resolve) => {
      const cancel = c.process.after(RETURN_WAIT_MS, resolve);
      pending.then(() => (cancel(), resolve()), () => (cancel(), resolve()));
    });
    return (this.#closed = returned.then(() => this.#release()).then(() => gone));
  }

  #release(): void {
    this.#wake.close();
    this.#epoll.close();
    this.#sleepSet?.close();
  }
}
