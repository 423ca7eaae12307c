// OpenTelemetry: a tracer's aggregations pushed to a collector over OTLP/HTTP with the JSON
// encoding (POST /v1/metrics, an ExportMetricsServiceRequest), every interval and once more
// when the tracer stops. Count and Sum become cumulative monotonic sums, Min, Max and Avg
// gauges, Stats summaries, histograms explicit-bucket histograms; values with a declared unit
// in base units (ns → s); map keys become attributes. Written here rather than with the
// OpenTelemetry JS SDK: the SDK observes values one by one and would re-aggregate what the
// kernel already aggregated, and it is a dozen packages for one JSON POST.
import { clearInterval, setInterval } from "node:timers";
import process from "node:process";
import { gzipSync } from "node:zlib";
import type { MapSpec } from "../spec/tracer_spec.ts";
import type { Bucket, StatsValue } from "../runtime/maps/aggregations.ts";
import { largest } from "./series_limit.ts";
import { keyId } from "../runtime/maps/aggregations.ts";
import { Stack } from "../runtime/maps/stacks.ts";
import { readTextFile } from "../runtime/files.ts";
import { containerOf } from "../runtime/cgroup.ts";
import { TracerError } from "../runtime/errors.ts";
import { printable } from "../runtime/output.ts";
import { type HandlerCost, type MetricSource, snakeCase } from "./prometheus.ts";

/** Where and how often a tracer pushes its aggregations over OTLP/HTTP (StartOptions.otlp). */
export interface OtlpOptions {
  /** The collector's OTLP/HTTP address ("http://127.0.0.1:4318"), or its full metrics URL (ending in /v1/metrics). */
  endpoint: string;
  /** Milliseconds between pushes (default 10 000). */
  intervalMs?: number;
  /** The service.name resource attribute (default "tsbpf"). */
  serviceName?: string;
  /** More resource attributes (deployment.environment, k8s.node.name, ...). */
  attributes?: Record<string, string>;
  /** HTTP headers of each request (an authorization token). */
  headers?: Record<string, string>;
  /** Metric names start with it (default: the tracer's class in snake_case). */
  prefix?: string;
  /** Series per metric at most (default 10 000); past it the largest are pushed and the rest reported. */
  maxSeries?: number;
  /** "gzip": compress each request (Content-Encoding: gzip); 10 000 series are ~1.5 MB of JSON. */
  compression?: "gzip";
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** Seconds per unit for time units; bytes stay bytes. OTLP units are UCUM: "s", "By". */
const SECONDS: Record<string, number> = { ns: 1e9, us: 1e6, ms: 1e3, s: 1 };
const UCUM: Record<string, string> = { ns: "s", us: "s", ms: "s", s: "s", bytes: "By" };
const CUMULATIVE = 2;
/** The last push at stop() must not hold a SIGTERM up: a service manager expects the exit within a second. */
const FINAL_PUSH_TIMEOUT_MS = 400;
/** A push waits at most this long for an answer (OpenTelemetry's default export timeout). */
const PUSH_TIMEOUT_MS = 30_000;
/**
 * What is read of an answer: its status and partialSuccess take a few hundred bytes. Whoever
 * listens at the endpoint chooses the rest, and a collector on this machine (127.0.0.1:4318)
 * has a port any local user can take while it is down: an endless answer, read whole, took
 * root's tracer past 240 MB in 10 s (tests/security/otlp_answer_size.test.ts).
 */
const MAX_ANSWER_BYTES = 64 << 10;

/** The metrics URL of an endpoint, or a clear error. */
export function otlpUrl(endpoint: string): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TracerError(`Cannot export metrics to "${endpoint}": give an http:// or https:// URL of an OTLP/HTTP collector, e.g. http://127.0.0.1:4318`);
  }
  if (!url.pathname.endsWith("/v1/metrics")) url.pathname = url.pathname.replace(/\/?$/, "/v1/metrics");
  return url.toString();
}

