// `tsbpf pinned show`: a pinned map printed as its tracer would print it, from the layout its
// record keeps: aggregations as bpftrace prints them (through the same classes), hash and array
// maps as `@name[key]: value` lines (in JSON mode, one {"type": "map"} record).
import { Avg, Count, Histogram, LinearHistogram, Max, Min, Stats, Sum } from "../../runtime/maps/aggregations.ts";
import { ArrayMap, HashMap, PerCpuArrayMap, PerCpuHashMap } from "../../runtime/maps/hash_map.ts";
import type { KernelMap } from "../../runtime/maps/kernel_map.ts";
import { formatKey, mapLabel } from "../../runtime/maps/print.ts";
import { isJsonOutput, jsonRecord } from "../../runtime/output.ts";
import type { PinnedMapRecord } from "../../runtime/pin_meta.ts";

const AGGREGATIONS = { count: Count, sum: Sum, min: Min, max: Max, avg: Avg, stats: Stats, hist: Histogram } as const;

/** `tracer`: the class that pinned it; a one-liner's maps are fields `$` + name, printed as `@` + name. */
export function printPinnedMap(m: PinnedMapRecord, fd: number, tracer: string): void {
  const spec = tracer === "OneLiner" && m.spec.name.startsWith("$") ? { ...m.spec, name: m.spec.name.slice(1) } : m.spec;
  const binding = { fd, spec };
  if (spec.kind in AGGREGATIONS || spec.kind === "lhist") {
    const l = spec.linear;
    const field = spec.kind === "lhist" ? new LinearHistogram(l?.min ?? 0, l?.max ?? 1, l?.step ?? 1, m.maxEntries) : new AGGREGATIONS[spec.kind as keyof typeof AGGREGATIONS](m.maxEntries);
    field.keyed = spec.userKey !== undefined;
    field.bind(binding);
    field.print();
    return;
  }
  // deno-lint-ignore no-explicit-any
  let field: KernelMap<any, any> & { entries(): [unknown, unknown][] };
  switch (spec.kind) {
    case "hash": case "lru_hash": field = new HashMap(m.maxEntries); break;
    case "percpu_hash": field = new PerCpuHashMap(m.maxEntries); break;
    case "array": field = new ArrayMap(m.maxEntries); break;
    case "percpu_array": field = new PerCpuArrayMap(m.maxEntries); break;
    default:
      console.error(`tsbpf: ${spec.name}: a ${spec.kind} map is not printed`);
      return;
  }
  field.bind(binding);
  const rows = field.entries();
  if (isJsonOutput()) {
    console.log(jsonRecord("map", { [`@${spec.name}`]: Object.fromEntries(rows.map(([k, v]) => [formatKey(k, true), v])) }));
    return;
  }
  for (const [k, v] of rows) console.log(`${mapLabel(spec.name, k, true)}: ${Array.isArray(v) ? v.map((x) => formatKey(x)).join(" ") : formatKey(v)}`);
}
