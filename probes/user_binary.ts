// Finding the file a user-space probe names: a path ("/bin/bash"), a library ("libc", "c",
// "libc.so.6") or a program on PATH ("bash"); with a pid, as that process sees it (through
// /proc/PID/root, so a path inside a container works, and through the libraries it has mapped).
import { ProbeLookupError } from "../spec/target.ts";
import { Elf, ElfError } from "../elf/mod.ts";
import { fileExists, MAX_BINARY_BYTES, readCheckedFile, UnsafeFileError } from "../runtime/files.ts";
import { filePath, isFileBacked, parseProcMaps, readProcMaps } from "../runtime/symbolize/proc_maps.ts";
import { holdAsProcess, openMappedFile, processNow, type ProcessRef } from "../runtime/process_files.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import { errnoName } from "../runtime/errors.ts";
import { fstat, S_IFMT, S_IFREG } from "../runtime/file_stat.ts";
import { parseLdCache } from "./ld_cache.ts";

export interface UserBinary {
  /** The path the kernel opens (through /proc/PID/root when a pid is given). */
  path: string;
  /** The path as the user would recognise it, for messages. */
  display: string;
  elf: Elf;
}

const LIBRARY_DIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"];
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Parses `pid` from a decorator's options: a positive integer, or undefined. */
export function pidOption(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ProbeLookupError(`pid must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if (!fileExists(`/proc/${value}/maps`)) throw new ProbeLookupError(`there is no process ${value}`);
  return value;
}

/**
 * A file a user-space probe names. With a pid, `path` is how it reads through /proc/PID/root (for
 * messages and listings), but the file is looked up inside that process's root (`inRoot`): a
 * container's links lead where they lead for its processes, not to the host's files. The path is
 * the process's (a library it maps) or leads through its files (its container): looked up with
 * its user's rights (runtime/process_files.ts). A file it maps is read through its
 * /proc/PID/map_files (`mapped`, the mapping's START-END): the very file it maps, not whatever
 * its owner has put at that path since.
 */
export interface UserFile {
  path: string;
  display: string;
  inRoot?: { process: ProcessRef; path: string; mapped?: { range: string; dev: string; inode: number } };
}

/**
 * The file called `name`, optionally as process `pid` sees it (a library it has mapped first),
 * found as a uprobe finds it; for listing a binary's functions the same way they are attached.
 */
export function userFile(name: string, pid?: number): UserFile {
  const found = resolve(name, pid);
  if (found) return found;
  const where = pid === undefined ? "" : ` (as process ${pid} sees it)`;
  const hints = name.includes("/")
    ? []
    : [`"${name}" is neither a library ${pid === undefined ? "" : "the process has mapped nor one "}in /etc/ld.so.cache nor a program on PATH; give its full path`];
  throw new ProbeLookupError(`cannot find "${name}"${where}`, hints);
}

/** Resolves and reads the binary called `name`, optionally as process `pid` sees it. */
export function userBinary(name: string, pid?: number): UserBinary {
  const found = userFile(name, pid);
  const held = openUserBinary(found);
  held.close();
  return { path: found.path, display: held.display, elf: held.elf };
}

/** A binary held open while it is attached to: close() once the kernel has it. */
export type OpenUserBinary = UserBinary & { close(): void };

const O_PATH = 0o10000000, O_CLOEXEC = 0o2000000;

/** `f` held O_PATH (opens nothing: a FIFO neither blocks nor acts), or -errno. */
function hold(f: UserFile): number {
  if (!f.inRoot) return libcSync().open(f.path, O_PATH | O_CLOEXEC);
  const { process, path, mapped } = f.inRoot;
  return mapped ? openMappedFile(process, mapped.range, { ...mapped, path }) : holdAsProcess(process, path);
}

/**
 * The bytes of `f` (a regular file of at most `maxBytes`), or undefined when it does not exist.
 * `elfParts`: only what an ELF file's headers, symbols and notes need (runtime/elf_parts.ts).
 */
export function readUserFile(f: UserFile, maxBytes: number, elfParts = false): Uint8Array | undefined {
  const handle = hold(f);
  if (handle === -2 || handle === -20) return undefined;
  if (handle < 0) throw new UnsafeFileError(f.display, errnoName(-handle));
  const held = `/proc/self/fd/${handle}`;
  try {
    return readCheckedFile(held, { maxBytes, elfParts });
  } catch (e) {
    // Named as the user named it, not by the descriptor it was read through.
    if (e instanceof UnsafeFileError) throw new UnsafeFileError(f.path, e.message.slice(`Refusing to read "${held}": `.length));
    throw e;
  } finally {
    libcSync().close(handle);
  }
}

/**
 * userBinary, but its `path` is the very file that was read (/proc/self/fd/N, kept open until
 * close()): offsets found in one file must not be attached in another. The name may lead through
 * a directory or link another user owns (their program, a library a traced process maps), who can
 * point it elsewhere between the read and the kernel's own lookup: the kernel would put the
 * breakpoint, and increment a USDT semaphore, at an offset of their choosing in any file.
 */
export function openUserBinary(name: string | UserFile, pid?: number): OpenUserBinary {
  const found = typeof name === "string" ? userFile(name, pid) : name;
  const c = libcSync();
  const handle = hold(found);
  if (handle === -2 || handle === -20) throw new ProbeLookupError(`cannot find "${found.display}"`);
  if (handle < 0) throw new ProbeLookupError(`cannot attach to "${found.display}": ${errnoName(-handle)}`);
  try {
    const bin = readBinary({ path: `/proc/self/fd/${handle}`, display: found.display });
    return { ...bin, close: () => c.close(handle) };
  } catch (e) {
    c.close(handle);
    throw e;
  }
}

function readBinary(found: { path: string; display: string }): UserBinary {
  let bytes;
  try {
    bytes = readCheckedFile(found.path, { maxBytes: MAX_BINARY_BYTES, elfParts: true });
  } catch (e) {
    if (e instanceof UnsafeFileError) throw new ProbeLookupError(`cannot attach to "${found.display}": ${e.message.replace(found.path, found.display)}`);
    throw e;
  }
  if (!bytes) throw new ProbeLookupError(`cannot find "${found.display}"`);
  try {
    const elf = Elf.parse(bytes);
    if (elf.machine !== "x86_64") throw new ProbeLookupError(`"${found.display}" is a ${elf.machine} binary; tsbpf's user-space probes know x86-64 registers only`);
    return { ...found, elf };
  } catch (e) {
    if (e instanceof ElfError) throw new ProbeLookupError(notElf(found.display, bytes, e));
    throw e;
  }
}

