// Compiled tracers cached per script, class, tsbpf version and kernel, so a second start skips
// parsing and compiling (and loading the parser at all).
//
// Root loads what it finds here into the kernel, so the cache is trusted only when nobody else
// can write it (runtime/private_dir.ts, checked before every use), and an entry is data: it
// must hold exactly what it was compiled from (source, kernel, settings, probes) and pass the
// spec schema, or it is compiled again. See docs/security.md.
//
// An entry's name is a 64-bit hash of everything but the source: no digest of the source is
// made on a start. A digest was the dearest step of Deno's warm start after the FFI (WebCrypto's
// first digest: ≈ 1 MB of peak memory), and the comparison with the whole input is exact where a
// digest is only improbable to collide. A script edited in place replaces its entry.
import { libcSync } from "../runtime/ffi/mod.ts";
import { readCheckedFile, readTextFile, writeFileAtomic } from "../runtime/files.ts";
import { geteuid } from "../runtime/file_stat.ts";
import { privateDir, UntrustedDirError } from "../runtime/private_dir.ts";
import { validateSpecs } from "../spec/spec_schema.ts";
import { verbose } from "../runtime/verbose.ts";
import type { TracerSpec } from "../spec/tracer_spec.ts";
import { pidNamespaceFact } from "../compiler/assumptions.ts";
import { pidNamespace } from "../runtime/namespaces.ts";
import { kernelRelease } from "../runtime/kernel_release.ts";
import { kernelBuildId } from "../runtime/kernel_build_id.ts";
import { pruneCache, removeOldCacheDir } from "../runtime/cache_prune.ts";

/** Bump when the compiler's output changes for the same input. */
export const COMPILER_VERSION = "0.1.0-10";

/** The cache directory, checked (and made) private; undefined when there is none to use. */
function cacheDir(): string | undefined {
  const c = libcSync();
  if (cacheOff()) return undefined;
  const base = c.getenv("XDG_CACHE_HOME") ?? (c.getenv("HOME") ? `${c.getenv("HOME")}/.cache` : undefined);
  if (!base) return undefined;
  try {
    return privateDir(base, ["tsbpf"]);
  } catch (e) {
    if (!(e instanceof UntrustedDirError)) throw e;
    verbose(`compiling without the cache: ${e.message}`);
    return undefined;
  }
}

/** TSBPF_NO_CACHE is set: nothing is read from the cache or written to it. */
export function cacheOff(): boolean {
  return !!libcSync().getenv("TSBPF_NO_CACHE");
}

/** Larger than any real entry (a few hundred KB for the largest tools). */
const MAX_ENTRY_BYTES = 64 << 20;
/** The entry's format; an entry of another is a miss. */
const ENTRY_FORMAT = 3;

interface CacheEntry {
  format: number;
  /** What the specs were compiled from (CacheKey.input). */
  input: string;
  kernel: string;
  specs: TracerSpec[];
}

/** A cache entry's file name, and what its programs must have been compiled from. */
export interface CacheKey {
  name: string;
  input: string;
}

/** The running kernel's release, version and build ID: compiled programs are cached per kernel build. */
export function kernelId(): string {
  return (kernel ??= readKernelId());
}
let kernel: string | undefined;

function readKernelId(): string {
  const release = kernelRelease() || "?";
  const version = readTextFile("/proc/sys/kernel/version")?.trim() ?? "?";
  return `${release} ${version} ${kernelBuildId() || "?"}`;
}

/** Settings that change what the compiler emits on the same kernel (TSBPF_NO_RINGBUF: perf buffers). */
const COMPILE_SETTINGS = ["TSBPF_NO_RINGBUF"];

/**
 * `extra`: what else the programs depend on (probesCacheKey); `read`: what they read from the
 * kernel outside its build (probesCacheInput), checked like the source, not hashed into the name.
 */
export async function cacheKey(source: string, file: string, extra = "", read = ""): Promise<CacheKey> {
  const c = libcSync();
  const settings = COMPILE_SETTINGS.map((name) => `${name}=${c.getenv(name) ?? ""}`).join(" ");
  // pid() compiles differently inside a PID namespace (a container sharing the host's cache).
  const pidns = pidNamespaceFact(pidNamespace());
  const where = `${COMPILER_VERSION}\0${kernelId()} ${settings} ${pidns}\0${extra}\0${file}`;
  return { name: entryName(where), input: `${where}\0${read}\0${source}` };
}

