// Cgroups, the kernel's view of a container: the cgroup v2 mount, a cgroup's id (the inode
// of its directory, what bpf_get_current_cgroup_id gives), the directory a tracer is limited
// to, and the container id that runtimes write into cgroup paths.
import { readTextFile } from "./files.ts";
import { statId } from "./namespaces.ts";
import { libcSync } from "./ffi/mod.ts";
import { filesystemType } from "./pseudo_fs.ts";
import { TracerError } from "./errors.ts";
import { listDirs, readlink } from "./file_stat.ts";

let mount: string | null | undefined;

/** Where the cgroup v2 file system is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems), if it is. */
export function cgroup2Mount(): string | undefined {
  if (mount === undefined) {
    // mountinfo: id parent major:minor root mount-point options ... - fstype source super-options
    const line = readTextFile("/proc/self/mountinfo")?.split("\n").find((l) => / - cgroup2 /.test(l));
    mount = line ? unescapeMountPath(line.split(" ")[4]) : null;
  }
  return mount ?? undefined;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/** A cgroup given as an absolute path, or relative to the cgroup v2 mount ("system.slice/docker-....scope"). */
export function cgroupPath(path: string): string {
  if (path.startsWith("/")) return path;
  const root = cgroup2Mount();
  if (!root) throw new TracerError(`Cannot find cgroup "${path}": no cgroup v2 file system is mounted; mount one (mount -t cgroup2 none /sys/fs/cgroup) or give an absolute path`);
  return `${root}/${path}`;
}

/** The id of a cgroup v2 directory, as cgroup() gives it in a handler. */
export function cgroupId(path: string): bigint {
  return statId(cgroupPath(path)).ino;
}

const O_RDONLY = 0, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
const CGROUP2_SUPER_MAGIC = 0x63677270n;

/**
 * Opens the cgroup v2 directory a tracer is limited to (for its cgroup array map): a clear
 * error when it does not exist or is not one. The caller closes the descriptor.
 */
export function openCgroup(path: string): number {
  const full = cgroupPath(path);
  const c = libcSync();
  const fd = c.open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd === -2) throw new TracerError(`There is no cgroup "${path}"${full !== path ? ` (${full})` : ""}; list them with: ls ${cgroup2Mount() ?? "/sys/fs/cgroup"}`);
  if (fd < 0) throw new TracerError(`"${path}" is not a cgroup v2 directory (open: errno ${-fd}); give a directory under ${cgroup2Mount() ?? "the cgroup v2 mount"}`);
  if (filesystemType(fd) !== CGROUP2_SUPER_MAGIC) {
    c.close(fd);
    throw new TracerError(`"${path}" is not a cgroup v2 directory; give a directory under ${cgroup2Mount() ?? "the cgroup v2 mount"}`);
  }
  return fd;
}

// Container runtimes name a container's cgroup after its 64-hex-digit id: docker-ID.scope and
// /docker/ID (Docker), cri-containerd-ID.scope and ...:cri-containerd:ID (containerd),
// crio-ID.scope (CRI-O), libpod-ID.scope (Podman), /kubepods/.../podUID/ID (Kubernetes, cgroupfs driver).
const CONTAINER_ID = /(?:^|[/:-])([0-9a-f]{64})(?:\.scope)?(?=\/|$)/;

/** The container id a cgroup path names, if it names one. */
export function containerOf(path: string): string | undefined {
  let found: string | undefined;
  for (const part of path.split("/")) found = CONTAINER_ID.exec(part)?.[1] ?? found;
  return found;
}

/**
 * How many cgroup ids' paths are remembered (the least recently asked dropped beyond it): far
 * more than one tracer's keys name, and a bound on what another user, given a cgroup subtree of
 * their own to delegate, makes root's tracer hold by creating cgroups by the thousand.
 */
const MAX_KNOWN = 4096;
/** In order of last use; undefined: no such cgroup (ids are never reused). */
const known = new Map<bigint, string | undefined>();

/**
 * The path (under the cgroup v2 mount) of the cgroup with this id; undefined when it no longer
 * exists. Asked of the kernel by the id itself (open_by_handle_at: a cgroup's id is its file
 * handle), not by walking the whole hierarchy once per unknown id, which another user's
 * thousands of cgroups make long; the walk is kept for where handles are refused.
 */
export function cgroupPathOf(id: bigint): string | undefined {
  const root = cgroup2Mount();
  if (!root) return undefined;
  if (known.has(id)) {
    const path = known.get(id);
    known.delete(id);
    known.set(id, path);
    return path;
  }
  const byHandle = pathByHandle(root, id);
  const path = byHandle === HANDLES_REFUSED ? pathByWalk(root, id) : byHandle;
  known.set(id, path);
  for (const oldest of known.keys()) {
    if (known.size <= MAX_KNOWN) break;
    known.delete(oldest);
  }
  return path;
}

