// start({ pin: NAME }), --pin NAME: the tracer's links and maps pinned in /sys/fs/bpf/tsbpf/NAME,
// so its handlers stay attached and keep counting after its process ends, until
// `tsbpf pinned rm NAME` removes the pins and the kernel frees what nothing else holds.
import type { TracerSpec } from "../spec/tracer_spec.ts";
import type { ProbeRef } from "../spec/target.ts";
import { probeName } from "../probes/probe_name.ts";
import { objPin } from "../runtime/bpf.ts";
import { TracerError } from "../runtime/errors.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import type { Loaded } from "./loader.ts";
import { PerfEvent } from "../runtime/perf.ts";
import { pinDir, removePins } from "../runtime/pin_dir.ts";
import { META_FILE, pinFiles, type PinRecord, writeMeta } from "../runtime/pin_meta.ts";
import { mapRecord } from "./pinned_map.ts";

/**
 * Pins every link and map of a loaded tracer under `name`; `mapPins`: fields pinned under their own
 * names. `unpin` takes the pins back, for a start that fails after pinning.
 */
export function pinTracer(name: string, spec: TracerSpec, loaded: Loaded, probes: Map<string, ProbeRef>, maxEntries: (map: string) => number, mapPins: Map<string, string>): { path: string; unpin(): void } {
  const dir = pinDir(name, true)!;
  if (!dir.fresh) throw new TracerError(`Cannot pin ${spec.className} as "${name}": "${name}" is already pinned (${dir.path}); see it with tsbpf pinned show ${name}, remove it with sudo tsbpf pinned rm ${name}, or choose another name`);
  let n = 0;
  const links = new Map<string, { file: string; fd: number }[]>();
  for (const p of spec.programs) {
    // Perf events are held by the links attached to them: only the links are pinned.
    links.set(p.name, (loaded.linksOf.get(p.name) ?? []).filter((fd) => !(fd instanceof PerfEvent)).map((fd) => ({ file: `link-${n++}`, fd: fd.fd })));
  }
  const record: PinRecord = {
    kind: "tracer", created: new Date().toISOString(), tracer: spec.className, file: spec.file, pid: libcSync().getpid(),
    // A ProgramArray's size comes from the source (its slots), not from a field's options.
    maps: spec.maps.map((m) => mapRecord(m, m.kind === "prog_array" ? m.size ?? 0 : maxEntries(m.name), mapPins.has(m.name) ? { pin: mapPins.get(m.name) } : { file: `map-${m.name}` })),
    programs: spec.programs.map((p) => {
      const probe = probes.get(p.name) ?? p.probe;
      // A tail-call target has no link of its own: the pinned program array holds it.
      const via = p.tailCallTarget ? "tail call from " : "";
      return { handler: `${spec.className}.${p.name}`, probe: via + probeName(probe.kind, probe.target), links: links.get(p.name)!.map((l) => l.file) };
    }),
  };
  const unpin = () => removePins(dir.path, [META_FILE, ...pinFiles(record)]);
  try {
    writeMeta(dir.path, record);
    for (const m of spec.maps) if (!mapPins.has(m.name)) objPin(loaded.maps.get(m.name)!.fd, `${dir.path}/map-${m.name}`);
    for (const list of links.values()) for (const l of list) objPin(l.fd, `${dir.path}/${l.file}`);
  } catch (e) {
    unpin();
    throw e;
  }
  return { path: dir.path, unpin };
}
