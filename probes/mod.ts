// The probe kinds, one table: what each decorator needs from the kernel to compile and attach.
import { ProbeLookupError, type ProbeContext, type ProbeRef } from "../compiler/target.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { tracepointProbe } from "./tracepoint.ts";
import { rawTracepointProbe } from "./raw_tracepoint.ts";
import { fentryProbe, fexitProbe, kprobeProbe, kretprobeProbe } from "./kprobe.ts";

export interface ProbeKind {
  kind: string;
  context(target: string): ProbeContext;
  /** Attaches a loaded program; `progType` says which way the program was compiled (fentry or kprobe). */
  attach(progFd: number, target: string, progType: number): OwnedFd[];
}

export const PROBE_KINDS: Record<string, ProbeKind> = {
  tracepoint: tracepointProbe,
  rawTracepoint: rawTracepointProbe,
  kprobe: kprobeProbe,
  kretprobe: kretprobeProbe,
  fentry: fentryProbe,
  fexit: fexitProbe,
};

export function probeKind(ref: ProbeRef): ProbeKind {
  const k = PROBE_KINDS[ref.kind];
  if (!k) throw new ProbeLookupError(`probe kind "${ref.kind}" is not supported yet`);
  return k;
}
