// The running kernel, as the compiler sees it: probe contexts from probes/, types from BTF.
import { type CompileTarget, ProbeLookupError, type ProbeRef } from "../spec/target.ts";
import { PROBE_DECORATORS, RUNTIME_ARGUMENTS } from "../compiler/probe_decorators.ts";
import { loadProbeKinds, probeKind, PROBE_KIND_NAMES } from "../probes/mod.ts";
import { kernelBtf } from "../runtime/kernel_btf.ts";
import { hasRingBuffers } from "../runtime/features.ts";
import { pidNamespace } from "../runtime/namespaces.ts";

/**
 * `probes`: the decorators as recorded at run time, whose options (a uprobe's pid) the source
 * cannot show; they are matched to the source's decorators by kind and target. Async because
 * the probe kinds are loaded first: those `source` may use when it is given (loading all
 * thirteen costs a cold start 5-10 ms), else every kind.
 */
export async function hostTarget(probes: ProbeRef[] = [], source?: string): Promise<CompileTarget> {
  await loadProbeKinds(source === undefined ? PROBE_KIND_NAMES : [...probes.map((p) => p.kind), ...decoratorKinds(source)]);
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

/**
 * The probe kinds whose decorators `source` may use: every name after an `@` (and any blanks,
 * comments and parentheses) that is a probe decorator's. A superset of what the parser finds,
 * since names in strings and comments count too.
 */
export function decoratorKinds(source: string): string[] {
  const kinds = new Set<string>();
  for (const m of source.matchAll(/@(?:\s|\(|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*([A-Za-z_$][\w$]*)/g)) {
    if (Object.hasOwn(PROBE_DECORATORS, m[1])) kinds.add(PROBE_DECORATORS[m[1]]);
  }
  return [...kinds];
}

function describeArgument(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return `the ${typeof v} ${String(v)}`;
  return `${Array.isArray(v) ? "an array" : `a${typeof v === "object" ? "n" : ""} ${typeof v}`}`;
}
