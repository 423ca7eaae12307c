// Decisions worth seeing when something surprises (`--verbose`, or TSBPF_VERBOSE=1): which
// compiled form a probe took, whether a cached or bundled program was reused or compiled again.
import { libcSync } from "./ffi/mod.ts";
import { printable } from "./output.ts";

let enabled: boolean | undefined;

/** Shows the decisions from now on, as TSBPF_VERBOSE=1 does (the command's `--verbose`). */
export function showDecisions(): void {
  enabled = true;
}

/**
 * Says `message` on stderr, one line, printable(): a note can name another user's file (the
 * directory of a library their process maps: `-p`), whose name can hold terminal escapes.
 */
export function verbose(message: string): void {
  enabled ??= !!libcSync().getenv("TSBPF_VERBOSE");
  if (enabled) console.error(`tsbpf: ${printable(message)}`);
}
