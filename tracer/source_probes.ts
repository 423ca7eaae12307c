// The probes a tracer attaches are the ones its compiled source names. The loader attaches each
// program where the decorator said at run time (a computed target is known only then); for a
// literal target, that must be where the source says, or the program compiled for one probe's
// context would run on another's: a bundle whose JavaScript was edited, or two tracer classes
// of the same name in one file, the one plan shows and another one that runs.
import type { ProbeRef } from "../spec/target.ts";
import type { TracerSpec } from "../spec/tracer_spec.ts";
import { TracerError } from "../runtime/errors.ts";

/** Throws when a handler's run-time probe differs from the literal one in the compiled source. */
export function checkProbesMatchSource(spec: TracerSpec, probes: ProbeRef[], className: string, why: string): void {
  for (const p of spec.programs) {
    if (!p.probe.target) continue; // computed at run time: the source cannot say
    const attached = probes.find((r) => r.method === p.name);
    if (attached && (attached.kind !== p.probe.kind || attached.target !== p.probe.target)) {
      throw new TracerError(`${className}.${p.name} is attached to ${attached.kind} "${attached.target}" at run time, but the source compiled for it says ${p.probe.kind} "${p.probe.target}" (line ${p.line}): ${why}`);
    }
  }
}
