// A pinned map as the class its tracer declared it with (runtime/pin_meta.ts keeps the kind and
// layout): what `tsbpf pinned show` prints and what openPinned() hands a script.
import type { MapSpec } from "../../spec/tracer_spec.ts";
import { Aggregation, Avg, Count, Histogram, LinearHistogram, Max, Min, Stats, Sum } from "./aggregations.ts";
import { ArrayMap, HashMap, PerCpuArrayMap, PerCpuHashMap } from "./hash_map.ts";
import type { KernelMap } from "./kernel_map.ts";

const AGGREGATIONS = { count: Count, sum: Sum, min: Min, max: Max, avg: Avg, stats: Stats, hist: Histogram } as const;

/** A field bound to the map `fd`, or undefined for a kind tsbpf does not read back (ring buffers, stacks). */
// deno-lint-ignore no-explicit-any
export function pinnedField(spec: MapSpec, maxEntries: number, fd: number): KernelMap<any, any> | undefined {
  // deno-lint-ignore no-explicit-any
  let field: KernelMap<any, any>;
  if (spec.kind === "lhist") {
    const l = spec.linear ?? { min: 0, max: 1, step: 1 };
    field = new LinearHistogram(l.min, l.max, l.step, maxEntries);
  } else if (spec.kind in AGGREGATIONS) {
    field = new AGGREGATIONS[spec.kind as keyof typeof AGGREGATIONS](maxEntries);
  } else {
    switch (spec.kind) {
      case "hash": case "lru_hash": field = new HashMap(maxEntries); break;
      case "percpu_hash": field = new PerCpuHashMap(maxEntries); break;
      case "array": field = new ArrayMap(maxEntries); break;
      case "percpu_array": field = new PerCpuArrayMap(maxEntries); break;
      default: return undefined;
    }
  }
  if (field instanceof Aggregation) field.keyed = spec.userKey !== undefined;
  field.bind({ fd, spec });
  return field;
}
