// Reading kernel files through libc, so Deno needs only --allow-ffi (not --allow-read).
import { libcSync } from "./ffi/mod.ts";
import { syscallError, TracerError } from "./errors.ts";

const O_RDONLY = 0, O_CLOEXEC = 0o2000000;

/** The whole file, or undefined if it does not exist. Throws on other errors. */
export function readFileBytes(path: string): Uint8Array | undefined {
  const c = libcSync();
  const fd = c.open(path, O_RDONLY | O_CLOEXEC);
  if (fd === -2 || fd === -20) return undefined; // ENOENT, ENOTDIR
  if (fd < 0) throw syscallError(`open("${path}")`, fd);
  try {
    // One buffer, doubled when full: /proc files come back a page per read(), so allocating
    // per read would copy a large file (kallsyms) over and over.
    let buf = new Uint8Array(65536);
    let total = 0;
    for (;;) {
      if (total === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const n = c.read(fd, buf.subarray(total), buf.length - total);
      if (n === -4) continue;
      if (n < 0) throw syscallError(`read("${path}")`, n);
      if (n === 0) break;
      total += n;
    }
    return buf.subarray(0, total);
  } finally {
    c.close(fd);
  }
}

export function readTextFile(path: string): string | undefined {
  const bytes = readFileBytes(path);
  return bytes && new TextDecoder().decode(bytes);
}

export function fileExists(path: string): boolean {
  const c = libcSync();
  const fd = c.open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) c.close(fd);
  return fd >= 0 || fd === -13 || fd === -21; // EACCES, EISDIR: it exists
}

const O_WRONLY = 1, O_CREAT = 0o100, O_TRUNC = 0o1000;

/** Creates a directory and its parents (like mkdir -p). */
export function makeDirs(path: string): void {
  const c = libcSync();
  let at = "";
  for (const part of path.split("/").filter(Boolean)) {
    at += "/" + part;
    const r = c.mkdir(at, 0o755);
    if (r < 0 && r !== -17) throw syscallError(`mkdir("${at}")`, r);
  }
}

/** Writes a file whole: to a temporary name first, then renamed, so readers never see half of it. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const c = libcSync();
  const tmp = `${path}.${c.getpid()}.tmp`;
  const fd = c.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644);
  if (fd < 0) throw syscallError(`open("${tmp}")`, fd);
  try {
    let off = 0;
    while (off < data.length) {
      const n = c.write(fd, data.subarray(off));
      if (n === -4) continue;
      if (n < 0) throw syscallError(`write("${tmp}")`, n);
      off += n;
    }
  } finally {
    c.close(fd);
  }
  const r = c.rename(tmp, path);
  if (r < 0) throw syscallError(`rename("${tmp}")`, r);
}

const O_NOFOLLOW = 0o400000, O_NONBLOCK = 0o4000;

/**
 * Writes a file the user named (a profile, an export), created 0644 or truncated. Run as root,
 * it follows no symbolic link in the last component and does not block on a FIFO another user
 * put there (O_NOFOLLOW, O_NONBLOCK: ELOOP, ENXIO).
 */
export function writeFileNoFollow(path: string, data: Uint8Array): void {
  const c = libcSync();
  const fd = c.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644);
  if (fd === -40) throw new TracerError(`Cannot write "${path}": it is a symbolic link, which tsbpf (running as root) does not write through; name the file itself`);
  if (fd === -6) throw new TracerError(`Cannot write "${path}": it is a FIFO nobody reads; name a regular file`);
  if (fd < 0) throw syscallError(`open("${path}")`, fd);
  try {
    let off = 0;
    while (off < data.length) {
      const n = c.write(fd, data.subarray(off));
      if (n === -4) continue;
      if (n < 0) throw syscallError(`write("${path}")`, n);
      off += n;
    }
  } finally {
    c.close(fd);
  }
}
