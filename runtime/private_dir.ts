// Directories root keeps code or compiled programs in (the compile cache, one-liner scripts).
// Whoever can write such a directory, or any directory on the way to it, can make root load
// their code; so before every use each component is checked: owned by root or by us, and
// writable by no one else (a sticky directory like /tmp is allowed on the way: there others
// can create names but not replace ours). tsbpf's own directories must be ours, not group- or
// world-writable, and real directories (never symlinks).
import { libcSync } from "./ffi/mod.ts";
import { type FileStat, geteuid, kindName, lstat, readlink, rmdir, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, S_ISVTX, unlink } from "./file_stat.ts";
import { writeFileAtomic } from "./files.ts";
import { errnoName } from "./errors.ts";
import { pseudoFilesystemAt } from "./pseudo_fs.ts";
import { UserFacingError } from "../spec/user_facing.ts";
import { oneLine } from "./one_line.ts";

/** A directory that root must not trust; the message says which component and why. */
export class UntrustedDirError extends UserFacingError {
  constructor(readonly path: string, reason: string) {
    super(oneLine(`Not using "${path}": ${reason}`));
    this.name = "UntrustedDirError";
  }
}

const MAX_SYMLINKS = 40;

/**
 * Checks `base` (symlinks followed, each component checked) and then `own` below it, creating
 * what is missing of `own` with mode 0700. Returns the resolved path of the last directory;
 * throws UntrustedDirError if any component is unsafe.
 */
export function privateDir(base: string, own: string[]): string {
  const me = geteuid();
  let at = trustedPath(base, [0, me]);
  for (const part of own) {
    if (!part || part === "." || part === ".." || part.includes("/")) throw new UntrustedDirError(base, `bad directory name "${part}"`);
    at = at === "/" ? `/${part}` : `${at}/${part}`;
    let st = lstat(at);
    if (st === -2) {
      const r = libcSync().mkdir(at, 0o700);
      if (r < 0 && r !== -17) throw new UntrustedDirError(at, `cannot create it: ${errnoName(-r)}`);
      st = lstat(at);
    }
    checkOwn(at, me, st);
  }
  if (!own.length) checkOwn(at, me, lstat(at));
  return at;
}

function checkOwn(at: string, me: number, st: FileStat | number): void {
  if (typeof st === "number") throw new UntrustedDirError(at, `cannot examine it: ${errnoName(-st)}`);
  if ((st.mode & S_IFMT) !== S_IFDIR) throw new UntrustedDirError(at, `it is ${kindName(st.mode)}, not a directory`);
  if (st.uid !== me) throw new UntrustedDirError(at, `it is owned by uid ${st.uid}, not by uid ${me} (who runs tsbpf)`);
  if (st.mode & 0o022) throw new UntrustedDirError(at, `it is writable by ${st.mode & 0o002 ? "every user" : "its group"} (mode ${octal(st.mode)})`);
}

/**
 * An existing directory code is imported from (a package found by walking up node_modules),
 * with symlinks resolved, if only `owners` can change any part of it; throws UntrustedDirError
 * otherwise. Nothing is created.
 */
export function trustedCodeDir(path: string, owners: readonly number[]): string {
  return trustedPath(path, owners, false);
}

/**
 * A file code is run or imported from (a package's module, a program), if only `owners` can
 * change it: its directory passes trustedCodeDir, and it is a regular file of root's or ours that
 * no one else can write (checking the directory alone left the file itself, in a directory of
 * its own such as a package's lib/ or bin/, to whoever could write that). Returns its path with
 * links resolved; throws UntrustedDirError otherwise.
 */
export function trustedCodeFile(path: string, owners: readonly number[], checked?: CheckedDirs): string {
  for (let hops = 0; ; hops++) {
    const slash = path.lastIndexOf("/");
    const dir = trustedPath(path.slice(0, slash) || "/", owners, false, checked);
    const file = `${dir === "/" ? "" : dir}/${path.slice(slash + 1)}`;
    const st = lstat(file);
    if (typeof st === "number") throw new UntrustedDirError(file, `cannot examine it: ${errnoName(-st)}`);
    if (!owners.includes(st.uid)) throw new UntrustedDirError(file, `it is owned by uid ${st.uid}, who could change it`);
    if ((st.mode & S_IFMT) === S_IFLNK) {
      const target = readlink(file);
      if (typeof target === "number") throw new UntrustedDirError(file, `cannot read the link: ${errnoName(-target)}`);
      if (hops >= MAX_SYMLINKS) throw new UntrustedDirError(path, "too many symbolic links");
      path = target.startsWith("/") ? target : `${dir === "/" ? "" : dir}/${target}`;
      continue;
    }
    if ((st.mode & S_IFMT) !== S_IFREG) throw new UntrustedDirError(file, `it is ${kindName(st.mode)}, not a regular file`);
    if (st.mode & 0o022) throw new UntrustedDirError(file, `it is writable by ${st.mode & 0o002 ? "every user" : "its group"} (mode ${octal(st.mode)})`);
    const pseudo = pseudoFilesystemAt(file);
    if (pseudo) throw new UntrustedDirError(file, `it is on ${pseudo}, whose text the kernel makes up (other users can put lines into some of its files, whatever its owner and mode)`);
    return file;
  }
}

