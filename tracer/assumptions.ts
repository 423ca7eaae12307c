// Checks a compiled spec's assumptions against the running kernel (compiler/assumptions.ts):
// true means its programs can load here as they are. A bundle's start checks them before loading
// its signed programs: the kernel's BTF reader (and runtime/features.ts, which reads it) is
// imported only for a fact that needs it, so a bundle whose programs read no kernel struct
// parses none of it (build/lazy_section.ts keeps it in the code only for those that do).
import type { TracerSpec } from "../spec/tracer_spec.ts";
import { absentMemberFact, memberFact, pidNamespaceFact, probeFact, ringBufferFact, structByName, syscallArgumentFact } from "../compiler/assumptions.ts";
import { pidNamespace } from "../runtime/namespaces.ts";
import { ringBuffersByTrying } from "../runtime/ring_buffers.ts";
import { probeKind } from "../probes/mod.ts";

/** The first assumption that does not hold on the running kernel, or undefined when all hold. */
export async function brokenAssumption(spec: TracerSpec): Promise<string | undefined> {
  if (!spec.assumptions) return "the spec records no assumptions";
  for (const fact of spec.assumptions) if (!await holds(fact)) return fact;
  return undefined;
}

export async function assumptionsHold(spec: TracerSpec): Promise<boolean> {
  return await brokenAssumption(spec) === undefined;
}

async function holds(fact: string): Promise<boolean> {
  try {
    if (fact.startsWith("probe ")) {
      const [, kind, target] = fact.split(" ", 3);
      return probeFact({ kind, target }, probeKind({ kind, target }).context(target)) === fact;
    }
    if (fact.startsWith("syscall argument ")) {
      const [, , kind, target, name] = fact.split(" ", 5);
      const f = probeKind({ kind, target }).context(target).fields.find((x) => x.name === name);
      return f !== undefined && syscallArgumentFact({ kind, target }, f) === fact;
    }
    if (fact.startsWith("feature ringbuf ")) {
      const has = ringBuffersByTrying() ?? (await import("../runtime/features.ts")).hasRingBuffers();
      return ringBufferFact(has) === fact;
    }
    if (fact.startsWith("pidns ")) return pidNamespaceFact(pidNamespace()) === fact;
    const absent = /^no member (.+)\.(\w+)$/.exec(fact);
    if (absent) {
      const btf = (await import("../runtime/kernel_btf.ts")).kernelBtf();
      const id = structByName(btf, absent[1]);
      return id !== undefined && !btf.member(id, absent[2]) && absentMemberFact(btf, id, absent[2]) === fact;
    }
    const m = /^member (.+)\.(\w+) @/.exec(fact);
    if (m) {
      const btf = (await import("../runtime/kernel_btf.ts")).kernelBtf();
      const id = structByName(btf, m[1]);
      return id !== undefined && memberFact(btf, id, m[2]) === fact;
    }
  } catch {
    // A probe that does not exist here, a kernel without BTF: the assumption does not hold.
  }
  return false;
}
