// Whether this process is in its terminal's foreground process group: then Ctrl-C (SIGINT) and
// Ctrl-\ (SIGQUIT) reached every process of the group, `tsbpf run`'s child included, and
// passing them on would deliver them twice (the second SIGINT ends a tracer without end()).
import { libcSync, SYS } from "../runtime/ffi/mod.ts";

const O_RDONLY = 0, O_NOCTTY = 0o400, O_NONBLOCK = 0o4000;
const TIOCGPGRP = 0x540f;

export function inForegroundGroup(): boolean {
  const c = libcSync();
  const fd = c.open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return false; // no controlling terminal: signals come from kill(), one process each
  try {
    const pgrp = new Uint8Array(4);
    if (c.ioctl(fd, TIOCGPGRP, c.addressOf(pgrp)) < 0) return false;
    return new DataView(pgrp.buffer).getInt32(0, true) === c.syscall(SYS.getpgrp);
  } finally {
    c.close(fd);
  }
}
