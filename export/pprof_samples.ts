// The samples of a pprof profile from a snapshot of a Count or Sum keyed by stacks: each key's
// stacks symbolized into frames (kernel ones first: they ran on top of the user ones), its other
// parts as labels, its value scaled to the unit pprof expects. Loaded only when a profile is
// written, with the symbolizer (export/pprof.ts takes the snapshot).
import { Stack } from "../runtime/maps/stacks.ts";
import { symbolizeStack } from "../runtime/symbolize/mod.ts";
import type { Frame } from "../runtime/symbolize/frame.ts";
import type { ProfileInput, ProfileSample, ValueType } from "./pprof_profile.ts";

/** What export/pprof.ts read from the map while the tracer still held it. */
export interface Snapshot {
  name: string;
  kind: "count" | "sum";
  unit?: string;
  entries: [unknown, bigint][];
  /** When the map was read: where the samples end (naming their frames and encoding come after). */
  read: Date;
}

/** How toPprof() and writePprof() describe the samples of an aggregation keyed by stacks. */
export interface PprofOptions {
  /** The sample type's name (default: "samples" for a Count, the field's name for a Sum; offcputime says "off_cpu"). */
  sampleType?: string;
  /** What a Sum's values are in, when its doc comment has no `@unit`: "ns", "us", "ms", "s", "bytes". */
  unit?: string;
  /** Samples per second of a sampling Count (@profile's): adds cpu/nanoseconds values and the period. */
  frequency?: number;
  /** Only the kernel's or only the user's frames of each sample (profile -K, -U). */
  only?: "kernel" | "user";
  /** When the tracing started (default: unknown). */
  start?: Date;
  /** Until when the tracing ran (default: when the map was read). */
  end?: Date;
}

/** Nanoseconds per unit, and the unit pprof names. */
const UNITS: Record<string, [bigint, string]> = { ns: [1n, "nanoseconds"], us: [1000n, "nanoseconds"], ms: [1_000_000n, "nanoseconds"], s: [1_000_000_000n, "nanoseconds"], bytes: [1n, "bytes"] };

/** The tracing itself (the BPF program, the probe's plumbing): innermost kernel frames that are not the thread's. */
const TRACING = /^(bpf_prog_|bpf_trace_run|__traceiter_|__bpf_trace_|trace_call_bpf)/;
/** How deep the tracing's frames can be: a few, always innermost. */
const TRACING_DEPTH = 8;

/** bcc's marker for a stack the kernel failed to capture; -EFAULT (no user stack, e.g. a kernel thread) is not a failure. */
const missed = (s: Stack) => s.failed && s.id !== -14;

function framesOf(s: Stack): Frame[] {
  if (missed(s)) return [{ kind: s.kind, address: 0n, name: `[Missed ${s.kind === "kernel" ? "Kernel" : "User"} Stack]`, offset: 0, module: undefined }];
  const frames = symbolizeStack(s.kind, s.pid, s.addresses);
  if (s.kind !== "kernel") return frames;
  // Up to the last frame of the tracing: a BPF program unloaded before the symbols were read
  // has no name of its own, and would pass for the kernel symbol before it.
  let cut = 0;
  for (let i = 0; i < Math.min(frames.length, TRACING_DEPTH); i++) if (frames[i].name !== undefined && TRACING.test(frames[i].name!)) cut = i + 1;
  return frames.slice(cut);
}

/** A key's stacks (kernel ones first: they run on top of the user ones) and its other parts as labels. */
function splitKey(key: unknown): { stacks: Stack[]; labels: Record<string, string | number | bigint> } {
  const stacks: Stack[] = [];
  const labels: Record<string, string | number | bigint> = {};
  const take = (name: string, v: unknown) => {
    if (v instanceof Stack) stacks.push(v);
    else if (typeof v === "number" || typeof v === "bigint") labels[name] = Number.isInteger(v) || typeof v === "bigint" ? v : String(v);
    else if (v !== undefined) labels[name] = String(v);
  };
  if (Array.isArray(key)) key.forEach((v, i) => take(`key${i}`, v));
  else if (key && typeof key === "object" && !(key instanceof Stack)) for (const [k, v] of Object.entries(key)) take(k, v);
  else take("key", key);
  stacks.sort((a, b) => Number(b.kind === "kernel") - Number(a.kind === "kernel"));
  return { stacks, labels };
}

/** The profile of a snapshot as a Profile message's parts (not encoded). */
export function pprofInput(map: Snapshot, options: PprofOptions = {}): ProfileInput {
  const isCount = map.kind === "count";
  const declared = options.unit ?? map.unit;
  const unit = declared === undefined ? undefined : UNITS[declared];
  if (declared !== undefined && !unit) throw new RangeError(`Cannot write "${map.name}" as a pprof profile: unknown unit "${declared}" (use ${Object.keys(UNITS).join(", ")})`);
  const [scale, unitName] = isCount ? [1n, "count"] : unit ?? [1n, "count"];
  const sampleTypes: ValueType[] = [{ type: options.sampleType ?? (isCount ? "samples" : map.name), unit: unitName }];
  const periodNs = isCount && options.frequency ? BigInt(Math.round(1e9 / options.frequency)) : undefined;
  if (periodNs) sampleTypes.push({ type: "cpu", unit: "nanoseconds" });
  const samples: ProfileSample[] = [];
  for (const [key, value] of map.entries) {
    const { stacks, labels } = splitKey(key);
    if (!stacks.length) throw new TypeError(`Cannot write "${map.name}" as a pprof profile: its key holds no KStack or UStack`);
    const values = [value * scale];
    if (periodNs) values.push(value * periodNs);
    samples.push({ frames: stacks.filter((s) => !options.only || s.kind === options.only).flatMap(framesOf), values, labels });
  }
  const end = options.end ?? map.read;
  const start = options.start;
  return {
    sampleTypes,
    samples,
    periodType: periodNs ? { type: "cpu", unit: "nanoseconds" } : sampleTypes[0],
    period: periodNs ?? 1n,
    timeNanos: start && BigInt(start.getTime()) * 1_000_000n,
    durationNanos: start && BigInt(Math.max(0, end.getTime() - start.getTime())) * 1_000_000n,
    comments: [`tsbpf ${map.name}`],
  };
}
