// @interval(ms): runs the handler every `ms` milliseconds, on one CPU, like bpftrace's
// interval:ms: a perf cpu-clock event on the first online CPU with a period of `ms` (cpu-clock
// counts nanoseconds of a timer that runs whether or not the CPU is idle). The handler runs in
// whatever task that CPU was running: pid() and comm() mean nothing here.
import type { ProbeContext, ProbeOptions } from "../spec/target.ts";
import { PerfType } from "../runtime/perf.ts";
import { onlineCpus } from "../runtime/cpus.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { attachSampling, bpftraceNumber, decoratorNumber, perfEventContext, positiveInteger } from "./perf_event.ts";
import { attachError } from "./errors.ts";

const CPU_CLOCK = 0n;

function periodMs(target: string, options?: ProbeOptions): number {
  return positiveInteger(decoratorNumber(options?.ms, target), "@interval's period (milliseconds)", "@interval(1000)", meantPeriod);
}

/** `@interval(N)` for a period written in bpftrace's units ("s:1", "100ms"). */
function meantPeriod(text: string): string | undefined {
  const ms = bpftraceNumber(text, "ms");
  return ms === undefined ? undefined : `@interval(${ms})`;
}

export const intervalProbe = {
  kind: "interval",
  context(target: string, options?: ProbeOptions): ProbeContext {
    if (target || options?.ms !== undefined) periodMs(target, options);
    return perfEventContext(`interval ${target}`.trim());
  },
  attach(progFd: number, target: string, _progType: number, options?: ProbeOptions): OwnedFd[] {
    try {
      const ns = periodMs(target, options) * 1_000_000;
      return attachSampling(progFd, { type: PerfType.SOFTWARE, config: CPU_CLOCK, rate: ns, freq: false, cpus: onlineCpus().slice(0, 1), label: `interval ${target}ms` });
    } catch (e) {
      throw attachError(`interval ${target}`, e);
    }
  },
};
