// The cardinality limit both exporters apply: past `max` series per metric, the heaviest are
// kept (a counter's value, a summary's count, a histogram's total) and the rest are counted.
import type { Bucket, StatsValue } from "../runtime/maps/aggregations.ts";

/** How much a series weighs: its value, count or histogram total. */
function weight(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (Array.isArray(v)) return (v as Bucket[]).reduce((a, b) => a + b.count, 0n);
  return (v as StatsValue).count;
}

/** The `max` heaviest rows (all when fewer); `left` hears how many were left out. */
export function largest<R extends [unknown, unknown]>(rows: R[], max: number, left: (n: number) => void): R[] {
  if (rows.length <= max) return rows;
  left(rows.length - max);
  return rows.sort((a, b) => (weight(b[1]) > weight(a[1]) ? 1 : weight(b[1]) < weight(a[1]) ? -1 : 0)).slice(0, max);
}
