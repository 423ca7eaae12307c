// @perfEvent({ type: "software", config: "page-faults", period: 1 }): a perf_event program run
// every `period` occurrences of a software or hardware event (or `freq` times a second), on
// every CPU. Also the plumbing @profile and @interval share: one event per CPU, each linked to
// the program, opened stopped and started once every probe of the tracer is attached.
import { type ProbeContext, ProbeLookupError, type ProbeOptions } from "../spec/target.ts";
import { AttachType, linkCreate, ProgType } from "../runtime/bpf.ts";
import { perfEventOpen, PerfType } from "../runtime/perf.ts";
import { onlineCpus } from "../runtime/cpus.ts";
import { fileExists } from "../runtime/files.ts";
import { SyscallError } from "../runtime/errors.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { attachError } from "./errors.ts";

/** perf's names (include/uapi/linux/perf_event.h, perf list) and bpftrace's default periods. */
const SOFTWARE: Record<string, [config: number, period: number]> = {
  "cpu-clock": [0, 1_000_000], "task-clock": [1, 1_000_000], "page-faults": [2, 100], "context-switches": [3, 1000],
  "cpu-migrations": [4, 1], "minor-faults": [5, 100], "major-faults": [6, 1], "alignment-faults": [7, 1],
  "emulation-faults": [8, 1], "dummy": [9, 1],
};
const HARDWARE: Record<string, [config: number, period: number]> = {
  "cpu-cycles": [0, 1_000_000], "instructions": [1, 1_000_000], "cache-references": [2, 1_000_000], "cache-misses": [3, 1_000_000],
  "branch-instructions": [4, 100_000], "branch-misses": [5, 100_000], "bus-cycles": [6, 100_000],
  "stalled-cycles-frontend": [7, 1_000_000], "stalled-cycles-backend": [8, 1_000_000], "ref-cycles": [9, 1_000_000],
};
const ALIASES: Record<string, string> = { faults: "page-faults", cs: "context-switches", migrations: "cpu-migrations", cycles: "cpu-cycles", branches: "branch-instructions" };

export interface Sampling {
  type: number;
  config: bigint;
  /** Events per sample, or samples per second with `freq`. */
  rate: number;
  freq: boolean;
  /** The CPUs to open it on (default: every online CPU). */
  cpus?: number[];
  label: string;
}

/** Opens the event on each CPU, stopped, and links the program to each. */
export function attachSampling(progFd: number, s: Sampling): OwnedFd[] {
  const out: OwnedFd[] = [];
  try {
    for (const cpu of s.cpus ?? onlineCpus()) {
      const label = `${s.label} on CPU ${cpu}`;
      const event = perfEventOpen({ type: s.type, config: s.config, period: BigInt(s.rate), freq: s.freq, pid: -1, cpu, disabled: true, label });
      try {
        out.push(linkCreate(progFd, event.fd, AttachType.PERF_EVENT, label), event);
      } catch (e) {
        event.close();
        throw e;
      }
    }
    return out;
  } catch (e) {
    for (const fd of out) fd.close();
    throw e;
  }
}

/** The context of every perf_event program: `struct bpf_perf_event_data`, nothing read from it yet. */
export function perfEventContext(describe: string): ProbeContext {
  return { progType: ProgType.PERF_EVENT, fields: [], describe };
}

/**
 * A positive integer from a decorator, or a clear error naming it. The decorator's value is a
 * number (its type says so); a string ("99", " 0x63 ") is refused rather than read by Number().
 */
export function positiveInteger(value: unknown, what: string, example: string, meant?: (text: string) => string | undefined): number {
  if (typeof value === "string") {
    throw new ProbeLookupError(`${what} must be a positive integer, got ${JSON.stringify(value)} (a string)`, [`write a number, not a string: ${meant?.(value) ?? example}`]);
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ProbeLookupError(`${what} must be a positive integer, got ${JSON.stringify(value)}`, [`e.g. ${example}`]);
  }
  return value;
}

/** Nanoseconds in each of bpftrace's time units. */
const UNIT_NS: Record<string, number> = { s: 1e9, ms: 1e6, us: 1e3 };

