// The Prometheus text exposition format (version 0.0.4) of a tracer's aggregations, read from
// the maps when asked (at scrape time): Count and Sum as counters, Min, Max and Avg as gauges,
// Stats as a summary (_sum, _count), histograms as Prometheus histograms with cumulative `le`
// buckets. Values with a declared unit are exported in base units (ns → seconds); map keys
// become labels. Written here rather than with prom-client: its histograms observe values one
// by one, while ours arrive already bucketed by the kernel.
import type { MapSpec } from "../spec/tracer_spec.ts";
import { Aggregation, type Bucket, keyId, type StatsValue } from "../runtime/maps/aggregations.ts";
import { Stack } from "../runtime/maps/stacks.ts";
import { largest } from "./series_limit.ts";

export interface MetricMap {
  spec: MapSpec;
  field: Aggregation<unknown, unknown, unknown>;
}

/** What one handler has cost in the kernel so far (Tracer.handlerStats(), and what the exporters read of it). */
export interface HandlerCost {
  /** Class.method */
  handler: string;
  /** The probe as bpftrace names it: "tracepoint:syscalls:sys_enter_getppid". */
  probe: string;
  /** How many times it ran. */
  runs: bigint;
  /** Nanoseconds it ran in all. */
  runTimeNs: bigint;
  /** Nanoseconds per run (0 when it never ran). */
  avgNs: number;
}

/** One tracer's exported maps, and its counts of what it could not keep. */
export interface MetricSource {
  tracer: string;
  /** Metric names start with it: the tracer's class in snake_case unless start({ metrics }) says otherwise. */
  prefix: string;
  maps: MetricMap[];
  lost(): Map<string, bigint>;
  dropped(): Map<string, bigint>;
  /** Each handler's runs and time, when the tracer was started with stats. */
  handlers?(): HandlerCost[];
}

export interface ExpositionOptions {
  /** Series per metric at most; past it the largest are kept and the rest counted as dropped. */
  maxSeries: number;
  host: string;
}

/** Decimal digits to shift a unit's values by to reach the base unit (ns → seconds: 9). */
const SCALE: Record<string, number> = { ns: 9, us: 6, ms: 3, s: 0, bytes: 0 };
const BASE_UNIT: Record<string, string> = { ns: "seconds", us: "seconds", ms: "seconds", s: "seconds", bytes: "bytes" };

/** "byComm" → "by_comm", "SysCount" → "sys_count". */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^a-zA-Z0-9_:]/g, "_").toLowerCase();
}

function metricName(source: MetricSource, spec: MapSpec): string {
  let name = spec.metric ?? `${source.prefix}_${snakeCase(spec.name)}`;
  const unit = spec.unit && BASE_UNIT[spec.unit];
  if (unit && !name.endsWith(`_${unit}`)) name += `_${unit}`;
  return name;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A label name Prometheus accepts, from a key field's name. */
function labelName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(clean) || clean.startsWith("__") ? `key_${clean}` : clean;
}

/** A key's labels: a struct's fields, a tuple's elements (key0, key1, ...), or one "key"; stacks folded. */
function labelsOf(key: unknown, keyed: boolean): [string, string][] {
  if (!keyed) return [];
  const value = (v: unknown) => (v instanceof Stack ? v.frames().slice().reverse().join(";") : String(v));
  if (Array.isArray(key)) return key.map((v, i) => [v instanceof Stack ? (i ? `stack${i}` : "stack") : `key${i}`, value(v)]);
  if (key instanceof Stack) return [["stack", value(key)]];
  if (key && typeof key === "object") return Object.entries(key).map(([k, v]) => [labelName(k), value(v)]);
  return [["key", value(key)]];
}

function labelText(labels: [string, string][]): string {
  return labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
}

/** `v` divided by 10^digits, exactly, in decimal: 511 ns → "0.000000511". */
function number(v: bigint, digits: number): string {
  if (digits === 0) return String(v);
  const sign = v < 0n ? "-" : "";
  const text = (v < 0n ? -v : v).toString().padStart(digits + 1, "0");
  const whole = text.slice(0, -digits), fraction = text.slice(-digits).replace(/0+$/, "");
  return `${sign}${whole}${fraction ? `.${fraction}` : ""}`;
}

const TYPE: Record<string, string> = { count: "counter", sum: "counter", min: "gauge", max: "gauge", avg: "gauge", stats: "summary", hist: "histogram", lhist: "histogram" };

