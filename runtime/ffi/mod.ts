// Picks the libc binding for the runtime we are on; the only place that asks.
import type { Libc, ProcessHooks } from "./ffi.ts";
export type { EpollWaiter, Libc } from "./ffi.ts";
export { cString, oneShotSignal, SYS } from "./ffi.ts";

declare const Bun: unknown;

let cached: Libc | undefined;

/** The process-wide libc binding, opened on first use. */
export async function libc(): Promise<Libc> {
  if (cached) return cached;
  if (typeof Bun !== "undefined") {
    const [{ openLibc }, ffi] = await Promise.all([import("./bun.ts"), import("bun:ffi")]);
    cached = openLibc(ffi);
  } else {
    cached = (await import("./deno.ts")).openLibc();
  }
  return cached;
}

/** The process hooks alone: they need no libc, so a failure to open it can still end the process. */
export async function processHooks(): Promise<ProcessHooks> {
  if (cached) return cached.process;
  return typeof Bun !== "undefined" ? (await import("./bun.ts")).processHooks : (await import("./deno.ts")).processHooks;
}

/** The libc binding once `libc()` has been awaited somewhere. */
export function libcSync(): Libc {
  if (!cached) throw new Error("libc() must be awaited before libcSync()");
  return cached;
}
