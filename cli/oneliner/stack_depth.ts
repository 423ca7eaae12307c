// kstack(N) and ustack(N) in a one-liner's handler (bpftrace's kstack(5)): captured into a
// StackTraceMap of depth N, one field per depth the one-liner uses. The kernel cuts the stack at
// the map's depth, so stacks that differ only deeper are one key, as in bpftrace.
import type { Node } from "../../compiler/parse.ts";
import type { SourceWriter } from "./source_map.ts";
import type { TransformState } from "./transform_state.ts";
import { MAX_STACK_DEPTH } from "../../spec/tracer_spec.ts";

/** kstack(...)/ustack(...) with arguments. */
export function isStackWithDepth(node: Node): boolean {
  return node.type === "CallExpression" && node.callee.type === "Identifier" && (node.callee.name === "kstack" || node.callee.name === "ustack") && node.arguments.length > 0;
}

/** The field of the stack-trace map that kstack(depth)/ustack(depth) capture into. */
export function stackMapField(depth: number): string {
  return `_stacks${depth}`;
}

/** Writes kstack(N) as a capture into its map; a depth it cannot take is reported where it is written. */
export function rewriteStackWithDepth(t: TransformState, used: Set<string>, w: SourceWriter, node: Node): true {
  const name: string = node.callee.name;
  const n = node.arguments[0];
  const ok = node.arguments.length === 1 && n.type === "NumericLiteral" && Number.isInteger(n.value) && n.value >= 1 && n.value <= MAX_STACK_DEPTH;
  if (!ok) {
    t.error(n, `${name}()'s depth is a whole number from 1 to ${MAX_STACK_DEPTH}`, `e.g. ${name}(5): the 5 innermost frames; ${name}() keeps ${MAX_STACK_DEPTH}`);
    w.write("0");
    return true;
  }
  t.stackDepths.add(n.value);
  used.add("StackTraceMap");
  w.region(node.start, node.end - node.start, () => w.write(`this.${stackMapField(n.value)}.${name}()`));
  return true;
}