const attribute = (key: string, v: unknown): Json => {
  if (typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v))) return { key, value: { intValue: v.toString() } };
  if (typeof v === "boolean") return { key, value: { boolValue: v } };
  if (v instanceof Stack) return { key, value: { stringValue: v.frames().slice().reverse().join(";") } };
  return { key, value: { stringValue: String(v) } };
};

/** A key's attributes: a struct's fields, a tuple's elements (key0, key1, ...), or one "key". */
function attributesOf(key: unknown, keyed: boolean): Json[] {
  if (!keyed) return [];
  if (Array.isArray(key)) return key.map((v, i) => attribute(`key${i}`, v));
  if (key && typeof key === "object" && !(key instanceof Stack)) return Object.entries(key).map(([k, v]) => attribute(k, v));
  return [attribute("key", key)];
}

/** The resource every request describes: this host, the service, the container when known. */
export function otlpResource(options: Pick<OtlpOptions, "serviceName" | "attributes">, pid: number): Json[] {
  const attrs: Record<string, string | number> = {
    "host.name": readTextFile("/proc/sys/kernel/hostname")?.trim() ?? "unknown",
    "service.name": "tsbpf",
    "process.pid": pid,
  };
  const container = containerOf(readTextFile("/proc/self/cgroup") ?? "");
  if (container) attrs["container.id"] = container;
  Object.assign(attrs, options.attributes);
  if (options.serviceName) attrs["service.name"] = options.serviceName;
  return Object.entries(attrs).map(([k, v]) => attribute(k, v));
}

/** One tracer's metrics at this moment, as OTLP's Metric messages (JSON). */
export function otlpMetrics(source: MetricSource, startNs: bigint, nowNs: bigint, maxSeries = Infinity, dropped = new Map<string, number>()): Json[] {
  const start = String(startNs), time = String(nowNs);
  const metrics: Json[] = [];
  for (const { spec, field } of source.maps) {
    const unit = spec.unit;
    // toString(), not String(v): JavaScriptCore's String(bigint) costs several times as much, per series.
    const value = (v: bigint): Json => (unit && SECONDS[unit] ? { asDouble: Number(v) / SECONDS[unit] } : { asInt: v.toString() });
    const double = (v: bigint) => (unit && SECONDS[unit] ? Number(v) / SECONDS[unit] : Number(v));
    const base = { name: metricName(source, spec), description: spec.help ?? `${source.tracer}.${spec.name} (${spec.kind})`, unit: unit ? UCUM[unit] : "" };
    const rows = largest(field.entries() as [unknown, unknown][], maxSeries, (n) => dropped.set(base.name, n));
    // A map the script clears (syscount's interval) counts again from its clear: a reset, which a
    // cumulative sum says with a new start time rather than by going down.
    const cleared = BigInt(field.clearedAt ?? 0) * 1_000_000n;
    const since = String(cleared > startNs ? cleared : startNs);
    const point = (key: unknown) => ({ attributes: attributesOf(key, field.keyed), startTimeUnixNano: since, timeUnixNano: time });
    switch (spec.kind) {
      case "count":
      case "sum":
        metrics.push({ ...base, sum: { aggregationTemporality: CUMULATIVE, isMonotonic: true, dataPoints: rows.map(([k, v]) => ({ ...point(k), ...value(v as bigint) })) } });
        break;
      case "min":
      case "max":
      case "avg":
        metrics.push({ ...base, gauge: { dataPoints: rows.map(([k, v]) => ({ attributes: attributesOf(k, field.keyed), timeUnixNano: time, ...value(v as bigint) })) } });
        break;
      case "stats":
        metrics.push({ ...base, summary: { dataPoints: rows.map(([k, v]) => ({ ...point(k), count: (v as StatsValue).count.toString(), sum: double((v as StatsValue).total), quantileValues: [] })) } });
        break;
      case "hist":
      case "lhist": {
        const sums = (field as unknown as { sums(): Map<string, bigint> }).sums();
        const dataPoints = rows.map(([k, v]) => {
          const { bounds, counts, total } = explicitBuckets(v as Bucket[], double);
          const sum = sums.get(keyId(k));
          return { ...point(k), count: total.toString(), ...(sum !== undefined && { sum: double(sum) }), bucketCounts: counts, explicitBounds: bounds };
        });
        metrics.push({ ...base, histogram: { aggregationTemporality: CUMULATIVE, dataPoints } });
        break;
      }
    }
  }
  const counter = (name: string, description: string, attr: string, counts: Map<string, bigint>) => {
    if (!counts.size) return;
    const dataPoints = [...counts].map(([k, n]) => ({ attributes: [attribute("tracer", source.tracer), attribute(attr, k)], startTimeUnixNano: start, timeUnixNano: time, asInt: String(n) }));
    metrics.push({ name, description, unit: "", sum: { aggregationTemporality: CUMULATIVE, isMonotonic: true, dataPoints } });
  };
  counter("tsbpf_lost_events", "Events a handler could not submit: its buffer was full.", "handler", source.lost());
  counter("tsbpf_dropped_updates", "Map updates the kernel refused: the map was full.", "map", source.dropped());
  // start({ stats }): each handler's runs and the time spent in them, as the kernel counts them.
  const costs = source.handlers?.() ?? [];
  const handlerSum = (name: string, description: string, unit: string, value: (c: HandlerCost) => Json) => {
    if (!costs.length) return;
    const dataPoints = costs.map((c) => ({ attributes: [attribute("tracer", source.tracer), attribute("handler", c.handler), attribute("probe", c.probe)], startTimeUnixNano: start, timeUnixNano: time, ...value(c) }));
    metrics.push({ name, description, unit, sum: { aggregationTemporality: CUMULATIVE, isMonotonic: true, dataPoints } });
  };
  handlerSum("tsbpf_handler_runs", "Times a handler ran (kernel BPF statistics, on while the tracer runs).", "", (c) => ({ asInt: String(c.runs) }));
  handlerSum("tsbpf_handler_run_time", "Time a handler ran.", "s", (c) => ({ asDouble: Number(c.runTimeNs) / 1e9 }));
  if (dropped.size) {
    const dataPoints = [...dropped].map(([metric, n]) => ({ attributes: [attribute("metric", metric)], timeUnixNano: time, asInt: String(n) }));
    metrics.push({ name: "tsbpf_metrics_series_dropped", description: "Series left out of the last export by the cardinality limit.", unit: "", gauge: { dataPoints } });
  }
  return metrics;
}