/** How many cgroup paths are remembered (for tests of the bound). */
export function knownCgroupPaths(): number {
  return known.size;
}

const SYS_OPEN_BY_HANDLE_AT = 304, FILEID_KERNFS = 0xfe, ESTALE = 116, ENOENT = 2;
const HANDLES_REFUSED = Symbol("handles refused");

/** The path of cgroup `id` by its file handle, undefined if there is none, or HANDLES_REFUSED (no CAP_DAC_READ_SEARCH, an old kernel). */
function pathByHandle(root: string, id: bigint): string | undefined | typeof HANDLES_REFUSED {
  const c = libcSync();
  const mountFd = c.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mountFd < 0) return HANDLES_REFUSED;
  // struct file_handle: handle_bytes, handle_type, then the handle: kernfs's is the 64-bit id.
  const handle = new Uint8Array(16);
  const v = new DataView(handle.buffer);
  v.setUint32(0, 8, true);
  v.setInt32(4, FILEID_KERNFS, true);
  v.setBigUint64(8, id, true);
  const fd = c.syscall(SYS_OPEN_BY_HANDLE_AT, BigInt(mountFd), c.addressOf(handle), BigInt(O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  c.close(mountFd);
  if (fd === -ESTALE || fd === -ENOENT) return undefined;
  if (fd < 0) return HANDLES_REFUSED;
  const target = readlink(`/proc/self/fd/${fd}`);
  c.close(fd);
  if (typeof target !== "string") return undefined;
  if (target === root) return "/";
  return target.startsWith(`${root}/`) ? target.slice(root.length) : undefined;
}

/** Where handles are refused: the hierarchy walked, at most once a WALK_EVERY_MS, up to MAX_WALKED cgroups. */
const WALK_EVERY_MS = 1000, MAX_WALKED = 65536;
let walked: { at: number; pathById: Map<bigint, string> } | undefined;

function pathByWalk(root: string, id: bigint): string | undefined {
  const now = performance.now();
  if (!walked || (!walked.pathById.has(id) && now - walked.at >= WALK_EVERY_MS)) {
    walked = { at: now, pathById: new Map() };
    walk(walked.pathById, root, "");
  }
  return walked.pathById.get(id);
}

function walk(into: Map<bigint, string>, root: string, rel: string): void {
  if (into.size >= MAX_WALKED) return;
  const dir = rel ? `${root}${rel}` : root;
  try {
    into.set(statId(dir).ino, rel || "/");
  } catch {
    return; // removed meanwhile
  }
  for (const name of listDirs(dir)) walk(into, root, `${rel}/${name}`);
}

// The cgroup every tracer of this process is limited to unless start() says otherwise: set by
// the tsbpf command's --cgroup. Kept on globalThis so a second copy of tsbpf's modules sees it.
const DEFAULT_CGROUP = Symbol.for("tsbpf.cgroup");

export function setDefaultCgroup(path: string | undefined): void {
  (globalThis as Record<symbol, unknown>)[DEFAULT_CGROUP] = path;
}

export function defaultCgroup(): string | undefined {
  return (globalThis as Record<symbol, string | undefined>)[DEFAULT_CGROUP];
}


/**
 * A cgroup as JavaScript sees a value of type Cgroup (a map key or event field made with
 * cgroupName(cgroup())): its id, its path under the cgroup v2 mount and the container id the path
 * names, if any. Printed as the container ("container:4f2b9c1d7e8a", as `docker ps` shortens
 * ids) or else the path; in JSON, all three.
 */
export class CgroupName {
  #path?: string | null;
  /** The cgroup of id `id` (its path is looked up when first asked). */
  constructor(readonly id: bigint) {}
  /** The path under the cgroup v2 mount ("/system.slice/ssh.service"); undefined once the cgroup is gone. */
  get path(): string | undefined {
    if (this.#path === undefined) this.#path = cgroupPathOf(this.id) ?? null;
    return this.#path ?? undefined;
  }
  /** The container id the path names (docker, containerd, CRI-O, Podman, Kubernetes). */
  get container(): string | undefined {
    const path = this.path;
    return path === undefined ? undefined : containerOf(path);
  }
  /** The container ("container:" and 12 hex digits) if the path names one, else the path, else the id. */
  toString(): string {
    const container = this.container;
    return container ? `container:${container.slice(0, 12)}` : this.path ?? String(this.id);
  }
  /** In JSON output: the id, the path and the container. */
  toJSON(): { id: bigint; path?: string; container?: string } {
    return { id: this.id, path: this.path, container: this.container };
  }
}

export function decodeCgroup(id: bigint): CgroupName {
  return new CgroupName(id);
}

/** A Cgroup key written from JavaScript: a CgroupName, or the id itself. */
export function encodeCgroup(x: unknown): bigint {
  return x instanceof CgroupName ? x.id : BigInt(x as bigint | number);
}
