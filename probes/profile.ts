// @profile(hz): samples what every CPU is running, `hz` times a second (perf cpu-clock in
// frequency mode, one event per online CPU), as bpftrace's profile:hz does. The handler runs on
// the sampled CPU in the interrupted task's context: pid(), comm(), kstack() and ustack() say
// what was running.
import type { ProbeContext, ProbeOptions } from "../spec/target.ts";
import { ProbeLookupError } from "../spec/target.ts";
import { PerfType } from "../runtime/perf.ts";
import { readTextFile } from "../runtime/files.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { attachSampling, bpftraceNumber, decoratorNumber, perfEventContext, positiveInteger } from "./perf_event.ts";
import { attachError } from "./errors.ts";

const CPU_CLOCK = 0n;

function rate(target: string, options?: ProbeOptions): number {
  const hz = positiveInteger(decoratorNumber(options?.hz, target), "@profile's rate (samples per second)", "@profile(99)", meantRate);
  const max = Number(readTextFile("/proc/sys/kernel/perf_event_max_sample_rate")?.trim() ?? Infinity);
  if (hz > max) {
    throw new ProbeLookupError(`@profile(${hz}) asks for more samples per second than this kernel allows (${max})`, ["sample less often, e.g. @profile(99), or raise kernel.perf_event_max_sample_rate"]);
  }
  return hz;
}

/** `@profile(N)` for a rate written in bpftrace's units ("hz:99", "ms:10"). */
function meantRate(text: string): string | undefined {
  const hz = bpftraceNumber(text, "hz");
  return hz === undefined ? undefined : `@profile(${hz})`;
}

export const profileProbe = {
  kind: "profile",
  context(target: string, options?: ProbeOptions): ProbeContext {
    if (target || options?.hz !== undefined) rate(target, options);
    return perfEventContext(`profile ${target}`.trim());
  },
  attach(progFd: number, target: string, _progType: number, options?: ProbeOptions): OwnedFd[] {
    try {
      return attachSampling(progFd, { type: PerfType.SOFTWARE, config: CPU_CLOCK, rate: rate(target, options), freq: true, label: `profile ${target}` });
    } catch (e) {
      throw attachError(`profile ${target}`, e);
    }
  },
};
