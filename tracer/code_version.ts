// Which code this tsbpf is, for the keys of what it caches from its own output: compiled programs
// (tracer/compile_cache.ts) and one-liners' generated scripts (cli/oneliner/oneliner_cache.ts).
// A kept entry is used only by the code that made it. The key follows the code, never a number
// bumped by hand: a change to the compiler that nobody marked handed users the programs the old
// one compiled, and two branches marking theirs with the same number shared entries.
//
// CODE_DIRS are the sources whose change can change what is kept: the compiler and its parser,
// the probe kinds, the kernel's types and facts the compiler is given (btf/, elf/, runtime/), the
// specs and their checks, the tracer that keys and loads them, and the command (the one-liner
// transform and what it uses). Babel, the parser of what the lean parser gives up on, is not in
// it: its tree is its API, stable within the major version package.json asks for.
//
// The npm package, Bun's bytecode build of it and `tsbpf build`'s bundles carry a digest made
// when they were built (pack/code_digest.ts; TSBPF_CODE_DIGEST below): a start reads nothing for
// it. Run from sources (a clone, the tests), it is a 64-bit hash of every file's identity and
// last change (inode, size, ctime: the kernel sets ctime on every write, and nobody can set it
// back), listed with getdents and examined with fstatat, the file's name given straight from the
// listing: about 300 system calls and no string made per file, where reading the sources would
// cost a start tens of milliseconds. Imported from a URL (JSR), it is that URL.
import { libcSync } from "../runtime/ffi/mod.ts";

declare const TSBPF_CODE_DIGEST: string | undefined;

/** esbuild's `define` that makes `version` the code's version in a build (TSBPF_CODE_DIGEST above). */
export function codeVersionDefine(version: string): Record<string, string> {
  return { TSBPF_CODE_DIGEST: JSON.stringify(version) };
}

/** The directories (from the package root) whose sources the digest covers; and mod.ts, the library's entry. */
export const CODE_DIRS = ["btf", "cli", "compiler", "elf", "lang", "probes", "runtime", "spec", "tracer"];
export const CODE_FILES = ["mod.ts"];

let version: string | undefined;

/** This code's identity: the build's digest, or the sources' stamp (see above), computed once. */
export function codeVersion(): string {
  return (version ??= typeof TSBPF_CODE_DIGEST === "string" ? TSBPF_CODE_DIGEST : sourcesVersion(new URL("..", import.meta.url)));
}

/** The sources' stamp, or the URL they were imported from. */
function sourcesVersion(root: URL): string {
  if (root.protocol !== "file:") return `url ${root.href}`;
  const dir = decodeURIComponent(root.pathname);
  return `sources ${dir} ${stampOf([...CODE_DIRS, ...CODE_FILES].map((name) => `${dir}${name}`))}`;
}

const O_RDONLY = 0, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000, S_IFMT = 0o170000, S_IFDIR = 0o040000;
const SYS_GETDENTS64 = 217, SYS_NEWFSTATAT = 262, AT_FDCWD = -100n, AT_SYMLINK_NOFOLLOW = 0x100n, DT_UNKNOWN = 0, DT_DIR = 4;

/**
 * Two 32-bit FNV-1a hashes (different primes) over each file's stat words below `paths` (files,
 * or directories and everything in them); a missing path counts as missing. The words of
 * x86-64's struct stat: st_ino 2-3, st_mode 6, st_size 12-13, st_ctim 26-28.
 */
function stampOf(paths: string[]): string {
  const c = libcSync();
  const stat = new Int32Array(36), statAt = c.addressOf(new Uint8Array(stat.buffer));
  const buf = new Uint8Array(16 * 1024), bufAt = c.addressOf(buf), bufLength = BigInt(buf.length);
  let a = 0x811c9dc5, b = 0x811c9dc5;
  const add = () => {
    for (const w of [stat[2], stat[3], stat[6], stat[12], stat[13], stat[26], stat[27], stat[28]]) {
      a = Math.imul(a ^ w, 0x01000193);
      b = Math.imul(b ^ w, 0x5bd1e995);
    }
  };
  const isDir = () => (stat[6] & S_IFMT) === S_IFDIR;
  const dirs: string[] = [];
  for (const path of paths) {
    const name = new TextEncoder().encode(`${path}\0`);
    if (c.syscall(SYS_NEWFSTATAT, AT_FDCWD, c.addressOf(name), statAt, AT_SYMLINK_NOFOLLOW) < 0) stat.fill(-1);
    add();
    if (isDir()) dirs.push(path);
  }
  // Each directory's entries are examined by the name getdents64 put in the buffer, relative to it.
  for (let i = 0; i < dirs.length; i++) {
    const fd = c.open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    const dirFd = BigInt(fd);
    try {
      for (let n; (n = c.syscall(SYS_GETDENTS64, dirFd, bufAt, bufLength)) > 0;) {
        for (let at = 0; at < n; at += buf[at + 16] | (buf[at + 17] << 8)) {
          const type = buf[at + 18], name = at + 19;
          if (buf[name] === 46 && (buf[name + 1] === 0 || (buf[name + 1] === 46 && buf[name + 2] === 0))) continue; // "." and ".."
          if (c.syscall(SYS_NEWFSTATAT, dirFd, bufAt + BigInt(name), statAt, AT_SYMLINK_NOFOLLOW) < 0) continue; // gone since the listing
          add();
          if (type === DT_DIR || (type === DT_UNKNOWN && isDir())) dirs.push(`${dirs[i]}/${new TextDecoder().decode(buf.subarray(name, buf.indexOf(0, name)))}`);
        }
      }
    } finally {
      c.close(fd);
    }
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}
