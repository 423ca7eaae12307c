// A child process held by a pidfd (pidfd_open(2), Linux 5.3) rather than by its PID. Once a
// child has exited and been reaped its PID is free, and kill(PID) may then reach whatever
// process took it; a pidfd keeps naming the process it was opened for, and a signal sent
// through it after the reaping fails with ESRCH instead. It must be opened while the child is
// certainly not yet reaped: right after the spawn, in the same task (both runtimes reap in
// their event loop).
import { libcSync, SYS } from "./ffi/mod.ts";
import { OwnedFd } from "./fd.ts";
import { syscallError } from "./errors.ts";
import { Epoll } from "./epoll.ts";

const ESRCH = 3;
const ENOSYS = 38;
const POLLIN = 1;
/** How often whenExited() looks where no thread can wait for the exit. */
const EXIT_POLL_MS = 20;

export class ProcessFd {
  #fd: OwnedFd;
  private constructor(fd: number, readonly pid: number) {
    this.#fd = new OwnedFd(fd, `pidfd of process ${pid}`);
  }

  /**
   * The pidfd of `pid` (one whose signals reach no one when `pid` was reaped already), or
   * undefined when this kernel has no pidfd_open (before Linux 5.3).
   */
  static open(pid: number): ProcessFd | undefined {
    const fd = libcSync().syscall(SYS.pidfd_open, BigInt(pid), 0n);
    if (fd === -ENOSYS) return undefined;
    if (fd < 0 && fd !== -ESRCH) throw syscallError(`pidfd_open(${pid})`, fd);
    return new ProcessFd(fd, pid);
  }

  /**
   * Sends signal number `signo` to this process (0: none, only whether it is there); false when
   * it has been reaped (or the pidfd was closed). A zombie not yet reaped still counts.
   */
  signal(signo: number): boolean {
    if (this.#fd.closed) return false;
    const r = libcSync().syscall(SYS.pidfd_send_signal, BigInt(this.#fd.fd), BigInt(signo), 0n, 0n);
    if (r < 0 && r !== -ESRCH) throw syscallError(`pidfd_send_signal(${this.pid}, ${signo})`, r);
    return r === 0;
  }

  /**
   * Whether /proc/PID (read before this call) was this process's: it was, as long as the
   * process is still there now, since its PID cannot be handed out again before it is reaped.
   */
  stillThere(): boolean {
    return this.signal(0);
  }

  /**
   * Whether the process has exited (a zombie not yet reaped counts: it has exited), asked
   * without waiting: its pidfd is readable from then on.
   */
  exited(): boolean {
    if (this.#fd.closed) return true;
    const c = libcSync();
    const pollfd = new Uint8Array(8); // struct pollfd { int fd; short events; short revents; }
    const view = new DataView(pollfd.buffer);
    view.setInt32(0, this.#fd.fd, true);
    view.setInt16(4, POLLIN, true);
    let r;
    // EINTR: a signal (SIGCHLD, when a -c command's orphan ends) came during the call, which did nothing.
    while ((r = c.syscall(SYS.poll, c.addressOf(pollfd), 1n, 0n)) === -4);
    if (r < 0) throw syscallError("poll(pidfd)", r, `process ${this.pid}`);
    return r > 0;
  }

  /**
   * Calls `f` once the process has exited (soon, if it has already), waiting for its pidfd to
   * become readable off the JS thread (runtime/epoll.ts): the wait costs no wakeups, where a look
   * every 20 ms cost an idle tracer 70 a second and 3 % of a core. Where that thread cannot run,
   * it looks every 20 ms. Returns what ends the watch sooner. Keep the pidfd open meanwhile.
   */
  whenExited(f: () => void): () => void {
    let done = false, cancel = () => {};
    const fire = () => {
      if (done) return;
      done = true;
      cancel();
      f();
    };
    const look = () => {
      if (done) return;
      if (this.exited()) fire();
      else cancel = libcSync().process.after(EXIT_POLL_MS, look);
    };
    if (this.exited()) {
      queueMicrotask(fire);
    } else {
      const set = new Epoll([this.#fd.fd]);
      cancel = () => void set.close();
      set.wait(-1).then(look, () => {
        void set.close();
        look();
      });
    }
    return () => {
      done = true;
      cancel();
    };
  }

  close(): void {
    this.#fd.close();
  }
}
