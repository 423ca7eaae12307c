// pprof profiles (gzipped profile.proto, what `go tool pprof`, Parca, Pyroscope and Grafana
// read) from a Count or Sum keyed by stacks: a KStack, a UStack, or a tuple or struct holding
// them (the other key fields become sample labels: pid, comm, ...). A Count's values are
// samples, with CPU time beside them when the sampling frequency is known; a Sum's are in the
// unit its doc comment declares (`@unit us`: exported in nanoseconds, as pprof expects time).
//
// The map is read when called (so a tracer's end() can write its profile before the maps go);
// the symbolizer, the encoder and gzip load after, only when a profile is written: importing
// tsbpf stays as fast as before.
import { Count, Sum } from "../runtime/maps/aggregations.ts";
import { Stack } from "../runtime/maps/stacks.ts";
import { writeFileAtomic } from "../runtime/files.ts";
import type { PprofOptions, Snapshot } from "./pprof_samples.ts";

export type { PprofOptions } from "./pprof_samples.ts";

function snapshot<K>(map: Count<K> | Sum<K>): Snapshot {
  const kind = map instanceof Count ? "count" : (map as unknown) instanceof Sum ? "sum" : undefined;
  if (!kind) throw new TypeError(`Cannot write "${(map as { name: string }).name}" as a pprof profile: only a Count or a Sum keyed by stacks adds up along stacks`);
  const read = new Date();
  const entries = map.entries() as [unknown, bigint][];
  // Name the frames now, while the tracer's programs and the traced processes still exist: the
  // symbol caches this fills are the ones the profile's frames are read from after.
  for (const [key] of entries) for (const v of key instanceof Stack ? [key] : key && typeof key === "object" ? Object.values(key) : []) if (v instanceof Stack) v.frames();
  return { name: map.name, kind, unit: map.unit, entries, read };
}

async function encode(map: Snapshot, options: PprofOptions): Promise<Uint8Array> {
  const [{ pprofInput }, { encodeProfile }, { gzipSync }] = await Promise.all([import("./pprof_samples.ts"), import("./pprof_profile.ts"), import("node:zlib")]);
  return new Uint8Array(gzipSync(encodeProfile(pprofInput(map, options))));
}

/**
 * The gzipped pprof profile of a Count or Sum keyed by stacks. The map is read at the call
 * (call it before the tracer stops, or in its end()); the rest finishes after.
 *
 * @example
 * ```ts
 * class Cpu extends Tracer {
 *   samples = new Count<UStack>();
 *   @profile(99) onSample() { this.samples.add(ustack()); }
 * }
 * const t = await new Cpu().start();
 * await new Promise((r) => setTimeout(r, 5000));
 * await writePprof(t.samples, "cpu.pb.gz", { frequency: 99 });   // go tool pprof -top cpu.pb.gz
 * await t.stop();
 * ```
 */
export async function toPprof<K>(map: Count<K> | Sum<K>, options: PprofOptions = {}): Promise<Uint8Array> {
  return await encode(snapshot(map), options);
}

/** Writes toPprof(map) to `path` (not through a symbolic link, nor into a FIFO: tsbpf runs as root). */
export async function writePprof<K>(map: Count<K> | Sum<K>, path: string, options: PprofOptions = {}): Promise<void> {
  writeFileAtomic(path, await encode(snapshot(map), options));
}
