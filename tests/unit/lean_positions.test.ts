// The lean parser makes each token's start position once and shares it among the nodes that start
// at that token, as Babel does (its state.startLoc): a parse asks for a start position about as
// often as it reads a token, and on Bun a method called that often is compiled by the JIT on a
// cold start (bench/NOTES.md, session 14). Which nodes share a position object is compared with
// Babel's tree of the same source; the trees' contents are compared by lean_parser.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "@babel/parser";
import { leanParse } from "../../compiler/lean/mod.ts";

// deno-lint-ignore no-explicit-any
type Node = any;

const SOURCE = `const t = a.b(c)[d]!;
x = y ?? z;
`;

/** For each pair of nodes (in walk order) whose loc.start or loc.end is one object: "i j start|end". */
function sharedPositions(ast: Node): string[] {
  const nodes: Node[] = [];
  const walk = (n: Node): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== "object" || !n.loc) return;
    nodes.push(n);
    for (const k in n) if (k !== "loc" && k !== "extra" && !k.endsWith("omments")) walk(n[k]);
  };
  walk(ast.program.body);
  const out: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      if (nodes[i].loc.start === nodes[j].loc.start) out.push(`${i} ${j} start`);
    }
  }
  return out;
}

test("nodes starting at one token share its start position object, where Babel's do", () => {
  const lean = leanParse(SOURCE);
  assert.ok(lean, "the lean parser reads the source");
  const babel = parse(SOURCE, { sourceType: "module", plugins: ["typescript", "decorators"], errorRecovery: true } as never);
  const expected = sharedPositions(babel);
  assert.ok(expected.length >= 8, `Babel shares positions in this source (${expected.length} pairs)`);
  assert.deepEqual(sharedPositions(lean), expected);
});
