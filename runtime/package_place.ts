// A package tsbpf imports by name (@babel/parser) is found by walking up the node_modules
// directories from tsbpf's own, past the project: where it is not installed beside tsbpf (a clone
// without `npm install`, a copy), the walk reaches /tmp/node_modules for anything under /tmp, and
// any user can create that. So before it is imported, the node_modules it was found in and the
// package's directories and files on the way to what is imported must belong to root, to us, or
// to whoever owns tsbpf's own package directory (a user's clone run with sudo is as trusted as
// that user's node_modules beside it), and none may be writable by anyone else: not by every
// user, and by a group only if that group can write tsbpf's own directory too.
import { geteuid, lstat, S_IFLNK, S_IFMT } from "./file_stat.ts";
import { ownPath } from "./own_files.ts";
import { UserFacingError } from "../spec/user_facing.ts";

export class UntrustedPackageError extends UserFacingError {
  constructor(readonly packageName: string, readonly dir: string, reason: string) {
    super(`Not importing ${packageName} from ${dir}, since another user could have put it there (${reason}); install tsbpf's dependencies beside it (npm install)`);
    this.name = "UntrustedPackageError";
  }
}

const checked = new Set<string>();

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
  if (at < 0) return;
  const me = geteuid(), own = lstat(ownPath(""));
  const owners = new Set([0, me, typeof own === "number" ? me : own.uid]);
  // A group that can write tsbpf's own directory can change tsbpf itself (a clone made with umask
  // 002): its package's directories then trust no one more. Any other group is other users.
  const ownGroup = typeof own !== "number" && own.mode & 0o020 ? own.gid : undefined;
  const top = `${file.slice(0, at)}/node_modules`, pkg = `${top}/${name}`;
  // What the import reads: every directory from the node_modules down to the file, the file,
  // and the package.json that names it. Whoever can write any of them can swap the file.
  const paths = [top];
  for (const part of file.slice(top.length + 1).split("/")) paths.push(`${paths[paths.length - 1]}/${part}`);
  paths.push(`${pkg}/package.json`);
  for (const path of paths) {
    const st = lstat(path);
    if (typeof st === "number") return; // gone meanwhile: importing it says so
    if (!owners.has(st.uid)) throw new UntrustedPackageError(name, pkg, `${path} is owned by uid ${st.uid}`);
    if ((st.mode & S_IFMT) === S_IFLNK) continue; // a link's own mode means nothing
    if (st.mode & 0o002) throw new UntrustedPackageError(name, pkg, `${path} is writable by every user`);
    if (st.mode & 0o020 && st.gid !== ownGroup) throw new UntrustedPackageError(name, pkg, `${path} is writable by its group (gid ${st.gid})`);
  }
  checked.add(name);
}
