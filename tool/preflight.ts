// Checks a tool makes before it starts, so that a kernel without what it needs gets one sentence
// instead of an attach error. Tracepoints are looked up where the probes will attach them:
// through the one tracefs lookup (probes/tracefs.ts), which mounts tracefs when nobody has yet.
import process from "node:process";
import { fileExists } from "../runtime/files.ts";
import { hasFentry, hasKprobes } from "../runtime/features.ts";
import { tracefs } from "../probes/tracefs.ts";

/**
 * Exits with a reason when the kernel lacks a tracepoint the tool needs ("category:name", also
 * for the raw tracepoints of that name). `why` says what provides it (a kernel option, a version).
 */
export function requireTracepoints(tool: string, names: string[], why: string): void {
  let root: string;
  try {
    root = tracefs();
  } catch (e) {
    console.error(`${tool}: ${(e as Error).message}`);
    return process.exit(1);
  }
  const missing = names.filter((n) => !fileExists(`${root}/events/${n.replace(":", "/")}/format`));
  if (missing.length) {
    console.error(`${tool}: this kernel has no tracepoint ${missing.join(", ")} (${why}); ${tool} cannot run here`);
    process.exit(1);
  }
}

/**
 * Exits with a reason when the kernel can trace none of its functions (no kprobes and no
 * fentry): `what` says which functions the tool traces.
 */
export function requireKernelFunctions(tool: string, what: string): void {
  if (hasKprobes() || hasFentry()) return;
  console.error(`${tool}: this kernel has neither kprobes (CONFIG_KPROBES) nor fentry (BPF trampolines), and ${tool} traces ${what} with them; ${tool} cannot run here`);
  process.exit(1);
}
