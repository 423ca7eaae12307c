// `$.name[key]` in begin/end/interval: one entry of a map, read in user space, as bpftrace's
// @name[key] reads in its END and interval probes. `$.name` is the map object there, so the
// index would read a property of that object (undefined, silently); it is written as the map's
// get(key), and a key the map lacks reads as its zero (0, or "" for a string), as in bpftrace.
import type { Node } from "../../compiler/parse.ts";
import type { SourceWriter } from "./source_map.ts";
import type { MapDecl } from "./maps.ts";

export interface EntryRead {
  node: Node;
  zero: string;
}

/**
 * The `$.name[key]` reads in `body` of the maps `mapNamed` knows, in source order, and the nodes
 * that write one (`$.name[key] = v`, `++`, `delete`): the maps are the probes' to write.
 */
export function entryReads(body: Node, mapNamed: (name: string) => MapDecl | undefined): { reads: EntryRead[]; writes: Node[] } {
  const reads: EntryRead[] = [], writes: Node[] = [];
  const entryOf = (n: Node | undefined): MapDecl | undefined =>
    n?.type === "MemberExpression" && n.computed && n.object.type === "MemberExpression" && !n.object.computed &&
      n.object.object.type === "Identifier" && n.object.object.name === "$" && n.object.property.type === "Identifier"
      ? mapNamed(n.object.property.name)
      : undefined;
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(visit);
    if (!n || typeof n !== "object") return;
    const node = n as Node;
    if (node.type === "AssignmentExpression" && entryOf(node.left)) writes.push(node.left);
    if (node.type === "UpdateExpression" && entryOf(node.argument)) writes.push(node.argument);
    if (node.type === "UnaryExpression" && node.operator === "delete" && entryOf(node.argument)) writes.push(node.argument);
    const map = entryOf(node);
    if (map) reads.push({ node, zero: map.kind === "value" && map.valueType?.startsWith("Str") ? `""` : "0" });
    for (const [k, v] of Object.entries(node)) if (k !== "loc" && typeof v === "object") visit(v);
  };
  visit(body);
  return { reads: reads.sort((a, b) => a.node.start - b.node.start), writes };
}

/** Copies the one-liner's text from `start` to `end`, each read in `reads` written as `($.name.get(key) ?? zero)`. */
export function copyWithEntryReads(w: SourceWriter, start: number, end: number, reads: EntryRead[]): void {
  let at = start;
  for (const r of reads) {
    const n = r.node;
    if (n.start < at || n.end > end) continue; // inside one already written (its key), or outside
    w.copy(at, n.start).write("(").copy(n.start, n.object.end).write(".get(");
    copyWithEntryReads(w, n.property.start, n.property.end, reads);
    w.write(`) ?? ${r.zero})`);
    at = n.end;
  }
  w.copy(at, end);
}
