// `while (cond) body` in a one-liner's handler (bpftrace's while). The kernel's verifier needs a
// bound it can see, so the loop becomes a counting loop of at most WHILE_ROUNDS rounds, left when
// `cond` fails. A round past them with `cond` still true is not cut silently: it is counted in the
// tracer's _loops array (by the loop's index) and reported at the end with the loop's place.
import type { Node } from "../../compiler/parse.ts";
import type { SourceWriter } from "./source_map.ts";
import { type TransformState, WHILE_ROUNDS } from "./transform_state.ts";

/** Writes the loop; `expr` writes an expression of the one-liner, `statement` one of its statements. */
export function emitWhile(t: TransformState, w: SourceWriter, loop: Node, expr: (n: Node) => void, statement: (n: Node) => void): void {
  // A wildcard's handlers share the loop's index: one report per place in the one-liner.
  let site = t.whileLoops.indexOf(loop.start);
  if (site < 0) site = t.whileLoops.push(loop.start) - 1;
  const i = `_w${site}`;
  w.write(`for (let ${i} = 0; ${i} <= ${WHILE_ROUNDS}; ${i}++) { if (!(`);
  expr(loop.test);
  w.write(`)) break; if (${i} === ${WHILE_ROUNDS}) { this._loops.add(${site}, 1); break; } `);
  for (const s of loop.body.type === "BlockStatement" ? loop.body.body : [loop.body]) {
    statement(s);
    w.write(" ");
  }
  w.write("}");
}
