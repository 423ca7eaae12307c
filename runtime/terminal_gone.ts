// The terminal the process writes to has hung up (its ssh connection dropped, its window closed):
// the SIGHUP that follows stops the tracers, and end() still prints. Bun drops what it cannot
// write; Deno's console.log throws EIO, which turned that stop into an uncaught error (status 1
// instead of SIGHUP's 129). So the output that went to the gone terminal goes to /dev/null from
// then on, as it would go nowhere anyway.
import { libcSync, SYS } from "./ffi/mod.ts";
import { fstat, S_IFCHR, S_IFMT } from "./file_stat.ts";

const POLLOUT = 4, POLLERR = 8, POLLHUP = 16;
const O_WRONLY = 1, O_CLOEXEC = 0o2000000;

/** Points stdout and stderr at /dev/null where they are a terminal that has hung up. */
export function leaveHungUpTerminal(): void {
  const c = libcSync();
  let devNull = -1;
  for (const fd of [1, 2]) {
    const st = fstat(fd);
    if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFCHR || !hungUp(fd)) continue;
    if (devNull < 0) devNull = c.open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devNull < 0) return;
    c.syscall(SYS.dup3, BigInt(devNull), BigInt(fd), 0n);
  }
  if (devNull >= 0) c.close(devNull);
}

/** A hung-up terminal reports POLLHUP (and POLLERR) to poll(2); a live one, or /dev/null, does not. */
function hungUp(fd: number): boolean {
  const c = libcSync();
  const pollfd = new Uint8Array(8); // struct pollfd { int fd; short events; short revents; }
  const view = new DataView(pollfd.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, POLLOUT, true);
  if (c.syscall(SYS.poll, c.addressOf(pollfd), 1n, 0n) <= 0) return false;
  return (view.getInt16(6, true) & (POLLHUP | POLLERR)) !== 0;
}