/**
 * A rate or period written in bpftrace's units ("ms:10", "hz:99", "1s", "99"): its unit and
 * number, or undefined for anything else.
 */
function bpftraceUnits(text: string): { unit: string; n: number } | undefined {
  const m = /^\s*(?:(s|ms|us|hz):(\d+)|(\d+)\s*(s|ms|us|hz)?)\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[2] ?? m[3]);
  return n > 0 ? { unit: (m[1] ?? m[4] ?? "").toLowerCase(), n } : undefined;
}

/** The decorator a bpftrace rate or period means, when it is a whole number in `unit` (hz or ms): e.g. "ms:10" as hz is 100. */
export function bpftraceNumber(text: string, unit: "hz" | "ms"): number | undefined {
  const u = bpftraceUnits(text);
  if (!u) return undefined;
  const given = u.unit || unit;
  if (given === unit) return u.n;
  const periodNs = given === "hz" ? 1e9 / u.n : u.n * UNIT_NS[given];
  const value = unit === "hz" ? 1e9 / periodNs : periodNs / UNIT_NS.ms;
  return Number.isInteger(value) ? value : undefined;
}

/**
 * The number a decorator's target holds (`String(hz)`, made by the decorator): the value itself
 * when the decorator's options carry it, else the target read back when it is the digits of one.
 */
export function decoratorNumber(value: unknown, target: string): unknown {
  if (value !== undefined) return value;
  return /^[1-9][0-9]*$/.test(target) ? Number(target) : target;
}

function parse(target: string, options?: ProbeOptions): Sampling {
  const [type, rawConfig] = target.split(":");
  const config = ALIASES[rawConfig] ?? rawConfig;
  const table = type === "software" ? SOFTWARE : type === "hardware" ? HARDWARE : undefined;
  if (!table) throw new ProbeLookupError(`perf event type must be "software" or "hardware", got "${type}"`);
  const entry = table[config];
  if (!entry) throw new ProbeLookupError(`unknown ${type} event "${rawConfig}"`, [`the ${type} events: ${Object.keys(table).join(", ")}`]);
  if (options?.period !== undefined && options?.freq !== undefined) throw new ProbeLookupError(`give a perf event a period or a freq, not both`);
  const freq = options?.freq !== undefined;
  const rate = freq ? positiveInteger(options.freq, "freq", "freq: 99") : options?.period !== undefined ? positiveInteger(options.period, "period", "period: 1") : entry[1];
  return { type: type === "software" ? PerfType.SOFTWARE : PerfType.HARDWARE, config: BigInt(entry[0]), rate, freq, label: `perf event ${target}` };
}

/** Hardware counters need a CPU PMU; virtual machines often have none. */
function requireHardware(config: string): void {
  if (["cpu", "cpu_core", "cpu_atom", "armv8_pmuv3"].some((p) => fileExists(`/sys/bus/event_source/devices/${p}`))) return;
  throw new ProbeLookupError(`this machine has no hardware performance counters (no CPU PMU in /sys/bus/event_source/devices; a virtual machine without a virtual PMU?), so "hardware:${config}" cannot be sampled`,
    ['use a software event, e.g. { type: "software", config: "cpu-clock" }']);
}

export const perfEventProbe = {
  kind: "perfEvent",
  context(target: string, options?: ProbeOptions): ProbeContext {
    // The compiler passes "" for an object it cannot read; the runtime checks the real one.
    if (target) parse(target, options);
    return perfEventContext(`perf event ${target}`.trim());
  },
  attach(progFd: number, target: string, _progType: number, options?: ProbeOptions): OwnedFd[] {
    const label = `perf event ${target}`;
    try {
      const s = parse(target, options);
      if (s.type === PerfType.HARDWARE) requireHardware(target.split(":")[1]);
      try {
        return attachSampling(progFd, s);
      } catch (e) {
        if (s.type === PerfType.HARDWARE && e instanceof SyscallError && [2, 19, 95].includes(e.errno)) {
          throw new ProbeLookupError(`this CPU cannot count "${target}" (perf_event_open: ${e.message})`, ['try "cpu-cycles" or "instructions", or a software event']);
        }
        throw e;
      }
    } catch (e) {
      throw attachError(label, e);
    }
  },
};
