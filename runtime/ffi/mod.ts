// Picks the libc binding for the runtime we are on; the only place that asks.
import type * as BunFfi from "bun:ffi";
import type { Libc, ProcessHooks } from "./ffi.ts";
import { openLibc as openBunLibc, processHooks as bunProcessHooks } from "./bun.ts";
import { openLibc as openDenoLibc, processHooks as denoProcessHooks } from "./deno.ts";
export type { EpollWaiter, Libc } from "./ffi.ts";
export { cString, ignoreSignal, oneShotSignal, signalIgnored, SYS } from "./ffi.ts";

import { UnsupportedRuntimeError } from "../errors.ts";

declare const Bun: unknown;
declare const Deno: unknown;

let cached: Libc | undefined;

/** The process-wide libc binding, opened on first use. */
export async function libc(): Promise<Libc> {
  if (cached) return cached;
  // A bundle may lack import.meta.require (openNow's way to bun:ffi); this works everywhere.
  if (typeof Bun !== "undefined") cached = openBunLibc(await import("bun:ffi"));
  return libcSync();
}

/** The process hooks alone: they need no libc, so a failure to open it can still end the process. */
export async function processHooks(): Promise<ProcessHooks> {
  if (cached) return cached.process;
  // Bun's are Node's process API: on Node.js too, the error saying to use Bun or Deno can exit.
  return typeof Deno !== "undefined" ? denoProcessHooks : bunProcessHooks;
}

/**
 * The libc binding, opened now if nothing has opened it yet: tsbpf's synchronous functions
 * (cgroupId() and the like) work at a script's top level, before any tracer has started.
 * Without a top-level await: one in the package's start chunk deadlocked its Deno bundle.
 */
export function libcSync(): Libc {
  return (cached ??= openNow());
}

function openNow(): Libc {
  if (typeof Bun === "undefined" && typeof Deno === "undefined") throw new UnsupportedRuntimeError();
  if (typeof Bun === "undefined") return openDenoLibc();
  const ffi = (import.meta as ImportMeta & { require?: (id: string) => unknown }).require?.("bun:ffi");
  if (!ffi) throw new Error("libc() must be awaited before libcSync() (this bundle has no import.meta.require)");
  return openBunLibc(ffi as typeof BunFfi);
}
