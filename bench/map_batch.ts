/**
 * Reading a whole map from JavaScript: the kernel's batch commands (BPF_MAP_LOOKUP_BATCH, 5.6+)
 * against the key-by-key walk (BPF_MAP_GET_NEXT_KEY, then BPF_MAP_LOOKUP_ELEM per key).
 *
 *   sudo node_modules/.bin/bun bench/map_batch.ts
 *   sudo node_modules/.bin/deno run -A bench/map_batch.ts
 *
 * A 10 000-entry HashMap<u32, u64> and a 10 000-key Count<u32> (per-CPU values), filled from JS
 * and read with entries(); medians of 15 reads each way, after 3 warm-up reads.
 */
import { libc } from "../runtime/ffi/mod.ts";
import { createMap } from "../tracer/loader.ts";
import { Count, HashMap } from "../mod.ts";
import { setBatchOps } from "../runtime/maps/kernel_map.ts";
import { aggregationKey, aggregationValue } from "../compiler/map_fields.ts";
import { u32, u64 } from "../spec/layout.ts";
import type { MapSpec } from "../spec/tracer_spec.ts";
import { median, time } from "./timing.ts";

await libc();
const N = 10_000, RUNS = 15, WARM = 3;

function measure(label: string, read: () => number): void {
  const result: Record<string, number> = {};
  for (const batched of [true, false]) {
    setBatchOps(batched);
    for (let i = 0; i < WARM; i++) read();
    const xs = Array.from({ length: RUNS }, () => time(() => {
      if (read() !== N) throw new Error(`${label}: read fewer than ${N} entries`);
    }));
    result[batched ? "batch" : "one by one"] = median(xs);
  }
  setBatchOps(true);
  const b = result["batch"], s = result["one by one"];
  console.log(`${label.padEnd(30)} batch ${b.toFixed(2).padStart(7)} ms   one by one ${s.toFixed(2).padStart(7)} ms   ${(s / b).toFixed(1)}x`);
}

const hashSpec: MapSpec = { name: "bench_hash", kind: "hash", key: u32, value: u64 };
const hashFd = createMap(hashSpec, { maxEntries: N }, 0);
const hash = new HashMap<number, bigint>(N);
hash.bind({ fd: hashFd.fd, spec: hashSpec });
hash.setBatch(Array.from({ length: N }, (_, i) => [i, BigInt(i)]));

const countSpec: MapSpec = { name: "bench_count", kind: "count", key: aggregationKey("count", u32), value: aggregationValue("count"), userKey: u32 };
const countFd = createMap(countSpec, { maxEntries: N }, 0);
const count = new Count<number>(N);
count.bind({ fd: countFd.fd, spec: countSpec });
count.keyed = true;
// Per-CPU values written from JS: every CPU's slot holds the value.
(count as unknown as { access: { updateMany(e: [unknown, bigint][]): void } }).access.updateMany(Array.from({ length: N }, (_, i) => [{ key: i }, 1n]));

console.log(`${navigator.userAgent}, ${N} entries`);
measure("HashMap<u32, u64>.entries()", () => hash.entries().length);
measure("Count<u32>.entries() (per-CPU)", () => count.entries().length);
hashFd.close();
countFd.close();
