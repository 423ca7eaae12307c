// Where tsbpf pins kernel objects: /sys/fs/bpf/tsbpf/NAME/, one directory per pin name, in a
// bpffs (mounted at /sys/fs/bpf when nothing is). A pinned program runs as root and a pinned
// map feeds root's tracers, so what is found there is trusted only when root made it: the
// tsbpf directory and each NAME directory must be real directories owned by root and writable
// by no one else (the bpffs root itself is sticky and world-writable, so another user could
// have created "tsbpf" first), and each pin a file owned by root that no one else may write.
import { libcSync } from "./ffi/mod.ts";
import { geteuid, kindName, lstat, rmdir, S_IFDIR, S_IFMT, S_IFREG, unlink } from "./file_stat.ts";
import { errnoName, TracerError } from "./errors.ts";
import { privateDir, UntrustedDirError } from "./private_dir.ts";
import { listDirs } from "./file_stat.ts";
import { checkPinName } from "./pin_name.ts";

const BPF_FS_MAGIC = 0xcafe4a11;
const SYS_STATFS = 137;

let mountPoint = "/sys/fs/bpf";

/** @internal Pins go under another bpffs mount: for tests that must not touch the machine's. */
export function setPinMount(path: string): void {
  mountPoint = path;
}

function isBpffs(path: string): boolean {
  const c = libcSync();
  const buf = new Uint8Array(120), name = new TextEncoder().encode(`${path}\0`);
  return c.syscall(SYS_STATFS, c.addressOf(name), c.addressOf(buf)) === 0 && new DataView(buf.buffer).getUint32(0, true) === BPF_FS_MAGIC;
}

/** The tsbpf directory of the bpffs, checked (and the bpffs mounted, the directory created) when `create`. */
export function pinRoot(create: boolean): string | undefined {
  if (!isBpffs(mountPoint)) {
    if (!create) return undefined;
    const r = libcSync().mount("bpf", mountPoint, "bpf", 0);
    if (r < 0) throw new TracerError(`Cannot mount a BPF filesystem at ${mountPoint} to pin in: ${errnoName(-r)} (mount it: sudo mount -t bpf bpf ${mountPoint})`);
  }
  const root = `${mountPoint}/tsbpf`;
  if (!create && lstat(root) === -2) return undefined;
  try {
    privateDir(mountPoint, ["tsbpf"]);
  } catch (e) {
    if (e instanceof UntrustedDirError) throw new TracerError(`Refusing to use pins: ${e.message}`);
    throw e;
  }
  return root;
}

/** NAME's directory, checked; created (empty) when `create`, else undefined when absent. */
export function pinDir(name: string, create: boolean): { path: string; fresh: boolean } | undefined {
  checkPinName(name);
  const root = pinRoot(create);
  if (!root) return undefined;
  const path = `${root}/${name}`;
  let fresh = false;
  if (lstat(path) === -2) {
    if (!create) return undefined;
    const r = libcSync().mkdir(path, 0o700);
    if (r < 0 && r !== -17) throw new TracerError(`Cannot create ${path}: ${errnoName(-r)}`);
    fresh = r === 0;
  }
  checkOwnedByRoot(path, S_IFDIR, "directory");
  return { path, fresh };
}

/** Throws unless `path` is of `type`, owned by root (the user running tsbpf) and writable by no one else. */
export function checkOwnedByRoot(path: string, type: number, what: string): void {
  const st = lstat(path);
  if (typeof st === "number") throw new TracerError(`Cannot examine ${path}: ${errnoName(-st)}`);
  if ((st.mode & S_IFMT) !== type) throw new TracerError(`Refusing ${path}: it is ${kindName(st.mode)}, not a ${what} tsbpf made`);
  if (st.uid !== geteuid()) throw new TracerError(`Refusing ${path}: it is owned by uid ${st.uid}, not by uid ${geteuid()} (who runs tsbpf); someone else made it`);
  if (st.mode & 0o022) throw new TracerError(`Refusing ${path}: it is writable by ${st.mode & 0o002 ? "every user" : "its group"} (mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")})`);
}

/** A pinned object's path in NAME's directory, checked before it is opened. */
export function checkedPin(dir: string, file: string): string {
  const path = `${dir}/${file}`;
  checkOwnedByRoot(path, S_IFREG, "pinned BPF object");
  return path;
}

/** Every pin name, sorted. */
export function pinNames(): string[] {
  const root = pinRoot(false);
  return root ? listDirs(root).filter((n) => !n.startsWith(".")).sort() : [];
}

/** Every name in NAME's directory (for removing one whose record is missing). */
export function pinDirEntries(dir: string): string[] {
  return listDirs(dir, false);
}

/** Removes the pins `files` of NAME's directory (each it can), then the directory. */
export function removePins(dir: string, files: string[]): void {
  const errors: string[] = [];
  for (const f of files) {
    const r = unlink(`${dir}/${f}`);
    if (r < 0 && r !== -2) errors.push(`cannot unpin ${dir}/${f}: ${errnoName(-r)}`);
  }
  const r = rmdir(dir);
  if (r < 0 && r !== -2) errors.push(`cannot remove ${dir}: ${errnoName(-r)}${r === -39 ? " (it holds pins tsbpf did not make: look with ls)" : ""}`);
  if (errors.length) throw new TracerError(`Unpinning failed: ${errors.join("; ")}`);
}
