// Decisions worth seeing when something surprises (`--verbose`, or TSBPF_VERBOSE=1): which
// compiled form a probe took, whether a cached or bundled program was reused or compiled again.
import { libcSync } from "./ffi/mod.ts";

let enabled: boolean | undefined;

export function verbose(message: string): void {
  enabled ??= !!libcSync().getenv("TSBPF_VERBOSE");
  if (enabled) console.error(`tsbpf: ${message}`);
}