/**
 * The directories found safe in one check of several files (for the same owners, one after the
 * other: a one-liner's two modules in one dist/, whose every directory above was walked twice),
 * not examined again within it; a new check starts a new set.
 */
export type CheckedDirs = Set<string>;

/**
 * `path` with symlinks resolved, after checking that only `owners` can change any part of it.
 * `checked`: CheckedDirs, added to.
 */
function trustedPath(path: string, owners: readonly number[], create = true, checked: CheckedDirs = new Set()): string {
  if (!path.startsWith("/")) throw new UntrustedDirError(path, "it is not an absolute path");
  if (!checked.has("/")) (checkAncestor("/", owners), checked.add("/"));
  let at = "/";
  let todo = path.split("/").filter(Boolean);
  let hops = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === ".") continue;
    if (part === "..") {
      at = at.slice(0, at.lastIndexOf("/")) || "/";
      continue;
    }
    const next = at === "/" ? `/${part}` : `${at}/${part}`;
    if (checked.has(next)) {
      at = next;
      continue;
    }
    let st = lstat(next);
    if (st === -2 && create) {
      // Missing (a fresh ~/.cache): created private, inside a directory already checked.
      const r = libcSync().mkdir(next, 0o700);
      if (r < 0 && r !== -17) throw new UntrustedDirError(next, `cannot create it: ${errnoName(-r)}`);
      st = lstat(next);
    }
    if (typeof st === "number") throw new UntrustedDirError(next, `cannot examine it: ${errnoName(-st)}`);
    if ((st.mode & S_IFMT) === S_IFLNK) {
      // Its directory was checked, but a sticky one (/tmp) lets anyone add a link, which its
      // owner can point elsewhere after this check: only root's or ours is followed (as the
      // kernel's protected_symlinks has it, which this reading of links would bypass).
      if (!owners.includes(st.uid)) throw new UntrustedDirError(next, `it is a symbolic link owned by uid ${st.uid}, who can point it elsewhere at any time`);
      if (++hops > MAX_SYMLINKS) throw new UntrustedDirError(path, "too many symbolic links");
      const target = readlink(next);
      if (typeof target === "number") throw new UntrustedDirError(next, `cannot read the link: ${errnoName(-target)}`);
      if (target.startsWith("/")) at = "/";
      todo = [...target.split("/").filter(Boolean), ...todo];
      continue;
    }
    if ((st.mode & S_IFMT) !== S_IFDIR) throw new UntrustedDirError(next, `it is ${kindName(st.mode)}, not a directory`);
    checkAncestor(next, owners, st);
    checked.add(next);
    at = next;
  }
  return at;
}

function checkAncestor(path: string, owners: readonly number[], st = lstat(path)): void {
  if (typeof st === "number") throw new UntrustedDirError(path, `cannot examine it: ${errnoName(-st)}`);
  if (!owners.includes(st.uid)) throw new UntrustedDirError(path, `it is owned by uid ${st.uid}, who could replace what tsbpf keeps there`);
  if (st.mode & 0o022 && !(st.mode & S_ISVTX)) {
    throw new UntrustedDirError(path, `it is writable by ${st.mode & 0o002 ? "every user" : "its group"} (mode ${octal(st.mode)})`);
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * $TMPDIR, or /tmp when TMPDIR is not set or is a directory another user could change (sudo -E
 * keeps theirs: they could rename, replace or read what we put there), with links resolved:
 * where files of ours are made under unpredictable names. Throws UntrustedDirError if /tmp fails too.
 */
export function trustedTmpDir(): string {
  const me = geteuid();
  const tmpdir = libcSync().getenv("TMPDIR");
  try {
    return trustedPath(tmpdir || "/tmp", [0, me]);
  } catch (e) {
    if (!tmpdir || tmpdir === "/tmp") throw e;
    return trustedPath("/tmp", [0, me]); // a TMPDIR someone else controls: not there
  }
}

/**
 * A new directory only we can use, under $TMPDIR or /tmp, with an unpredictable name (mkdir
 * fails rather than reuse anything already there). For files that must exist for a while when
 * there is no private home for them; the caller removes it.
 */
export function freshPrivateDir(prefix: string): string {
  const c = libcSync();
  const base = trustedTmpDir();
  for (let attempt = 0; ; attempt++) {
    const random = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("");
    const dir = `${base === "/" ? "" : base}/${prefix}-${random}`;
    const r = c.mkdir(dir, 0o700);
    if (r === -17 && attempt < 8) continue;
    if (r < 0) throw new UntrustedDirError(dir, `cannot create it: ${errnoName(-r)}`);
    return privateDir(dir, []);
  }
}

/** A file kept alone in its own fresh private directory; remove() deletes both (also at exit). */
export interface StagedFile {
  file: string;
  remove(): void;
}

/** `bytes` written as `name` (mode 0600) into a new private directory, removed at exit at the latest. */
export function stagePrivateFile(prefix: string, name: string, bytes: Uint8Array): StagedFile {
  const dir = freshPrivateDir(prefix);
  const file = `${dir}/${name}`;
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    unlink(file);
    rmdir(dir);
  };
  libcSync().process.onExit(remove);
  try {
    writeFileAtomic(file, bytes, 0o600);
  } catch (e) {
    remove();
    throw e;
  }
  return { file, remove };
}
