// A package tsbpf imports by name (@babel/parser) is found by walking up the node_modules
// directories from tsbpf's own, past the project: where it is not installed beside tsbpf (a clone
// without `npm install`, a copy), the walk reaches /tmp/node_modules for anything under /tmp, and
// any user can create that. So before it is imported, the node_modules it was found in and the
// package's directories there must belong to root, to us, or to whoever owns tsbpf's own package
// directory (a user's clone run with sudo is as trusted as that user's node_modules beside it),
// and none may be writable by every user.
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

/**
 * Who may own the code tsbpf imports: root, we, and whoever owns tsbpf's own package directory
 * (root runs that user's tsbpf already, so their node_modules beside it adds no one).
 */
export function trustedOwners(): number[] {
  const me = geteuid(), own = lstat(ownPath(""));
  return [0, me, typeof own === "number" ? me : own.uid];
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
  if (at < 0) return;
  const owners = trustedOwners();
  let dir = `${file.slice(0, at)}/node_modules`;
  for (const part of ["", ...name.split("/")]) {
    if (part) dir = `${dir}/${part}`;
    const st = lstat(dir);
    if (typeof st === "number") return; // gone meanwhile: importing it says so
    if (!owners.includes(st.uid)) throw new UntrustedPackageError(name, file.slice(0, at + name.length + 14), `${dir} is owned by uid ${st.uid}`);
    if ((st.mode & S_IFMT) !== S_IFLNK && st.mode & 0o002) throw new UntrustedPackageError(name, file.slice(0, at + name.length + 14), `${dir} is writable by every user`);
  }
  checked.add(name);
}