/** The exposition of every source, and per metric the series left out by the limit. */
export function exposition(sources: MetricSource[], options: ExpositionOptions): { text: string; dropped: Map<string, number> } {
  const lines: string[] = [];
  const dropped = new Map<string, number>();
  lines.push("# HELP tsbpf_tracer_info A tsbpf tracer running on this host.", "# TYPE tsbpf_tracer_info gauge");
  for (const s of sources) lines.push(`tsbpf_tracer_info${labelText([["tracer", s.tracer], ["host", options.host]])} 1`);
  const lost: string[] = [], refused: string[] = [];
  for (const s of sources) {
    for (const [handler, n] of s.lost()) lost.push(`tsbpf_lost_events_total${labelText([["tracer", s.tracer], ["handler", handler]])} ${n}`);
    for (const [map, n] of s.dropped()) refused.push(`tsbpf_dropped_updates_total${labelText([["tracer", s.tracer], ["map", map]])} ${n}`);
  }
  lines.push("# HELP tsbpf_lost_events_total Events a handler could not submit: its buffer was full.", "# TYPE tsbpf_lost_events_total counter", ...lost);
  lines.push("# HELP tsbpf_dropped_updates_total Map updates the kernel refused: the map was full.", "# TYPE tsbpf_dropped_updates_total counter", ...refused);
  handlerLines(sources, lines);
  for (const s of sources) {
    for (const { spec, field } of s.maps) {
      const type = TYPE[spec.kind];
      if (!type) continue;
      const name = metricName(s, spec);
      const family = type === "counter" ? `${name}_total` : name;
      lines.push(`# HELP ${family} ${escapeHelp(spec.help ?? `${s.tracer}.${spec.name} (${spec.kind})`)}`, `# TYPE ${family} ${type}`);
      const scale = spec.unit ? SCALE[spec.unit] : 0;
      const rows = largest(field.entries() as [unknown, unknown][], options.maxSeries, (n) => dropped.set(family, n));
      const sums = type === "histogram" ? (field as unknown as { sums(): Map<string, bigint> }).sums() : undefined;
      for (const [key, value] of rows) {
        const labels = labelsOf(key, field.keyed);
        if (type === "histogram") lines.push(...histogramLines(name, labels, value as Bucket[], scale, sums!.get(keyId(key))));
        else if (type === "summary") {
          const v = value as StatsValue;
          lines.push(`${name}_sum${labelText(labels)} ${number(v.total, scale)}`, `${name}_count${labelText(labels)} ${v.count}`);
        } else lines.push(`${family}${labelText(labels)} ${number(value as bigint, scale)}`);
      }
    }
  }
  if (dropped.size) {
    lines.push("# HELP tsbpf_metrics_series_dropped Series left out of the last scrape by the cardinality limit.", "# TYPE tsbpf_metrics_series_dropped gauge");
    for (const [metric, n] of dropped) lines.push(`tsbpf_metrics_series_dropped${labelText([["metric", metric]])} ${n}`);
  }
  return { text: lines.join("\n") + "\n", dropped };
}

/** Cumulative buckets: a value v falls in [low, high), so the bucket counts values ≤ high - 1. */
function histogramLines(name: string, labels: [string, string][], buckets: Bucket[], scale: number, sum: bigint | undefined): string[] {
  const out: string[] = [];
  let cumulative = 0n;
  for (const b of buckets) {
    cumulative += b.count;
    if (b.high === undefined) continue;
    out.push(`${name}_bucket${labelText([...labels, ["le", number(b.high - 1n, scale)]])} ${cumulative}`);
  }
  out.push(`${name}_bucket${labelText([...labels, ["le", "+Inf"]])} ${cumulative}`);
  if (sum !== undefined) out.push(`${name}_sum${labelText(labels)} ${number(sum, scale)}`);
  out.push(`${name}_count${labelText(labels)} ${cumulative}`);
  return out;
}

/** start({ stats }): each handler's runs and the time spent in them, as the kernel counts them. */
function handlerLines(sources: MetricSource[], lines: string[]): void {
  const costs = sources.flatMap((s) => (s.handlers?.() ?? []).map((c) => ({ tracer: s.tracer, c })));
  if (!costs.length) return;
  const labels = (tracer: string, c: HandlerCost) => labelText([["tracer", tracer], ["handler", c.handler], ["probe", c.probe]]);
  lines.push("# HELP tsbpf_handler_runs_total Times a handler ran (kernel BPF statistics, on while the tracer runs).", "# TYPE tsbpf_handler_runs_total counter");
  for (const { tracer, c } of costs) lines.push(`tsbpf_handler_runs_total${labels(tracer, c)} ${c.runs}`);
  lines.push("# HELP tsbpf_handler_run_seconds_total Time a handler ran, in seconds.", "# TYPE tsbpf_handler_run_seconds_total counter");
  for (const { tracer, c } of costs) lines.push(`tsbpf_handler_run_seconds_total${labels(tracer, c)} ${number(c.runTimeNs, 9)}`);
}
