// Compiled tracers cached by the hash of their source, tsbpf's version and the kernel, so a
// second start skips parsing and compiling (and loading the parser at all).
import { libcSync } from "./ffi/mod.ts";
import { makeDirs, readTextFile, writeFileAtomic } from "./files.ts";
import type { TracerSpec } from "../compiler/spec.ts";
import { pidNamespaceFact } from "../compiler/assumptions.ts";
import { pidNamespace } from "./namespaces.ts";

/** Bump when the compiler's output changes for the same input. */
export const COMPILER_VERSION = "0.1.0-1";

function cacheDir(): string | undefined {
  const c = libcSync();
  if (c.getenv("TSBPF_NO_CACHE")) return undefined;
  const base = c.getenv("XDG_CACHE_HOME") ?? (c.getenv("HOME") ? `${c.getenv("HOME")}/.cache` : undefined);
  return base ? `${base}/tsbpf` : undefined;
}

/** The running kernel's release and build: compiled programs are cached per kernel. */
export function kernelId(): string {
  const release = readTextFile("/proc/sys/kernel/osrelease")?.trim() ?? "?";
  const version = readTextFile("/proc/sys/kernel/version")?.trim() ?? "?";
  return `${release} ${version}`;
}

/** Settings that change what the compiler emits on the same kernel (TSBPF_NO_RINGBUF: perf buffers). */
const COMPILE_SETTINGS = ["TSBPF_NO_RINGBUF"];

/** `extra`: what else the programs depend on (probesCacheKey). */
export async function cacheKey(source: string, file: string, extra = ""): Promise<string> {
  const c = libcSync();
  const settings = COMPILE_SETTINGS.map((name) => `${name}=${c.getenv(name) ?? ""}`).join(" ");
  // pid() compiles differently inside a PID namespace (a container sharing the host's cache).
  const pidns = pidNamespaceFact(pidNamespace());
  const data = new TextEncoder().encode(`${COMPILER_VERSION}\0${kernelId()} ${settings} ${pidns}\0${extra}\0${file}\0${source}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return [...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function readCache(key: string): TracerSpec[] | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  const text = readTextFile(`${dir}/${key}.json`);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // a damaged entry is just a miss
  }
}

export function writeCache(key: string, specs: TracerSpec[]): void {
  const dir = cacheDir();
  if (!dir) return;
  try {
    makeDirs(dir);
    writeFileAtomic(`${dir}/${key}.json`, new TextEncoder().encode(JSON.stringify(specs)));
  } catch {
    // Caching is an optimisation: a read-only home must not stop a tracer.
  }
}
