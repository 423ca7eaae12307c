// Errors in the arguments a script gave tsbpf's public constructors, thrown from the user's line.
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
