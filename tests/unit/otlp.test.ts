// The OTLP JSON of aggregations, from maps stood in by their entries (no kernel): histogram
// buckets as OTLP explicit buckets, units, and the cardinality limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { otlpMetrics } from "../../export/otlp.ts";
import type { MetricSource } from "../../export/prometheus.ts";
import type { MapSpec } from "../../compiler/spec.ts";
import { keyId } from "../../runtime/maps/aggregations.ts";

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
