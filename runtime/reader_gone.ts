// Whether the reader of the process's output has gone: `tsbpf ... | head` once head has ended.
// A C tool dies of SIGPIPE at its next write; Bun and Deno ignore SIGPIPE and console.log drops
// what it cannot write, so a tracer would print into nothing until Ctrl-C. Only pipes are
// watched: a terminal that goes away sends SIGHUP, a file has no reader, and a socket is what a
// service's stdout is (journald's), where a tracer serving --metrics must outlive the journal,
// as systemd's IgnoreSIGPIPE=yes lets a C service do.
import { libcSync, SYS } from "./ffi/mod.ts";
import { OwnedFd } from "./fd.ts";
import { fstat, S_IFIFO, S_IFMT } from "./file_stat.ts";

const EPOLL_CLOEXEC = 0o2000000, EPOLL_CTL_ADD = 1;
/** Reported by epoll whatever the events asked: EPOLLERR for a pipe's write end without readers. */
const EPOLLERR = 0x8, EPOLLHUP = 0x10;
/** How often the reader is checked: one epoll_wait(0) syscall, so an idle tracer stays idle. */
const CHECK_MS = 500;

/**
 * Calls `f` once the reader of `fd` has gone, checking every half second; returns what ends the
 * watch. Nothing is watched (and `f` never runs) unless `fd` is a pipe.
 */
export function whenReaderGone(fd: number, f: () => void): () => void {
  const st = fstat(fd);
  if (typeof st === "number") return () => {};
  if ((st.mode & S_IFMT) !== S_IFIFO) return () => {};
  const c = libcSync();
  const epfd = c.syscall(SYS.epoll_create1, BigInt(EPOLL_CLOEXEC));
  if (epfd < 0) return () => {};
  const set = new OwnedFd(epfd, "epoll set watching the output's reader");
  const event = new Uint8Array(12); // struct epoll_event { u32 events; u64 data } packed; no event asked
  if (c.syscall(SYS.epoll_ctl, BigInt(epfd), BigInt(EPOLL_CTL_ADD), BigInt(fd), c.addressOf(event)) < 0) {
    set.close();
    return () => {};
  }
  const ready = new Uint8Array(12);
  // The runtime's own quiet timeout, which keeps no event loop alive: Node's timers would cost a
  // Deno tracer ≈ 4 MB of peak memory whenever its output is a pipe.
  let cancel: () => void;
  const check = () => {
    const gone = c.epollWait(set.fd, ready, 1, 0) > 0 && (new DataView(ready.buffer).getUint32(0, true) & (EPOLLERR | EPOLLHUP)) !== 0;
    if (!gone) return void (cancel = c.process.after(CHECK_MS, check));
    end();
    f();
  };
  cancel = c.process.after(CHECK_MS, check);
  const end = () => {
    cancel();
    set.close();
  };
  return end;
}
