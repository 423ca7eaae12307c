// Keeps a cache directory bounded: the compile cache writes a file per script and kernel, the
// one-liner cache one per one-liner, and neither would ever shrink. Runs after a write (a cold
// start), later than the start itself; a warm start never prunes.
//
// Root prunes its own cache, which lies under a HOME that sudo -E may have taken from another
// user: only a directory privateDir() checked (ours, writable by no one else, so no one can swap a
// name meanwhile) is given here, and in it only regular files of ours with the cache's own names
// are removed, looked at with lstat (a symbolic link is never followed, nor removed).
import { lstat, rmdir, S_IFDIR, S_IFMT, S_IFREG, unlink } from "./file_stat.ts";
import { geteuid } from "./file_stat.ts";
import { listDirs } from "./file_stat.ts";

export interface CacheBounds {
  /** Files kept at most. */
  files: number;
  /** Their bytes at most. */
  bytes: number;
  /** Files not used (read or written) for this many days go. */
  days: number;
}

/**
 * Removes from `dir` the files named like `names` that the bounds do not keep, the most recently
 * used kept first (the later of their access and modification times: a mount with relatime, the
 * default, updates the access time of a file read once a day at most). Returns how many it removed.
 */
export function pruneCache(dir: string, names: RegExp, bounds: CacheBounds, nowMs = Date.now()): number {
  const me = geteuid();
  const files: { path: string; used: number; size: number }[] = [];
  for (const name of listDirs(dir, false)) {
    if (!names.test(name)) continue;
    const path = `${dir}/${name}`, st = lstat(path);
    if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFREG || st.uid !== me) continue;
    files.push({ path, used: Math.max(st.mtime, st.atime), size: st.size });
  }
  files.sort((a, b) => b.used - a.used);
  const oldest = nowMs / 1000 - bounds.days * 86400;
  let kept = 0, bytes = 0, removed = 0;
  for (const f of files) {
    if (kept < bounds.files && f.used >= oldest && bytes + f.size <= bounds.bytes) {
      kept++;
      bytes += f.size;
    } else if (unlink(f.path) === 0) removed++;
  }
  return removed;
}

/**
 * Removes the directory `dir/name` that an older tsbpf kept a cache in, if it is ours: a real
 * directory (not a link) owned by this user and writable by no one else, holding only files
 * `names` matches (each removed as pruneCache removes them). Anything else there keeps it.
 * Returns whether it is gone.
 */
export function removeOldCacheDir(dir: string, name: string, names: RegExp): boolean {
  const path = `${dir}/${name}`, st = lstat(path);
  if (typeof st === "number" || (st.mode & S_IFMT) !== S_IFDIR || st.uid !== geteuid() || (st.mode & 0o022) !== 0) return false;
  return pruneCache(path, names, { files: 0, bytes: 0, days: 0 }) >= 0 && rmdir(path) === 0;
}