/**
 * Two 32-bit FNV-1a hashes of `text` (with different primes) as 16 hex digits. Short inputs
 * only (no source): a loop that ran long enough would have V8 optimize it, which costs a start
 * megabytes of peak memory.
 */
export function entryName(text: string): string {
  let a = 0x811c9dc5, b = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

export function readCache(key: CacheKey): TracerSpec[] | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  const file = `${dir}/${key.name}.json`;
  let bytes;
  try {
    bytes = readCheckedFile(file, { maxBytes: MAX_ENTRY_BYTES, noFollow: true, owners: [geteuid()], private: true });
  } catch (e) {
    // Not ours, not a regular file, unreadable: a miss, never a reason to stop a tracer.
    verbose(`compiling again: ${(e as Error).message}`);
    return undefined;
  }
  if (!bytes) return undefined;
  try {
    const entry = JSON.parse(new TextDecoder().decode(bytes)) as CacheEntry;
    if (entry?.format !== ENTRY_FORMAT) throw new Error(`format ${JSON.stringify(entry?.format)}, not ${ENTRY_FORMAT}`);
    if (entry.input !== key.input) throw new Error("it was written for another source, kernel or tsbpf version");
    if (entry.kernel !== kernelId()) throw new Error(`it was compiled for kernel ${JSON.stringify(entry.kernel)}`);
    return validateSpecs(entry.specs);
  } catch (e) {
    verbose(`compiling again: the cache entry ${file} is not usable (${(e as Error).message})`);
    return undefined;
  }
}

export function writeCache(key: CacheKey, specs: TracerSpec[]): void {
  const dir = cacheDir();
  if (!dir) return;
  const entry: CacheEntry = { format: ENTRY_FORMAT, input: key.input, kernel: kernelId(), specs };
  try {
    writeFileAtomic(`${dir}/${key.name}.json`, new TextEncoder().encode(JSON.stringify(entry)), 0o600);
  } catch (e) {
    // Caching is an optimisation: a read-only home must not stop a tracer.
    verbose(`not caching the compiled programs: ${(e as Error).message}`);
    return;
  }
  if (pruneScheduled || Math.random() >= PRUNE_ONE_WRITE_IN) return;
  pruneScheduled = true;
  libcSync().process.after(PRUNE_AFTER_MS, () => pruneCompileCache(dir));
}

/** What the cache keeps: an entry per script, class set and kernel (a few KB to a few hundred). */
export const KEEP = { files: 512, bytes: 128 << 20, days: 60 };
const ENTRY_NAME = /^[0-9a-f]{16}\.json$/;
/** After a write (a cold start), once the tracer runs: not on the way to its first event. */
const PRUNE_AFTER_MS = 2000;
/**
 * The share of writes that prune: a prune stats every entry (≈ 15 ms of CPU for 325 on Bun, in a
 * tracer that is otherwise idle: 0.37 % instead of 0.18 % over the bench's 10 s idle window), and
 * the bounds need it only now and then: the directory passes 512 by a few entries at most.
 */
const PRUNE_ONE_WRITE_IN = 1 / 16;
let pruneScheduled = false;

/**
 * Bounds `dir`, the cache directory cacheDir() checked, to KEEP, and removes the one-liners'
 * directory that tsbpf kept in it before they moved to tsbpf-oneliners (beside it, so that Bun
 * does not list their files with every import from this one).
 */
export function pruneCompileCache(dir: string, nowMs = Date.now()): void {
  try {
    const removed = pruneCache(dir, ENTRY_NAME, KEEP, nowMs);
    if (removed) verbose(`removed ${removed} old entries from the compile cache ${dir}`);
    if (removeOldCacheDir(dir, "oneliners", /^[0-9a-f]{16}\.(?:json|ts)$/)) verbose(`removed the old one-liner cache ${dir}/oneliners`);
  } catch (e) {
    verbose(`not pruning the compile cache: ${(e as Error).message}`);
  }
}
