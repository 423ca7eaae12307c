// Calls that decide how a handler's probe is compiled, found before the handler is lowered, in
// its body and in the script's functions and tracer methods it calls (they are inlined):
// override() (bpf_override_return) needs a kprobe on a function the kernel lets fail, which the
// compile target decides when asked with the probe option `override` (probes/error_injection.ts);
// a ProgramArray's jump() needs a kprobe rather than fentry (option `kprobe`), since tail calls
// are made here between programs of the kprobe type.
import type { Node } from "./parse.ts";
import type { ScriptFunction, TracerClass } from "./collect.ts";

/** The probe kinds on kernel functions: the ones whose compilation these calls change. */
export const KERNEL_FUNCTION_PROBES = new Set(["kprobe", "kretprobe", "fentry", "fexit"]);

/** The first override(...) call the handler makes, directly or through functions it calls. */
export function overrideCall(handler: Node, tracer: TracerClass, functions: Map<string, ScriptFunction>): Node | undefined {
  return findCall(handler, tracer, functions, (callee) => callee.type === "Identifier" && callee.name === "override");
}

/** The first `this.<ProgramArray>.jump(...)` the handler makes, directly or through functions it calls. */
export function jumpCall(handler: Node, tracer: TracerClass, functions: Map<string, ScriptFunction>): Node | undefined {
  return findCall(handler, tracer, functions, (callee) =>
    callee.type === "MemberExpression" && callee.property.type === "Identifier" && callee.property.name === "jump" &&
    callee.object.type === "MemberExpression" && callee.object.object.type === "ThisExpression" && callee.object.property.type === "Identifier" &&
    tracer.maps.get(callee.object.property.name)?.kind === "prog_array");
}

function findCall(handler: Node, tracer: TracerClass, functions: Map<string, ScriptFunction>, wanted: (callee: Node) => boolean): Node | undefined {
  const seen = new Set<Node>();
  const visit = (node: Node): Node | undefined => {
    if (node === null || typeof node !== "object" || seen.has(node)) return undefined;
    seen.add(node);
    if (node.type === "CallExpression") {
      const callee = node.callee;
      if (wanted(callee)) return node;
      // Functions it calls: the script's own, and this.method(...) of the tracer.
      const fn = callee.type === "Identifier" ? functions.get(callee.name)
        : callee.type === "MemberExpression" && callee.object.type === "ThisExpression" && callee.property.type === "Identifier" ? tracer.methods.get(callee.property.name) : undefined;
      const inFn = fn && visit(fn.body);
      if (inFn) return inFn;
    }
    for (const key in node) {
      if (key === "loc" || key === "extra" || key.endsWith("Comments")) continue;
      const child = node[key];
      if (Array.isArray(child)) {
        for (const c of child) {
          const found = c && typeof c.type === "string" ? visit(c) : undefined;
          if (found) return found;
        }
      } else if (child && typeof child.type === "string") {
        const found = visit(child);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(handler.body);
}
