// What the kernel could not keep, counted in tsbpf's per-CPU counter maps: events that found
// their buffer full (per handler) and map updates that a full map refused (per map). Nothing
// is lost silently: both are printed as they grow and when the tracer stops.
import { mapLookup } from "../runtime/bpf.ts";
import { possibleCpus } from "../runtime/cpus.ts";
import { DROPPED_MAP, LOST_MAP, type MapSpec, type TracerSpec } from "../spec/tracer_spec.ts";
import type { Loaded } from "./loader.ts";
import { isJsonOutput, jsonRecord } from "../runtime/output.ts";

/** Slot `index` of a per-CPU u64 array, summed over the CPUs (0 when unreadable). */
function perCpuSum(fd: number, index: number): bigint {
  const cpus = possibleCpus();
  const key = new Uint8Array(4), value = new Uint8Array(8 * cpus);
  new DataView(key.buffer).setUint32(0, index, true);
  if (!mapLookup(fd, key, value)) return 0n;
  const view = new DataView(value.buffer);
  let sum = 0n;
  for (let c = 0; c < cpus; c++) sum += view.getBigUint64(c * 8, true);
  return sum;
}

/** Events each handler could not submit because its ring buffer or perf buffer was full. */
export function lostEvents(spec: TracerSpec, loaded: Loaded): Map<string, bigint> {
  const fd = loaded.maps.get(LOST_MAP)?.fd;
  return new Map(fd === undefined ? [] : spec.programs.map((p, i) => [p.name, perCpuSum(fd, i)]));
}

/** Updates each map refused because it was full (only maps that handlers update; slots follow `spec.maps`). */
export function droppedUpdates(spec: TracerSpec, loaded: Loaded): Map<string, bigint> {
  const counters = spec.maps.find((m) => m.name === DROPPED_MAP);
  const fd = loaded.maps.get(DROPPED_MAP)?.fd;
  if (!counters || fd === undefined) return new Map();
  return new Map(spec.maps.slice(0, counters.size).map((m, i) => [m.name, perCpuSum(fd, i)]));
}

/** Why a map refuses updates, for the report line. */
function refusal(m: MapSpec, entries: number): string {
  if (m.kind === "array" || m.kind === "percpu_array") return `key outside the array (${entries} entries)`;
  if (m.kind === "queue" || m.kind === "stack") return `${m.kind} full (${entries} entries)`;
  return `map full (${entries} entries)`;
}

/** Prints each count when it grows: a line on stderr, or a JSON record on stdout in JSON mode. */
export class LossReport {
  #reported = new Map<string, bigint>();

  constructor(readonly spec: TracerSpec, readonly loaded: Loaded, readonly maxEntries: (map: string) => number) {}

  print(): void {
    for (const [handler, n] of lostEvents(this.spec, this.loaded)) {
      if (!this.#grew(`lost ${handler}`, n)) continue;
      if (isJsonOutput()) console.log(jsonRecord("lost_events", { handler, events: n }));
      else console.error(`tsbpf: lost ${n} events in ${handler}: event buffer full; raise its size or filter in the kernel`);
    }
    for (const [name, n] of droppedUpdates(this.spec, this.loaded)) {
      if (!this.#grew(`dropped ${name}`, n)) continue;
      const m = this.spec.maps.find((x) => x.name === name)!;
      const entries = this.maxEntries(name);
      if (isJsonOutput()) console.log(jsonRecord("dropped_updates", { map: name, updates: n, reason: refusal(m, entries) }));
      else console.error(`tsbpf: ${n} updates to ${name} dropped: ${refusal(m, entries)}; raise its maxEntries`);
    }
  }

  #grew(what: string, n: bigint): boolean {
    if (n <= (this.#reported.get(what) ?? 0n)) return false;
    this.#reported.set(what, n);
    return true;
  }
}
