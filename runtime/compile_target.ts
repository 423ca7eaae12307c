// The running kernel, as the compiler sees it: probe contexts from probes/, types from BTF.
import type { CompileTarget, ProbeRef } from "../compiler/target.ts";
import { loadProbeKinds, probeKind, PROBE_KIND_NAMES } from "../probes/mod.ts";
import { kernelBtf } from "./kernel_btf.ts";
import { hasRingBuffers } from "./features.ts";

/**
 * `probes`: the decorators as recorded at run time, whose options (a uprobe's pid) the source
 * cannot show; they are matched to the source's decorators by kind and target. Async because
 * every probe kind is loaded first: the source may use any of them.
 */
export async function hostTarget(probes: ProbeRef[] = []): Promise<CompileTarget> {
  await loadProbeKinds(PROBE_KIND_NAMES);
  const optionsOf = (ref: ProbeRef) => ref.options ?? probes.find((p) => p.kind === ref.kind && p.target === ref.target)?.options;
  return {
    probeContext: (ref: ProbeRef) => probeKind(ref).context(ref.target, optionsOf(ref)),
    btf: kernelBtf,
    ringBuffers: hasRingBuffers,
  };
}
