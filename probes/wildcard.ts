// Wildcard targets (`@kprobe("tcp_*")`, `@tracepoint("syscalls:sys_enter_*")`): one handler
// attached to every match. Expanded once per pattern; the matches keep a stable order, so the
// i-th target gets the i-th probe() id at every step.
import { ProbeLookupError } from "../spec/target.ts";
import { globMatcher } from "../elf/glob.ts";
import type { OwnedFd } from "../runtime/fd.ts";

export function isWildcard(target: string): boolean {
  return /[*?]/.test(target);
}

/**
 * The names matching `pattern`, sorted; an error when none does, or more than `limit` (each
 * match costs an attachment, and detaching takes milliseconds each).
 */
export function expandWildcard(pattern: string, names: Iterable<string>, what: string, limit: number, hint: string): string[] {
  const test = globMatcher(pattern);
  const out = [...new Set([...names].filter(test))].sort();
  if (!out.length) throw new ProbeLookupError(`no ${what} matches "${pattern}"`, [hint]);
  if (out.length > limit) {
    throw new ProbeLookupError(`"${pattern}" matches ${out.length} ${what}s (${out.slice(0, 3).join(", ")}, ...); tsbpf attaches at most ${limit} at once`,
      [`narrow the pattern (${hint})`]);
  }
  return out;
}

/** Runs `attachOne` for each target; if one fails, closes what the others opened and rethrows. */
export function attachEach(targets: string[], attachOne: (target: string, index: number) => OwnedFd[]): OwnedFd[] {
  const out: OwnedFd[] = [];
  try {
    targets.forEach((t, i) => out.push(...attachOne(t, i)));
    return out;
  } catch (e) {
    for (const fd of out) fd.close();
    throw e;
  }
}
