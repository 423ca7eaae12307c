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
import { showBytes } from "../runtime/maps/byte_strings.ts";

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
  /** The answer's bytes at most (default MAX_BODY_BYTES); series past it are left out and counted. */
  maxBytes?: number;
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

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A label name Prometheus accepts, from a key field's name (the same few names at every row). */
function labelName(name: string): string {
  let label = labelNames.get(name);
  if (label !== undefined) return label;
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_");
  label = /^[0-9]/.test(clean) || clean.startsWith("__") ? `key_${clean}` : clean;
  if (labelNames.size < 1024) labelNames.set(name, label);
  return label;
}
const labelNames = new Map<string, string>();

/**
 * A key's `k="v",...` (no braces): a number's or a string's directly, without the arrays labelsOf makes. A
 * scrape writes this once per series, and on Bun (JavaScriptCore) the garbage of 10 000 series
 * a scrape, collected between scrapes, cost more CPU than writing them.
 */
function keyPairs(key: unknown, keyed: boolean, body: Body): string {
  if (!keyed) return "";
  if (typeof key === "number" || typeof key === "bigint") return `key="${key.toString()}"`;
  if (typeof key === "string") return `key="${labelValue(key, body)}"`;
  return labelPairs(labelsOf(key), body);
}

/** A key's labels: a struct's fields, a tuple's elements (key0, key1, ...), or one "key"; stacks folded. */
function labelsOf(key: unknown): [string, string][] {
  const value = (v: unknown) => (v instanceof Stack ? v.frames().slice().reverse().join(";") : String(v));
  if (Array.isArray(key)) return key.map((v, i) => [v instanceof Stack ? (i ? `stack${i}` : "stack") : `key${i}`, value(v)]);
  if (key instanceof Stack) return [["stack", value(key)]];
  if (key && typeof key === "object") return Object.entries(key).map(([k, v]) => [labelName(k), value(v)]);
  return [["key", value(key)]];
}

/**
 * The answer being written, and what was left out of it. Its size is counted as it grows, in
 * bytes (label values are the only text that may not be ASCII), and bounded: a map keyed by
 * another user's process names or by stacks of fake frame pointers could otherwise make one
 * scrape more than a gigabyte.
 */
class Body {
  readonly lines: string[] = [];
  bytes = 0;
  /** Series left out because the answer reached `limit`, per metric. */
  readonly cut = new Map<string, number>();
  /** Label values shortened to MAX_LABEL_BYTES, per metric. */
  readonly shortened = new Map<string, number>();
  /** Shortened label sets already written, per metric: a hash collision must not make two series one. */
  readonly #shortSeries = new Map<string, Set<string>>();
  /** Extra bytes of the label values made since the last series began (their UTF-8 beyond one byte per char). */
  extra = 0;
  /** Values shortened since the last series began. */
  short = 0;
  constructor(readonly limit: number) {}

  /** Starts a series: labels made from now on count for it. */
  begin(): void {
    this.extra = 0;
    this.short = 0;
  }

  /** Adds a series' line(s) unless they would pass the limit (or repeat a shortened series); false when left out. */
  series(family: string, lines: string | string[], labels: string): boolean {
    const one = typeof lines === "string";
    let size = this.extra * (one ? 1 : lines.length);
    if (one) size += lines.length + 1;
    else for (const line of lines) size += line.length + 1;
    let seen: Set<string> | undefined;
    if (this.short) {
      this.shortened.set(family, (this.shortened.get(family) ?? 0) + this.short);
      seen = this.#shortSeries.get(family) ?? new Set();
      this.#shortSeries.set(family, seen);
    }
    if (this.bytes + size > this.limit || seen?.has(labels)) {
      this.cut.set(family, (this.cut.get(family) ?? 0) + 1);
      return false;
    }
    seen?.add(labels);
    this.bytes += size;
    if (one) this.lines.push(lines);
    else for (const line of lines) this.lines.push(line);
    return true;
  }

  /** Lines of tsbpf's own (HELP, TYPE, counts), few and always written. */
  push(...lines: string[]): void {
    for (const line of lines) {
      this.bytes += line.length + 1 + this.extra;
      this.extra = 0;
      this.lines.push(line);
    }
  }
}

/** A label value's text in the exposition at most, in bytes; a longer one keeps its start and a hash of the whole. */
export const MAX_LABEL_BYTES = 4096;
/** The answer at most, in bytes, unless MetricsOptions.maxBytes says otherwise. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Room kept for the counts of what was left out, written last. */
const TRAILER_BYTES = 64 * 1024;

