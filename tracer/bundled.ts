// A tracer from a `tsbpf build` bundle, made to run what its embedded source says.
//
// A bundle carries each tracer's source (what `tsbpf plan` reviews) and precompiled programs.
// Nothing ties the two together: anyone who can edit the file can replace the instructions, and
// a digest stored beside them would be replaced as easily. So the instructions loaded into the
// kernel are always the ones compiled here from the embedded source (once per source and
// kernel: the compile cache keeps them); the precompiled ones only serve to notice an edited
// bundle, which is then said plainly. The probes attached are checked against the source too:
// the bundle's JavaScript names them at run time, and an edited one could name others.
import type { ProbeRef } from "../spec/target.ts";
import type { TracerSpec } from "../spec/tracer_spec.ts";
import { probesCacheKey } from "../probes/mod.ts";
import { cacheKey, readCache, writeCache } from "./compile_cache.ts";
import { TracerError } from "../runtime/errors.ts";
import { checkProbesMatchSource } from "./source_probes.ts";
import { verbose } from "../runtime/verbose.ts";

export interface Bundled {
  spec: TracerSpec;
  source: string;
}

type Compiler = (source: string, file: string, className: string) => Promise<TracerSpec>;

/** The bundle's entry for `className`, checked to be data of the expected shape. */
export function bundledEntry(bundle: unknown, className: string): Bundled | undefined {
  if (!bundle || typeof bundle !== "object" || !Object.hasOwn(bundle, className)) return undefined;
  const entry = (bundle as Record<string, unknown>)[className] as Partial<Bundled> | undefined;
  if (typeof entry?.source !== "string" || typeof entry.spec?.file !== "string" || !Array.isArray(entry.spec.programs)) {
    throw new TracerError(`The bundle's entry for ${className} is damaged (no source or spec): rebuild it with tsbpf build`);
  }
  return entry as Bundled;
}

/** The spec to load: compiled from the bundle's source on this kernel (or the cache's copy of that). */
/**
 * `variant`: what start() asked for that the bundle was not built with (a cgroup filter, histogram
 * sums: other code), so the precompiled programs cannot be compared; "" for none.
 */
export async function bundledSpec(bundled: Bundled, className: string, probes: ProbeRef[], variant: string, compile: Compiler): Promise<Bundled> {
  const { source } = bundled;
  const file = bundled.spec.file;
  const key = await cacheKey(source, file, `bundle\0${className}\0${probesCacheKey(probes)}\0${variant}`);
  let spec = readCache(key)?.[0];
  const cached = spec !== undefined;
  if (!spec) {
    spec = await compile(source, file, className);
    writeCache(key, [spec]);
  }
  if (variant) {
    verbose(`${className}: the handlers compiled from the bundle's source with ${variant}`);
  } else if (sameCode(bundled.spec, spec)) {
    verbose(`${className}: the bundle's precompiled programs match its source (${cached ? "as compiled here before: cache" : "compiled again here to check"})`);
  } else {
    // Different code is expected on another kernel (the assumptions say so); on this one it is an edit.
    const { brokenAssumption } = await import("./assumptions.ts");
    const broken = brokenAssumption(bundled.spec);
    if (broken) {
      verbose(`${className}: ${cached ? "compiled" : "compiling"} the handlers again for this kernel (${broken.slice(0, 120)} no longer holds)`);
    } else {
      console.error(`tsbpf: ${className}: the bundle's precompiled programs differ from its embedded source (the bundle was edited, or built by another tsbpf version); running the programs compiled from the source`);
    }
  }
  checkProbesMatchSource(spec, probes, className, "the bundle was edited; refusing to run it");
  return { spec, source };
}

/** Same instructions, relocations and maps (with a ProgramArray's slots), program by program, and the same programs attached. */
function sameCode(a: TracerSpec, b: TracerSpec): boolean {
  const code = (s: TracerSpec) => JSON.stringify([s.programs.map((p) => [p.name, p.probe.kind, p.probe.target, p.insns, p.relocs, p.tailCallTarget ?? false]), s.maps]);
  return code(a) === code(b);
}
