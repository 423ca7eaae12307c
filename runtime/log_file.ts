// A log too long for an error message (the verifier's), written where only root can have put
// it: a new file with a random name, created exclusively (O_EXCL: never an existing file, never
// through a symlink another user planted), readable by its owner only, in a TMPDIR no other user
// can change (else /tmp: in theirs, they could replace the log root reads).
import { libcSync } from "./ffi/mod.ts";
import { trustedTmpDir } from "./private_dir.ts";

const O_WRONLY = 1, O_CREAT = 0o100, O_EXCL = 0o200, O_NOFOLLOW = 0o400000, O_CLOEXEC = 0o2000000;

/** Writes `text` to a new file `<TMPDIR or /tmp>/<prefix>-<random>.log`; its path, or undefined if it could not. */
export function writeLogFile(prefix: string, text: string): string | undefined {
  const c = libcSync();
  let dir: string;
  try {
    dir = trustedTmpDir().replace(/\/+$/, "");
  } catch {
    return undefined;
  }
  const random = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const path = `${dir}/${prefix.replace(/[^A-Za-z0-9_.-]/g, "_")}-${random}.log`;
  const fd = c.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600);
  if (fd < 0) return undefined;
  try {
    const data = new TextEncoder().encode(text);
    for (let off = 0; off < data.length;) {
      const n = c.write(fd, data.subarray(off));
      if (n === -4) continue;
      if (n <= 0) return undefined;
      off += n;
    }
    return path;
  } finally {
    c.close(fd);
  }
}
