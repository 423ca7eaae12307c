// The probe kinds, one table: what each decorator needs from the kernel to compile and attach.
import { ProbeLookupError, type ProbeContext, type ProbeOptions, type ProbeRef } from "../compiler/target.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { tracepointProbe } from "./tracepoint.ts";
import { rawTracepointProbe } from "./raw_tracepoint.ts";
import { fentryProbe, fexitProbe, kprobeProbe, kretprobeProbe } from "./kprobe.ts";
import { uprobeProbe, uretprobeProbe } from "./uprobe.ts";
import { usdtProbe } from "./usdt.ts";
import { profileProbe } from "./profile.ts";
import { perfEventProbe } from "./perf_event.ts";
import { intervalProbe } from "./interval.ts";

export interface ProbeKind {
  kind: string;
  /** `options`: what the decorator call gave at run time (see probes/decorators.ts). */
  context(target: string, options?: ProbeOptions): ProbeContext;
  /**
   * Attaches a loaded program; `progType` says which way the program was compiled (fentry or
   * kprobe). Perf events it returns opened disabled are enabled once every probe is attached.
   */
  attach(progFd: number, target: string, progType: number, options?: ProbeOptions): OwnedFd[];
  /**
   * What the compiled program depends on besides the script and the kernel (a USDT probe's
   * argument locations in its binary): part of the compile cache's key.
   */
  cacheKey?(target: string, options?: ProbeOptions): string;
}

export const PROBE_KINDS: Record<string, ProbeKind> = {
  tracepoint: tracepointProbe,
  rawTracepoint: rawTracepointProbe,
  kprobe: kprobeProbe,
  kretprobe: kretprobeProbe,
  fentry: fentryProbe,
  fexit: fexitProbe,
  uprobe: uprobeProbe,
  uretprobe: uretprobeProbe,
  usdt: usdtProbe,
  profile: profileProbe,
  perfEvent: perfEventProbe,
  interval: intervalProbe,
};

export function probeKind(ref: ProbeRef): ProbeKind {
  const k = PROBE_KINDS[ref.kind];
  if (!k) throw new ProbeLookupError(`probe kind "${ref.kind}" is not supported yet`);
  return k;
}

/** What the programs of these probes depend on outside the script and the kernel, for the compile cache's key. */
export function probesCacheKey(probes: ProbeRef[]): string {
  return probes.map((p) => PROBE_KINDS[p.kind]?.cacheKey?.(p.target, p.options) ?? "").join("\0");
}
