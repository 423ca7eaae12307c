// The running kernel, as the compiler sees it: probe contexts from probes/, types from BTF.
import { type CompileTarget, ProbeLookupError, type ProbeRef } from "../spec/target.ts";
import { RUNTIME_ARGUMENTS } from "../compiler/collect.ts";
import { loadProbeKinds, probeKind, PROBE_KIND_NAMES } from "../probes/mod.ts";
import { kernelBtf } from "../runtime/kernel_btf.ts";
import { hasRingBuffers } from "../runtime/features.ts";
import { pidNamespace } from "../runtime/namespaces.ts";

/**
 * `probes`: the decorators as recorded at run time, whose options (a uprobe's pid) the source
 * cannot show; they are matched to the source's decorators by kind and target. Async because
 * every probe kind is loaded first: the source may use any of them.
 */
export async function hostTarget(probes: ProbeRef[] = []): Promise<CompileTarget> {
  await loadProbeKinds(PROBE_KIND_NAMES);
  const optionsOf = (ref: ProbeRef) => ref.options ?? probes.find((p) => p.kind === ref.kind && p.target === ref.target)?.options;
  /** A decorator whose target the source does not show: the one it was called with. */
  const resolve = (ref: ProbeRef): ProbeRef => {
    if (ref.method === undefined || ref.target) return ref;
    const given = probes.find((p) => p.kind === ref.kind && p.method === ref.method);
    // A rate or period held in a variable: the runtime checks it; without one (plan), compiled as is.
    if (!given && RUNTIME_ARGUMENTS[ref.kind] === "value") return ref;
    if (!given) throw new ProbeLookupError(`the target of this @${ref.kind} is computed at run time, so it is known only when the tracer starts`, ["give it as a string literal to compile it ahead of time"]);
    if (typeof given.target !== "string") {
      // Reported at the decorator, before any probe code sees a value that is not a name.
      throw new ProbeLookupError(`@${ref.kind} was called with ${describeArgument(given.target)}, not a string naming the probe`,
        ["an unset environment variable or a missing command-line value gives undefined: check it, or give a default, before the class is declared"]);
    }
    return given;
  };
  return {
    probeContext: (ref: ProbeRef) => {
      const r = resolve(ref);
      return probeKind(r).context(r.target, optionsOf(r));
    },
    btf: kernelBtf,
    ringBuffers: hasRingBuffers,
    pidNamespace,
  };
}

function describeArgument(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return `the ${typeof v} ${String(v)}`;
  return `${Array.isArray(v) ? "an array" : `a${typeof v === "object" ? "n" : ""} ${typeof v}`}`;
}
