// The layers of docs/architecture.md, checked over the import graph of every source file: the
// kernel layer (runtime/) never reaches up, the compiler stays pure, no import cycle carries a
// value at run time, and only runtime/ffi/ knows Bun from Deno.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
/** The package's source folders (tests/, bench/ and node_modules/ are not part of it). */
const SOURCE_DIRS = ["lang", "spec", "compiler", "probes", "runtime", "tracer", "cli", "btf", "elf", "build", "export", "tool", "examples"];

/**
 * Known violations inside compiler/, which the other half of issue 17 (the compiler's internals)
 * removes: each entry is "rule: from -> to" and why it is still there. The test fails on an entry
 * that no longer fires, so the list shrinks as they go and cannot go stale.
 */
const LOWERING = "compiler/ internals: the cycle around Lowering (lower.ts and the helpers that call back into it), which the type-check pass and the split of lower.ts remove";
const ALLOWED = new Map<string, string>([
  ["import cycle with a run-time edge: compiler/builtins.ts -> compiler/kernel_access.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/inline.ts -> compiler/lower.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/kernel_access.ts -> compiler/builtins.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/kernel_access.ts -> compiler/lower.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/lower.ts -> compiler/builtins.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/lower.ts -> compiler/control_flow.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/lower.ts -> compiler/inline.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/lower.ts -> compiler/kernel_access.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/lower.ts -> compiler/literals.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/lower.ts -> compiler/map_ops.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/lower.ts -> compiler/operand.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/lower.ts -> compiler/strings.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/map_ops.ts -> compiler/builtins.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/operand.ts -> compiler/builtins.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/strings.ts -> compiler/builtins.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/strings.ts -> compiler/kernel_access.ts", LOWERING],
  ["import cycle with a run-time edge: compiler/map_ops.ts -> compiler/map_fields.ts", "compiler/ internals: the map_fields.ts ↔ collect.ts/map_ops.ts cycle"],
  ["import cycle with a run-time edge: compiler/collect.ts -> compiler/map_fields.ts", "compiler/ internals: the map_fields.ts ↔ collect.ts/map_ops.ts cycle"],
  ["import cycle with a run-time edge: compiler/flow.ts -> compiler/ir.ts", "compiler/ internals: the ir.ts ↔ flow.ts ↔ stack_slots.ts cycle"],
  ["import cycle with a run-time edge: compiler/stack_slots.ts -> compiler/flow.ts", "compiler/ internals: the ir.ts ↔ flow.ts ↔ stack_slots.ts cycle"],
  ["import cycle with a run-time edge: compiler/stack_slots.ts -> compiler/ir.ts", "compiler/ internals: the ir.ts ↔ flow.ts ↔ stack_slots.ts cycle"],
]);

interface Edge {
  from: string;
  to: string;
  /** Erased before run time: `import type`, `{ type A }`, `import("x").T` in a type. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Comments blanked out (strings kept: specifiers are strings). */
export function withoutComments(source: string): string {
  return source.replace(/("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m, str) => (str ? m : m.replace(/[^\n]/g, " ")));
}

/** Comments and the contents of string literals blanked out: what is left is code. */
export function codeOnly(source: string): string {
  return source.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => (m.startsWith("/") ? m.replace(/[^\n]/g, " ") : `${m[0]}${m.slice(1, -1).replace(/[^\n]/g, " ")}${m[0]}`));
}

/** The imports of one file, relative ones resolved to repository paths. */
export function importsOf(file: string, source: string): Edge[] {
  const code = withoutComments(source);
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const to = spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec;
    edges.push({ from: file, to, typeOnly });
  };
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+["']([^"']+)["']/gm)) {
    const names = m[3].trim();
    const allTypes = /^\{(\s*type\s+[\w$]+(\s+as\s+[\w$]+)?\s*,?)+\s*\}$/.test(names);
    add(m[4], Boolean(m[2]) || allTypes);
  }
  for (const m of code.matchAll(/^\s*import\s+["']([^"']+)["']/gm)) add(m[1], false);
  // import("x"): a dynamic import at run time, or a type when a member is named right after it.
  for (const m of code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)(\s*\.\s*[A-Za-z_$])?/g)) add(m[1], Boolean(m[2]));
  return edges;
}

function graph(): { files: Map<string, string>; edges: Edge[] } {
  const files = new Map<string, string>();
  for (const f of ["mod.ts", "kernel.ts", ...SOURCE_DIRS.flatMap(sourceFiles)]) files.set(f, readFileSync(join(ROOT, f), "utf8"));
  return { files, edges: [...files].flatMap(([f, s]) => importsOf(f, s)) };
}

