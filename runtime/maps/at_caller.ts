// Errors in the arguments a script gave tsbpf's public constructors, thrown from the user's line.
import { dropsTailCallFrames } from "../ffi/host.ts";

/**
 * `error` with its stack starting at the caller of `fn` (a constructor: `new.target`): for an
 * error in the arguments the user's code gave `fn`, the first frame is then the user's line, which
 * Bun prints the source of (from the npm package, tsbpf's own line is one of the minified bundle).
 */
export function atCaller<E extends Error>(error: E, fn: unknown): E {
  const capture = (Error as { captureStackTrace?: (e: object, f: unknown) => void }).captureStackTrace;
  if (typeof fn === "function") capture?.(error, fn);
  return error;
}

/**
 * Rethrows the errors `fromCaller` picks, thrown by the methods `names` of `proto`, from the line
 * that called the method: the argument was wrong there, not in tsbpf.
 */
export function methodsAtCaller(proto: object, names: readonly string[], fromCaller: (e: unknown) => boolean): void {
  for (const name of names) {
    const method = (proto as Record<string, (...args: unknown[]) => unknown>)[name];
    if (typeof method !== "function") throw new TypeError(`no method ${name} to report errors of`);
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      try {
        return method.apply(this, args);
      } catch (e) {
        throw fromCaller(e) ? atCaller(e as Error, wrapped) : e;
      }
    };
    Object.defineProperty(wrapped, "name", { value: name });
    Object.defineProperty(proto, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  }
}

/**
 * Where a callback tsbpf calls later was given: the stack frame line of the caller of `fn`. Only
 * where a callback that ends in a call loses its frame (Bun): V8 keeps it in the error's own stack,
 * and placing the caller's frame there costs Deno a re-parse of the caller's whole function, at
 * the top level of a `tsbpf build` bundle all of its code (≈ 12 ms of the bundle's start).
 */
export function callerFrame(fn: unknown): string | undefined {
  if (!dropsTailCallFrames) return undefined;
  const site: { stack?: string } = {};
  const capture = (Error as { captureStackTrace?: (e: object, f: unknown) => void }).captureStackTrace;
  if (typeof fn === "function") capture?.(site, fn);
  // Bun's capture may keep methodsAtCaller's wrapper (this file) above the caller: skipped.
  const own = new URL(import.meta.url).pathname;
  return site.stack?.split("\n").find((l) => /^\s+at /.test(l) && !l.includes(`${own}:`) && !l.includes(`${import.meta.url}:`))?.trim();
}

/** The place a callback was given, kept on an error it threw (printed by the tracer's fatal-error report). */
export const GIVEN_AT = Symbol("tsbpf.givenAt");

/**
 * `e`, thrown by a callback given at `frame`, with that place added to its stack. Bun calls in
 * tail position without a frame of their own (`() => t.c.print(5)`): the arrow's line is then in
 * no frame of the error, and the place the callback was given is the nearest line of the user's.
 */
export function fromCallback(e: unknown, frame: string | undefined, what: string): unknown {
  if (!(e instanceof Error) || !frame || Object.hasOwn(e, GIVEN_AT)) return e;
  const where = /\(([^()]+:\d+:\d+)\)$/.exec(frame)?.[1] ?? frame.replace(/^at /, "");
  Object.defineProperty(e, GIVEN_AT, { value: `${what} given at ${where.replace(/^file:\/\//, "")}` });
  try {
    e.stack = `${e.stack ?? `${e.name}: ${e.message}`}\n    at ${what} (${where})`;
  } catch {
    // a frozen error keeps its stack; GIVEN_AT still names the place
  }
  return e;
}