function metricName(source: MetricSource, spec: MapSpec): string {
  return spec.metric ?? `${source.prefix}_${snakeCase(spec.name)}`;
}

/** OTLP's buckets: counts of values ≤ each bound (a bucket [low, high) holds values ≤ high - 1), then the rest. */
function explicitBuckets(buckets: Bucket[], scale: (v: bigint) => number): { bounds: number[]; counts: string[]; total: bigint } {
  const bounds: number[] = [], counts: string[] = [];
  let overflow = 0n, total = 0n;
  for (const b of buckets) {
    total += b.count;
    if (b.high === undefined) overflow += b.count;
    else {
      bounds.push(scale(b.high - 1n));
      counts.push(b.count.toString());
    }
  }
  counts.push(overflow.toString());
  return { bounds, counts, total };
}

/** The request body: one resource, one scope per tracer. */
export function otlpRequest(sources: { source: MetricSource; startNs: bigint }[], resource: Json[], nowNs: bigint, maxSeries = Infinity, dropped = new Map<string, number>()): Json {
  return {
    resourceMetrics: [{
      resource: { attributes: resource },
      scopeMetrics: sources.map(({ source, startNs }) => ({
        scope: { name: "tsbpf", attributes: [attribute("tracer", source.tracer)] },
        metrics: otlpMetrics(source, startNs, nowNs, maxSeries, dropped),
      })),
    }],
  };
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** The start of `res`'s body as text, at most MAX_ANSWER_BYTES of it; the rest is not read. */
async function answerText(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, MAX_ANSWER_BYTES));
  let at = 0;
  for (const part of parts) {
    bytes.set(part.subarray(0, bytes.length - at), at);
    at += Math.min(part.length, bytes.length - at);
  }
  return new TextDecoder().decode(bytes);
}

