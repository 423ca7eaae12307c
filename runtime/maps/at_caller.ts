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