/** Why the file `display` (its bytes) cannot be probed: a script (a shim on PATH, say) is named as one. */
export function notElf(display: string, bytes: Uint8Array, e: Error): string {
  if (bytes[0] === 0x23 && bytes[1] === 0x21) {
    const shebang = new TextDecoder().decode(bytes.subarray(0, 80)).split("\n")[0].replace(/[^\x20-\x7e]/g, "?");
    return `"${display}" is a script (${shebang}), not a binary: give the path of the binary it runs`;
  }
  return `"${display}" is not an executable or library tsbpf can read: ${e.message}`;
}

function resolve(name: string, pid: number | undefined): UserFile | undefined {
  const root = pid === undefined ? "" : `/proc/${pid}/root`;
  const process = pid === undefined ? undefined : processNow(pid);
  if (pid !== undefined && !process) return undefined;
  /** The file at `path` (absolute; with a pid, inside its root), if there is one. */
  const at = (path: string, searching = false): UserFile | undefined => {
    const f: UserFile = process === undefined ? { path, display: path } : { path: root + path, display: path, inRoot: { process, path } };
    const handle = hold(f);
    // EACCES: it exists, but a search passes over what the process's user may not read (root's PATH has root's directories).
    if (handle < 0) return handle === -13 && !searching ? f : undefined;
    // A search (library directories, PATH) passes over what cannot be a binary: /usr/lib/python3 is
    // a directory, /usr/bin/python3 the program. A path the user gave is theirs, refused when read.
    const st = searching ? fstat(handle) : undefined;
    libcSync().close(handle);
    return typeof st === "object" && (st.mode & S_IFMT) !== S_IFREG ? undefined : f;
  };
  if (name.includes("/")) {
    if (!name.startsWith("/")) return fileExists(name) ? { path: name, display: name } : undefined;
    return at(name);
  }
  // A bare name: what the process has mapped, then what the loader would find, then PATH.
  if (process) {
    const mapped = mappedFiles(process.pid).find((f) => libraryMatches(name, basename(f.path)));
    if (mapped) return { path: root + mapped.path, display: mapped.path, inRoot: { process, path: mapped.path, mapped } };
  }
  const cache = parseLdCache(ldCacheBytes(at("/etc/ld.so.cache")) ?? new Uint8Array());
  const cached = cache.find((e) => e.name === name) ?? cache.find((e) => libraryMatches(name, e.name));
  const fromCache = cached && at(cached.path, true);
  if (fromCache) return fromCache;
  for (const dir of LIBRARY_DIRS) {
    for (const file of [name, `${name}.so`, `lib${name}.so`]) {
      const found = at(`${dir}/${file}`, true);
      if (found) return found;
    }
  }
  for (const dir of (libcSync().getenv("PATH") || DEFAULT_PATH).split(":").filter((d) => d.startsWith("/"))) {
    const found = at(`${dir}/${name}`, true);
    if (found) return found;
  }
  return undefined;
}

/** "libc", "c" and "libc.so.6" all name libc.so.6 (and libc-2.31.so); "bash" names bash. */
function libraryMatches(name: string, file: string): boolean {
  for (const stem of [name, `lib${name}`]) {
    if (file === stem || file.startsWith(`${stem}.so`) || (file.startsWith(`${stem}-`) && file.includes(".so"))) return true;
  }
  return false;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * The files process `pid` has mapped (its program and libraries), as paths inside its root, each
 * with its first mapping's START-END, device and inode. A path is the rest of its maps line, spaces
 * and all, less the " (deleted)" of a file since unlinked (map_files still holds it).
 */
function mappedFiles(pid: number): { path: string; range: string; dev: string; inode: number }[] {
  const files = new Map<string, { path: string; range: string; dev: string; inode: number }>();
  for (const m of parseProcMaps(readProcMaps(pid) ?? "")) {
    const path = filePath(m);
    if (isFileBacked(m) && !files.has(path)) files.set(path, { path, range: `${m.start.toString(16)}-${m.end.toString(16)}`, dev: m.dev, inode: m.inode });
  }
  return [...files.values()];
}

/** A process's ld.so.cache (in a container, the container's own, which its users control). */
function ldCacheBytes(f: UserFile | undefined): Uint8Array | undefined {
  try {
    return f && readUserFile(f, 64 << 20);
  } catch (e) {
    if (e instanceof UnsafeFileError) return undefined;
    throw e;
  }
}