/** Printable ASCII but `"` and `\`: written as it is, one byte a char. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SPECIAL = /[\\"\n]|[\ud800-\udfff]/gu;

/**
 * One character of a label value in the text format. A backslash is doubled before the format's
 * own escaping (it reads back as `\\`), so that a byte that is not UTF-8, written `\xNN`
 * (showBytes), cannot read back the same as a name that spells `\xNN` itself: two different
 * names must not become two series with the same labels, which makes Prometheus refuse the
 * whole scrape.
 */
function escapeChar(c: string): string {
  if (c === "\\") return "\\\\\\\\";
  if (c === '"') return '\\"';
  if (c === "\n") return "\\n";
  return `\\${showBytes(c)}`;
}

/** FNV-1a over the UTF-16 units, twice (two offsets), as 16 hex digits. */
function hash(v: string): string {
  let a = 0x811c9dc5, b = 0x050c5d1f;
  for (let i = 0; i < v.length; i++) {
    a = Math.imul(a ^ v.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ v.charCodeAt(i), 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

/** `v` escaped for a label value and bounded by MAX_LABEL_BYTES; its UTF-8 and shortening counted in `body`. */
function labelValue(v: string, body: Body): string {
  if (v.length <= MAX_LABEL_BYTES && PLAIN.test(v)) return v;
  const text = v.replace(SPECIAL, escapeChar);
  const bytes = text.length <= MAX_LABEL_BYTES / 3 ? text.length : utf8Length(text);
  if (bytes <= MAX_LABEL_BYTES) {
    body.extra += bytes - text.length;
    return text;
  }
  // Whole characters (and whole escapes) up to the limit, then "...#" and the hash of the whole.
  const suffix = `...#${hash(v)}`;
  let out = "", size = 0;
  for (const c of v) {
    const e = c.length === 1 && (c === "\\" || c === '"' || c === "\n" || (c >= "\ud800" && c <= "\udfff")) ? escapeChar(c) : c;
    const n = e.length === 1 ? (e < "\x80" ? 1 : e < "\u0800" ? 2 : 3) : utf8Length(e);
    if (size + n + suffix.length > MAX_LABEL_BYTES) break;
    out += e;
    size += n;
  }
  body.extra += size - out.length;
  body.short++;
  return out + suffix;
}

/** `k1="v1",k2="v2"` (no braces), so that a histogram's buckets add `le` to it. */
function labelPairs(labels: [string, string][], body: Body): string {
  let s = "";
  for (const [k, v] of labels) s += `${s ? "," : ""}${k}="${labelValue(v, body)}"`;
  return s;
}

const braces = (pairs: string) => (pairs ? `{${pairs}}` : "");

/**
 * `v` divided by 10^digits, exactly, in decimal: 511 ns → "0.000000511". With toString(): on
 * JavaScriptCore String(bigint) and `${bigint}` cost several times as much (13 ms against 2-4 ms
 * for 10 000 values, once per series at every scrape).
 */
function number(v: bigint, digits: number): string {
  if (digits === 0) return v.toString();
  const sign = v < 0n ? "-" : "";
  const text = (v < 0n ? -v : v).toString().padStart(digits + 1, "0");
  const whole = text.slice(0, -digits), fraction = text.slice(-digits).replace(/0+$/, "");
  return `${sign}${whole}${fraction ? `.${fraction}` : ""}`;
}

const TYPE: Record<string, string> = { count: "counter", sum: "counter", min: "gauge", max: "gauge", avg: "gauge", stats: "summary", hist: "histogram", lhist: "histogram" };

/** What one scrape left out, per metric: by the cardinality limit, by the size limit, label values shortened. */
export interface LeftOut {
  dropped: Map<string, number>;
  cut: Map<string, number>;
  shortened: Map<string, number>;
}

/** The exposition of every source, and per metric what the limits left out of it. */
export function exposition(sources: MetricSource[], options: ExpositionOptions): { text: string } & LeftOut {
  const body = new Body(Math.max(0, (options.maxBytes ?? MAX_BODY_BYTES) - TRAILER_BYTES));
  const dropped = new Map<string, number>();
  const own = (name: string, labels: [string, string][], value: bigint | number | string) => {
    body.begin();
    return `${name}${braces(labelPairs(labels, body))} ${value}`;
  };
  body.push("# HELP tsbpf_tracer_info A tsbpf tracer running on this host.", "# TYPE tsbpf_tracer_info gauge");
  for (const s of sources) body.push(own("tsbpf_tracer_info", [["tracer", s.tracer], ["host", options.host]], 1));
  body.push("# HELP tsbpf_lost_events_total Events a handler could not submit: its buffer was full.", "# TYPE tsbpf_lost_events_total counter");
  for (const s of sources) for (const [handler, n] of s.lost()) body.push(own("tsbpf_lost_events_total", [["tracer", s.tracer], ["handler", handler]], n));
  body.push("# HELP tsbpf_dropped_updates_total Map updates the kernel refused: the map was full.", "# TYPE tsbpf_dropped_updates_total counter");
  for (const s of sources) for (const [map, n] of s.dropped()) body.push(own("tsbpf_dropped_updates_total", [["tracer", s.tracer], ["map", map]], n));
  handlerLines(sources, body, own);
  for (const s of sources) {
    for (const { spec, field } of s.maps) {
      const type = TYPE[spec.kind];
      if (!type) continue;
      const name = metricName(s, spec);
      const family = type === "counter" ? `${name}_total` : name;
      body.push(`# HELP ${family} ${escapeHelp(spec.help ?? `${s.tracer}.${spec.name} (${spec.kind})`)}`, `# TYPE ${family} ${type}`);
      const scale = spec.unit ? SCALE[spec.unit] : 0;
      const rows = largest(field.entries() as [unknown, unknown][], options.maxSeries, (n) => dropped.set(family, n));
      const sums = type === "histogram" ? (field as unknown as { sums(): Map<string, bigint> }).sums() : undefined;
      for (const [key, value] of rows) {
        body.begin();
        const pairs = keyPairs(key, field.keyed, body), labels = braces(pairs);
        let lines: string | string[];
        if (type === "histogram") lines = histogramLines(name, pairs, value as Bucket[], scale, sums!.get(keyId(key)));
        else if (type === "summary") {
          const v = value as StatsValue;
          lines = [`${name}_sum${labels} ${number(v.total, scale)}`, `${name}_count${labels} ${v.count.toString()}`];
        } else lines = `${family}${labels} ${number(value as bigint, scale)}`;
        body.series(family, lines, labels);
      }
    }
  }
  const counts = (metric: string, help: string, per: Map<string, number>) => {
    if (!per.size) return;
    body.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} gauge`);
    for (const [family, n] of per) body.push(own(metric, [["metric", family]], n));
  };
  counts("tsbpf_metrics_series_dropped", "Series left out of the last scrape by the cardinality limit.", dropped);
  counts("tsbpf_metrics_series_cut", "Series left out of the last scrape because the answer reached its size limit.", body.cut);
  counts("tsbpf_metrics_label_values_shortened", `Label values of the last scrape cut to ${MAX_LABEL_BYTES} bytes (their start and a hash of the whole).`, body.shortened);
  return { text: body.lines.join("\n") + "\n", dropped, cut: body.cut, shortened: body.shortened };
}

/** Cumulative buckets: a value v falls in [low, high), so the bucket counts values ≤ high - 1. */
function histogramLines(name: string, pairs: string, buckets: Bucket[], scale: number, sum: bigint | undefined): string[] {
  const out: string[] = [];
  const le = pairs ? `{${pairs},le="` : `{le="`, labels = braces(pairs);
  let cumulative = 0n;
  for (const b of buckets) {
    cumulative += b.count;
    if (b.high === undefined) continue;
    out.push(`${name}_bucket${le}${number(b.high - 1n, scale)}"} ${cumulative.toString()}`);
  }
  out.push(`${name}_bucket${le}+Inf"} ${cumulative.toString()}`);
  if (sum !== undefined) out.push(`${name}_sum${labels} ${number(sum, scale)}`);
  out.push(`${name}_count${labels} ${cumulative.toString()}`);
  return out;
}

/** start({ stats }): each handler's runs and the time spent in them, as the kernel counts them. */
function handlerLines(sources: MetricSource[], body: Body, own: (name: string, labels: [string, string][], value: bigint | string) => string): void {
  const costs = sources.flatMap((s) => (s.handlers?.() ?? []).map((c) => ({ tracer: s.tracer, c })));
  if (!costs.length) return;
  const labels = (tracer: string, c: HandlerCost): [string, string][] => [["tracer", tracer], ["handler", c.handler], ["probe", c.probe]];
  body.push("# HELP tsbpf_handler_runs_total Times a handler ran (kernel BPF statistics, on while the tracer runs).", "# TYPE tsbpf_handler_runs_total counter");
  for (const { tracer, c } of costs) body.push(own("tsbpf_handler_runs_total", labels(tracer, c), c.runs));
  body.push("# HELP tsbpf_handler_run_seconds_total Time a handler ran, in seconds.", "# TYPE tsbpf_handler_run_seconds_total counter");
  for (const { tracer, c } of costs) body.push(own("tsbpf_handler_run_seconds_total", labels(tracer, c), number(c.runTimeNs, 9)));
}
