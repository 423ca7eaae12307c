// A package tsbpf imports by name (@babel/parser) is found by walking up the node_modules
// directories from tsbpf's own, past the project: where it is not installed beside tsbpf (a clone
// without `npm install`, a copy), the walk reaches /tmp/node_modules for anything under /tmp, and
// any user can create that. So before it is imported, the file it resolves to (links resolved),
// every directory on the way to it that is not also on the way to tsbpf's own, and its
// package.json must belong to root, to us, or to whoever owns tsbpf's own package directory (a
// user's clone run with sudo is as trusted as that user's node_modules beside it), and none may
// be writable by anyone else: not by every user (but for sticky directories, like /tmp), and by
// a group only if that group can write tsbpf's own directory too.
import { geteuid, lstat, S_IFDIR, S_IFLNK, S_IFMT, S_ISVTX } from "./file_stat.ts";
import { ownPath } from "./own_files.ts";
import { errnoName } from "./errors.ts";
import { UserFacingError } from "../spec/user_facing.ts";
import { oneLine } from "./one_line.ts";

export class UntrustedPackageError extends UserFacingError {
  constructor(readonly packageName: string, readonly dir: string, reason: string) {
    super(oneLine(`Not importing ${packageName} from ${dir}, since another user could have put it there (${reason}); install tsbpf's dependencies beside it (npm install)`));
    this.name = "UntrustedPackageError";
  }
}

const checked = new Set<string>();

/**
 * Who may own the code tsbpf imports: root, we, and whoever owns tsbpf's own package directory
 * (root runs that user's tsbpf already, so their node_modules beside it adds no one).
 */
export function trustedOwners(): number[] {
  const me = geteuid(), own = lstat(ownPath(""));
  return [0, me, typeof own === "number" ? me : own.uid];
}

/** The check of the compiler's fallback parser, run right before it is imported (compiler/parse.ts's prepareParse). */
export function checkBabelPlace(): void {
  checkPackagePlace("@babel/parser");
}

/** Throws UntrustedPackageError if `name`, as this copy of tsbpf resolves it, is in a place another user can change. */
export function checkPackagePlace(name: "@babel/parser"): void {
  if (checked.has(name)) return;
  let url: string;
  try {
    url = import.meta.resolve(name);
  } catch {
    return; // not installed: importing it says so
  }
  if (!url.startsWith("file:")) return; // a runtime's own package cache, not a walk up node_modules
  const file = decodeURIComponent(new URL(url).pathname);
  const at = file.lastIndexOf(`/node_modules/${name}/`);
  const pkg = at < 0 ? file.slice(0, file.lastIndexOf("/")) : file.slice(0, at + name.length + 14);
  const ownDir = ownPath("").replace(/\/$/, ""), own = lstat(ownDir);
  const owners = trustedOwners();
  // A group that can write tsbpf's own directory can change tsbpf itself (a clone made with umask
  // 002): its package's directories then trust no one more. Any other group is other users.
  const ownGroup = typeof own !== "number" && own.mode & 0o020 ? own.gid : undefined;
  // What the import reads: the file, as resolved (links resolved: a link planted in a
  // node_modules leads elsewhere), every directory on the way to it, and the package.json that
  // names it. Whoever can write any of them can swap the file. The directories on the way to
  // tsbpf's own are as trusted as tsbpf itself (/usr/local for a global install).
  const paths: string[] = [];
  for (let i = file.indexOf("/", 1); i > 0; i = file.indexOf("/", i + 1)) paths.push(file.slice(0, i));
  paths.push(file);
  if (at >= 0) paths.push(`${pkg}/package.json`);
  for (const path of paths) {
    if (ownDir === path || ownDir.startsWith(`${path}/`)) continue;
    const st = lstat(path);
    // Gone since it was resolved: whoever removed it may put another there before the import.
    if (typeof st === "number") throw new UntrustedPackageError(name, pkg, `${path} cannot be examined (${errnoName(-st)})`);
    if (!owners.includes(st.uid)) throw new UntrustedPackageError(name, pkg, `${path} is owned by uid ${st.uid}`);
    const kind = st.mode & S_IFMT;
    if (kind === S_IFLNK || (kind === S_IFDIR && st.mode & S_ISVTX)) continue; // a link's mode means nothing; a sticky directory's names stay their owners'
    if (st.mode & 0o002) throw new UntrustedPackageError(name, pkg, `${path} is writable by every user`);
    if (st.mode & 0o020 && st.gid !== ownGroup) throw new UntrustedPackageError(name, pkg, `${path} is writable by its group (gid ${st.gid})`);
  }
  checked.add(name);
}
