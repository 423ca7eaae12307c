// A probe resolved when the handler was compiled (or its program came from the cache) can still
// fail to resolve when it is attached: a binary was removed, a process exited. Such failures
// are the user's to fix, so they are told as plainly as compile errors, with the same hints.
import { ProbeLookupError } from "../spec/target.ts";
import { TracerError } from "../runtime/errors.ts";

export function attachError(describe: string, e: unknown): unknown {
  if (!(e instanceof ProbeLookupError)) return e;
  return new TracerError([`Cannot attach ${describe}: ${e.message}`, ...e.hints.map((h) => `  = hint: ${h}`)].join("\n"));
}