/** Pushes `source` to the collector every interval until stop(), which pushes the last values. */
export function startOtlp(source: MetricSource, options: OtlpOptions): { stop(): Promise<void> } {
  const url = otlpUrl(options.endpoint);
  const interval = options.intervalMs ?? 10_000;
  if (!(interval >= 10)) throw new TracerError(`Cannot export metrics every ${interval} ms: give intervalMs of at least 10`);
  const resource = otlpResource(options, process.pid);
  const startNs = nowNs();
  let failing = false, inFlight = false;
  const maxSeries = options.maxSeries ?? 10_000;
  /** Metrics whose left-out series were already reported. */
  const reported = new Set<string>();
  // Cancels the pushes still waiting for an answer when the tracer stops.
  const stopping = new AbortController();

  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.compression === "gzip") headers["content-encoding"] = "gzip";
  else if (options.compression !== undefined) throw new TracerError(`Cannot compress OTLP requests with "${options.compression}": use "gzip" or none`);
  const push = async (timeoutMs: number, last = false): Promise<void> => {
    const report = (why: string) => {
      // Once per outage, not once per interval; and at stop() whatever came before: no push
      // follows the last, so its loss is said even when the outage already was. `why` may quote
      // the collector, whoever holds its port (tests/security/otlp_answer_escapes.test.ts).
      if (!failing || last) console.error(`tsbpf: Cannot export metrics to ${url}: ${printable(why)} (OTLP${last ? "; the last values are lost" : `; trying again every ${interval} ms`})`);
      failing = true;
    };
    let json: string;
    try {
      const dropped = new Map<string, number>();
      json = JSON.stringify(otlpRequest([{ source, startNs }], resource, nowNs(), maxSeries, dropped));
      for (const [metric, n] of dropped) {
        if (reported.has(metric)) continue;
        reported.add(metric);
        console.error(`tsbpf: ${metric} has more than ${maxSeries} series (${n} more); exporting the largest over OTLP (raise maxSeries in start({ otlp }))`);
      }
    } catch (e) {
      return report(`reading the maps failed (${(e as Error).message})`);
    }
    try {
      const body = options.compression === "gzip" ? new Uint8Array(gzipSync(json)) : json;
      const res = await fetch(url, { method: "POST", headers, body, signal: last ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([AbortSignal.timeout(timeoutMs), stopping.signal]) });
      const answer = await answerText(res);
      if (!res.ok) return report(`HTTP ${res.status}${answer ? `: ${answer.slice(0, 200)}` : ""}`);
      const rejected = Number(safeJson(answer)?.partialSuccess?.rejectedDataPoints ?? 0);
      if (rejected > 0) return report(`the collector rejected ${rejected} data points (${String(safeJson(answer).partialSuccess.errorMessage ?? "no reason given").slice(0, 200)})`);
      if (failing) console.error(`tsbpf: OTLP export to ${url} works again`);
      failing = false;
    } catch (e) {
      const err = e as Error;
      const denied = err.name === "NotCapable" || err.name === "PermissionDenied";
      if (stopping.signal.aborted && err.name === "AbortError") return; // superseded by the last push
      report(denied ? "Deno needs --allow-net" : err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : err.message);
    }
  };
  const timer = setInterval(() => {
    if (inFlight) return; // a slow collector: skip a beat rather than pile requests up
    inFlight = true;
    push(Math.min(Math.max(interval, 1000), PUSH_TIMEOUT_MS)).finally(() => (inFlight = false));
  }, interval);
  // The tracer keeps the process alive, not its exporter.
  timer.unref?.();
  return {
    stop: () => {
      clearInterval(timer);
      // Reads the maps now; the superseded push is cancelled once this one is under way.
      const last = push(FINAL_PUSH_TIMEOUT_MS, true);
      stopping.abort();
      return last;
    },
  };
}

function safeJson(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
