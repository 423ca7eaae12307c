// Maps that hold a pointer a probe gave (`$.name[tid()] = args.filename`, a uprobe's argument):
// found in every handler before any is written, so str() of a read knows the memory it points
// to wherever the read stands in the text, before the assignment too (a sys_exit probe written
// before its sys_enter).
import type { Node } from "../../compiler/parse.ts";
import { mapRef } from "./maps.ts";
import { type HandlerContext, pointerSpace } from "./implicit_types.ts";

/** Adds to `into` each map `fn` assigns a probe's pointer, with the memory it points to (the first assignment found decides). */
export function collectPointerMaps(fn: Node, ctx: HandlerContext, into: Map<string, "user" | "kernel">): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const n = node as Node;
    if (n.type === "AssignmentExpression" && n.operator === "=") {
      const ref = mapRef(n.left);
      const space = ref && pointerSpace(n.right, ctx);
      if (ref && space && !into.has(ref.name)) into.set(ref.name, space);
    }
    for (const [k, v] of Object.entries(n)) if (k !== "loc" && typeof v === "object") visit(v);
  };
  visit(fn.body);
}
