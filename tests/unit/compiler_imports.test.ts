// No import cycle at all, not even through type-only imports, around the lowering pass: its
// pieces (compiler/lower/*) and helpers depend only on its contract (compiler/lower/context.ts).
// (tests/unit/layers.test.ts checks the whole package for cycles with a run-time edge.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(new URL("../..", import.meta.url).pathname);
const COMPILER = join(ROOT, "compiler");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : f.endsWith(".ts") ? [p] : [];
  });
}

interface Edge {
  to: string;
  typeOnly: boolean;
}

/** Imports and re-exports of `file` that stay inside compiler/. */
function edges(file: string): Edge[] {
  const text = readFileSync(file, "utf8");
  const out: Edge[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)"/gms)) {
    const to = resolve(dirname(file), m[4]);
    if (!to.startsWith(COMPILER + "/")) continue;
    const names = /\{([^}]*)\}/.exec(m[3])?.[1].split(",").map((s) => s.trim()).filter(Boolean);
    const typeOnly = !!m[2] || (!!names && names.length > 0 && !/^\w+\s*,|^\*/.test(m[3]) && names.every((n) => n.startsWith("type ")));
    out.push({ to, typeOnly });
  }
  return out;
}

const graph = new Map(files(COMPILER).map((f) => [f, edges(f)]));
const name = (f: string) => relative(ROOT, f);

/** The cycles (strongly connected components of more than one file) of the graph restricted to `keep`. */
function cycles(keep: (e: Edge) => boolean): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index), low.set(v, index++), stack.push(v), on.add(v);
    for (const e of (graph.get(v) ?? []).filter(keep)) {
      if (!graph.has(e.to)) continue;
      if (!idx.has(e.to)) visit(e.to), low.set(v, Math.min(low.get(v)!, low.get(e.to)!));
      else if (on.has(e.to)) low.set(v, Math.min(low.get(v)!, idx.get(e.to)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do (w = stack.pop()!, on.delete(w), scc.push(name(w))); while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

test("no cycle at all runs through the lowering pass", () => {
  const lowering = cycles(() => true).filter((c) => c.some((f) => f === "compiler/lower.ts" || f.startsWith("compiler/lower/")));
  assert.deepEqual(lowering, []);
});
