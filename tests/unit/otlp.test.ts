// The OTLP JSON of aggregations, from maps stood in by their entries (no kernel): histogram
// buckets as OTLP explicit buckets, units, and the cardinality limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { otlpMetrics } from "../../export/otlp.ts";
import type { MetricSource } from "../../export/prometheus.ts";
import type { MapSpec } from "../../spec/tracer_spec.ts";
import { keyId } from "../../runtime/maps/aggregations.ts";
import { otlpFromEnvironment } from "../../export/otlp_env.ts";

function source(spec: Partial<MapSpec> & Pick<MapSpec, "name" | "kind">, rows: [unknown, unknown][], sums = new Map<string, bigint>()): MetricSource {
  const field = { keyed: rows.some(([k]) => k !== undefined), entries: () => rows, sums: () => sums };
  return { tracer: "T", prefix: "t", maps: [{ spec: spec as MapSpec, field: field as never }], lost: () => new Map(), dropped: () => new Map() };
}

test("histogram buckets become OTLP explicit buckets: bound high - 1, the unbounded rest last, in seconds for ns", () => {
  const buckets = [{ high: 0n, count: 1n }, { low: 0n, high: 1n, count: 2n }, { low: 4n, high: 8n, count: 3n }, { low: 100n, count: 4n }];
  const [m] = otlpMetrics(source({ name: "lat", kind: "lhist" }, [[undefined, buckets]]), 1n, 2n);
  const p = m.histogram.dataPoints[0];
  assert.deepEqual(p.explicitBounds, [-1, 0, 7]);
  assert.deepEqual(p.bucketCounts, ["1", "2", "3", "4"]);
  assert.equal(p.count, "10");
  assert.equal(p.sum, undefined, "no sum when the kernel kept none");
  const [ns] = otlpMetrics(source({ name: "lat", kind: "hist", unit: "ns" }, [[undefined, buckets]], new Map([[keyId(undefined), 1500n]])), 1n, 2n);
  assert.equal(ns.unit, "s");
  assert.deepEqual(ns.histogram.dataPoints[0].explicitBounds, [-1e-9, 0, 7e-9]);
  assert.equal(ns.histogram.dataPoints[0].sum, 1.5e-6);
});

test("past maxSeries the largest series are kept, and the left-out ones counted in tsbpf_metrics_series_dropped", () => {
  const rows: [unknown, unknown][] = [[1, 5n], [2, 50n], [3, 1n], [4, 40n], [5, 9n]];
  const metrics = otlpMetrics(source({ name: "calls", kind: "count" }, rows), 1n, 2n, 3);
  const calls = metrics.find((m) => m.name === "t_calls");
  assert.deepEqual(calls.sum.dataPoints.map((p: { asInt: string }) => p.asInt).sort(), ["40", "50", "9"]);
  const dropped = metrics.find((m) => m.name === "tsbpf_metrics_series_dropped");
  assert.deepEqual(dropped.gauge.dataPoints.map((p: { attributes: unknown; asInt: string }) => [p.attributes, p.asInt]), [[[{ key: "metric", value: { stringValue: "t_calls" } }], "2"]]);
  assert.equal(otlpMetrics(source({ name: "calls", kind: "count" }, rows), 1n, 2n, 5).find((m) => m.name === "tsbpf_metrics_series_dropped"), undefined);
});

test("OTEL_* variables that tsbpf cannot follow are clear errors", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(otlpFromEnvironment(env({})), undefined);
  assert.equal(otlpFromEnvironment(env({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })), undefined);
  assert.equal(otlpFromEnvironment(env({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRICS_EXPORTER: "none" })), undefined);
  assert.deepEqual(otlpFromEnvironment(env({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://c:4318/otlp/v1/metrics", OTEL_EXPORTER_OTLP_ENDPOINT: "http://other:4318" })),
    { endpoint: "http://c:4318/otlp/v1/metrics", intervalMs: 60000, serviceName: undefined, attributes: {}, headers: {}, compression: undefined });
  assert.throws(() => otlpFromEnvironment(env({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" })), /OTEL_EXPORTER_OTLP_COMPRESSION is "zstd": tsbpf compresses with gzip or not at all/);
  assert.throws(() => otlpFromEnvironment(env({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })), /OTEL_EXPORTER_OTLP_PROTOCOL is "grpc": tsbpf sends OTLP over HTTP/);
  assert.throws(() => otlpFromEnvironment(env({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRIC_EXPORT_INTERVAL: "soon" })), /OTEL_METRIC_EXPORT_INTERVAL is "soon": give milliseconds/);
  assert.throws(() => otlpFromEnvironment(env({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_RESOURCE_ATTRIBUTES: "novalue" })), /OTEL_RESOURCE_ATTRIBUTES: "novalue" is not key=value/);
});

test("start({ stats }): each handler's runs and run time are OTLP cumulative sums, by tracer, handler and probe", () => {
  const s = { ...source({ name: "calls", kind: "count" }, []), handlers: () => [{ handler: "T.onCall", probe: "tracepoint:a:b", runs: 10n, runTimeNs: 1500n, avgNs: 150 }] };
  const metrics = otlpMetrics(s, 1n, 2n) as { name: string; unit: string; sum: { isMonotonic: boolean; dataPoints: { attributes: unknown[]; asInt?: string; asDouble?: number }[] } }[];
  const runs = metrics.find((m) => m.name === "tsbpf_handler_runs")!, time = metrics.find((m) => m.name === "tsbpf_handler_run_time")!;
  assert.ok(runs && time, JSON.stringify(metrics));
  assert.equal(runs.sum.isMonotonic, true);
  assert.equal(runs.sum.dataPoints[0].asInt, "10");
  assert.equal(time.unit, "s");
  assert.equal(time.sum.dataPoints[0].asDouble, 1.5e-6);
  assert.deepEqual(runs.sum.dataPoints[0].attributes, [
    { key: "tracer", value: { stringValue: "T" } }, { key: "handler", value: { stringValue: "T.onCall" } }, { key: "probe", value: { stringValue: "tracepoint:a:b" } },
  ]);
});
