// Functions that exist only inside handlers (compiled to BPF). Called from ordinary
// JavaScript they explain themselves instead of returning nonsense.
/**
 * Not marked user-facing (spec/user_facing.ts) on purpose: it is a mistake in the script's own
 * JavaScript, which `tsbpf run` reports with the line it happened at (cli/errors.ts describeScriptError).
 */
export class KernelOnlyError extends Error {
  constructor(name: string) {
    super(`${name}() runs only inside a probe handler (a decorated method), where tsbpf compiles it to BPF; it cannot be called from JavaScript`);
    this.name = "KernelOnlyError";
  }
}

export function kernelOnly(name: string): never {
  throw new KernelOnlyError(name);
}

/**
 * KernelOnlyError for `name`, with `stub` (the helper's own function) left out of its stack, so
 * that the first frame is the script's line that called it (Bun prints that frame's source).
 * The stub must `throw` it, not `return kernelOnly()`: JavaScriptCore's tail calls would drop
 * the stub's frame, and then the whole stack with it.
 */
export function kernelOnlyError(name: string, stub: unknown): KernelOnlyError {
  const error = new KernelOnlyError(name);
  const capture = (Error as { captureStackTrace?: (e: object, f: unknown) => void }).captureStackTrace;
  if (typeof stub === "function") capture?.(error, stub);
  return error;
}