const under = (dir: string) => (path: string) => path.startsWith(`${dir}/`);

/** Every broken rule, as "rule: from -> to". */
export function violations(files: Map<string, string>, edges: Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    if (under("runtime")(e.from) && ["probes", "tracer", "compiler", "cli"].some((d) => under(d)(e.to))) out.push(`runtime imports upward: ${e.from} -> ${e.to}`);
    if (under("compiler")(e.from) && !["compiler", "spec", "btf"].some((d) => under(d)(e.to)) && e.to !== "@babel/parser") out.push(`compiler imports outside compiler/, spec/, btf/ and its parser: ${e.from} -> ${e.to}`);
    if (under("spec")(e.from) && !["spec", "btf"].some((d) => under(d)(e.to))) out.push(`spec imports outside spec/ and btf/: ${e.from} -> ${e.to}`);
  }
  // A cycle through at least one run-time edge: a run-time edge u -> v where v leads back to u.
  const next = new Map<string, string[]>();
  for (const e of edges) if (files.has(e.to)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>([from]);
    const queue = [from];
    while (queue.length) {
      const f = queue.pop()!;
      if (f === to) return true;
      for (const n of next.get(f) ?? []) if (!seen.has(n)) (seen.add(n), queue.push(n));
    }
    return false;
  };
  for (const e of edges) if (!e.typeOnly && files.has(e.to) && reaches(e.to, e.from)) out.push(`import cycle with a run-time edge: ${e.from} -> ${e.to}`);
  // The runtimes' globals in code (not in comments or messages) and their modules (bun:ffi).
  for (const [file, source] of files) {
    if (!under("runtime/ffi")(file) && /\b(Bun|Deno)\b/.test(codeOnly(source))) out.push(`names Bun or Deno outside runtime/ffi: ${file}`);
  }
  for (const e of edges) if (e.to.startsWith("bun:") && !under("runtime/ffi")(e.from)) out.push(`names Bun or Deno outside runtime/ffi: ${e.from}`);
  return [...new Set(out)].sort();
}

test("the import graph keeps the layers: runtime/ below, compiler/ pure, no run-time cycle, Bun/Deno only in runtime/ffi", () => {
  const { files, edges } = graph();
  assert.ok(edges.length > 500 && files.has("runtime/bpf.ts"), `the import scan found ${edges.length} imports: it is broken`);
  const found = violations(files, edges);
  assert.deepEqual(found.filter((v) => !ALLOWED.has(v)), []);
  assert.deepEqual([...ALLOWED.keys()].filter((v) => !found.includes(v)), [], "allowed exceptions that no longer happen: remove them");
});

test("the import scan sees every form of import, and which are erased", () => {
  const src = [
    `import { a } from "./a.ts";`,
    `import type { B } from "./b.ts";`,
    `import { type C, type D as E } from "./c.ts";`,
    `export { f } from "./f.ts";`,
    `export type * from "./g.ts";`,
    `import "./h.ts";`,
    `const m = await import("./i.ts");`,
    `type J = import("./j.ts").J;`,
    `// import { k } from "./k.ts";`,
    `const s = "import { l } from './l.ts'";`,
    `import {\n  m1,\n  type M2,\n} from "./m.ts";`,
  ].join("\n");
  const edges = importsOf("dir/x.ts", src).map((e) => `${e.to}${e.typeOnly ? " (type)" : ""}`).sort();
  assert.deepEqual(edges, ["dir/a.ts", "dir/b.ts (type)", "dir/c.ts (type)", "dir/f.ts", "dir/g.ts (type)", "dir/h.ts", "dir/i.ts", "dir/j.ts (type)", "dir/m.ts"]);
  // A cycle counts only with a run-time edge in it; Bun/Deno in code, not in strings or comments.
  const files = new Map([
    ["runtime/p.ts", `import type { Q } from "./q.ts";\nconst isBun = typeof Bun !== "undefined";`],
    ["runtime/q.ts", `import { p } from "./p.ts"; // Deno\nconst s = "Deno";`],
    ["runtime/r.ts", `import type { S } from "./s.ts";`],
    ["runtime/s.ts", `import type { R } from "./r.ts";\nimport { t } from "../tracer/t.ts";`],
  ]);
  const edges2 = [...files].flatMap(([f, s]) => importsOf(f, s));
  assert.deepEqual(violations(files, edges2), [
    "import cycle with a run-time edge: runtime/q.ts -> runtime/p.ts",
    "names Bun or Deno outside runtime/ffi: runtime/p.ts",
    "runtime imports upward: runtime/s.ts -> tracer/t.ts",
  ]);
});
