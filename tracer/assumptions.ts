// Checks a compiled spec's assumptions against the running kernel (compiler/assumptions.ts):
// true means its programs can load here as they are.
import type { TracerSpec } from "../spec/tracer_spec.ts";
import { absentMemberFact, memberFact, pidNamespaceFact, probeFact, ringBufferFact, structByName } from "../compiler/assumptions.ts";
import { pidNamespace } from "../runtime/namespaces.ts";
import { hasRingBuffers } from "../runtime/features.ts";
import { probeKind } from "../probes/mod.ts";
import { kernelBtf } from "../runtime/kernel_btf.ts";

/** The first assumption that does not hold on the running kernel, or undefined when all hold. */
export function brokenAssumption(spec: TracerSpec): string | undefined {
  if (!spec.assumptions) return "the spec records no assumptions";
  return spec.assumptions.find((fact) => !holds(fact));
}

export function assumptionsHold(spec: TracerSpec): boolean {
  return brokenAssumption(spec) === undefined;
}

function holds(fact: string): boolean {
  try {
    if (fact.startsWith("probe ")) {
      const [, kind, target] = fact.split(" ", 3);
      return probeFact({ kind, target }, probeKind({ kind, target }).context(target)) === fact;
    }
    if (fact.startsWith("feature ringbuf ")) return ringBufferFact(hasRingBuffers()) === fact;
    if (fact.startsWith("pidns ")) return pidNamespaceFact(pidNamespace()) === fact;
    const absent = /^no member (.+)\.(\w+)$/.exec(fact);
    if (absent) {
      const btf = kernelBtf();
      const id = structByName(btf, absent[1]);
      return id !== undefined && !btf.member(id, absent[2]) && absentMemberFact(btf, id, absent[2]) === fact;
    }
    const m = /^member (.+)\.(\w+) @/.exec(fact);
    if (m) {
      const btf = kernelBtf();
      const id = structByName(btf, m[1]);
      return id !== undefined && memberFact(btf, id, m[2]) === fact;
    }
  } catch {
    // A probe that does not exist here, a kernel without BTF: the assumption does not hold.
  }
  return false;
}
