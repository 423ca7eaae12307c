// The layers of docs/architecture.md, checked over the import graph of every source file: the
// kernel layer (runtime/) never reaches up, the compiler stays pure, no import cycle carries a
// value at run time, only runtime/ffi/ knows Bun from Deno, and no file grows past 600 lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, lstatSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { parse } from "@babel/parser";

const ROOT = new URL("../..", import.meta.url).pathname;
/** The package's source folders (tests/, bench/ and node_modules/ are not part of it). */
const SOURCE_DIRS = ["lang", "spec", "compiler", "probes", "runtime", "tracer", "cli", "btf", "elf", "build", "export", "tool", "examples"];

/**
 * Known violations, each as "rule: from -> to" and why it is still there (none now: the compiler's
 * internal cycles went with the split of lower.ts, the helper table and two moved types). The test
 * fails on an entry that no longer fires, so the list cannot go stale.
 */
const ALLOWED = new Map<string, string>([]);

interface Edge {
  from: string;
  to: string;
  /** Erased before run time: `import type`, `{ type A }`, `import("x").T` in a type. */
  typeOnly: boolean;
}

/** Build products and installed packages (bench/out holds Debian's kernel headers, with dangling links). */
const NOT_SOURCE = new Set(["node_modules", "out", ".cache"]);

function sourceFiles(dir: string): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    const st = lstatSync(join(ROOT, path));
    if (st.isDirectory()) return NOT_SOURCE.has(name) ? [] : sourceFiles(path);
    return st.isFile() && /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

type Node = { type: string; [key: string]: unknown };

/** What one module imports and whether its code names Bun or Deno, from its syntax tree. */
export interface Module {
  file: string;
  lines: number;
  edges: Edge[];
  /** `Bun` or `Deno` as a name in code (not in comments, strings or property names). */
  namesRuntime: boolean;
}

export function scanModule(file: string, source: string): Module {
  const ast = parse(source, { sourceType: "module", plugins: ["typescript", "decorators"], attachComment: false }) as unknown as Node;
  const edges: Edge[] = [];
  let namesRuntime = false;
  const add = (spec: unknown, typeOnly: boolean) => {
    if (typeof spec !== "string") return;
    const to = spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec;
    edges.push({ from: file, to, typeOnly });
  };
  const kinds = (list: unknown, key: string) => (list as Node[]).map((n) => n[key]);
  const visit = (node: Node, parent: Node | undefined, key: string) => {
    switch (node.type) {
      case "ImportDeclaration": {
        const specifiers = kinds(node.specifiers, "importKind");
        add((node.source as Node).value, node.importKind === "type" || (specifiers.length > 0 && specifiers.every((k) => k === "type")));
        break;
      }
      case "ExportNamedDeclaration":
      case "ExportAllDeclaration":
        if (node.source) {
          const specifiers = node.specifiers ? kinds(node.specifiers, "exportKind") : [];
          add((node.source as Node).value, node.exportKind === "type" || (specifiers.length > 0 && specifiers.every((k) => k === "type")));
        }
        break;
      case "ImportExpression": // import("x") at run time
        add((node.source as Node).value, false);
        break;
      case "TSImportType": // import("x").T in a type
        add((node.source as Node | undefined)?.value, true);
        break;
      case "Identifier": {
        const isPropertyName = parent && !parent.computed && ((parent.type === "MemberExpression" && key === "property") || (/Property|Method/.test(parent.type) && key === "key"));
        if ((node.name === "Bun" || node.name === "Deno") && !isPropertyName) namesRuntime = true;
        break;
      }
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === "loc" || k === "leadingComments" || k === "trailingComments" || k === "innerComments") continue;
      if (Array.isArray(v)) for (const c of v) c && typeof c.type === "string" && visit(c, node, k);
      else if (v && typeof v === "object" && typeof (v as Node).type === "string") visit(v as Node, node, k);
    }
  };
  visit(ast, undefined, "");
  return { file, lines: source.split("\n").length, edges, namesRuntime };
}

/** Parsing every file takes a second or two (seconds more on a loaded machine): once per run. */
const scanned = new Map<string, Module>();
function modules(dirs: string[]): Module[] {
  const files = ["mod.ts", "kernel.ts", ...dirs.flatMap(sourceFiles)].filter((f) => !f.startsWith("bench/out/"));
  return files.map((f) => scanned.get(f) ?? scanned.set(f, scanModule(f, readFileSync(join(ROOT, f), "utf8"))).get(f)!);
}

const MAX_LINES = 600;

/**
 * The folders, top layer first. A run-time import goes down this list or stays in its folder;
 * folders on one line know nothing of each other. (`import type` is erased before the code
 * runs: lang/'s types may name runtime's classes, spec/'s interface btf/'s reader.)
 */
const LAYERS = [["examples"], ["cli"], ["tool"], ["build"], ["mod.ts", "kernel.ts"], ["tracer"], ["probes", "export"], ["compiler", "runtime"], ["btf", "elf"], ["spec", "lang"]];
const layerOf = (path: string) => LAYERS.findIndex((names) => names.includes(path.split("/")[0]));
const under = (dir: string) => (path: string) => path.startsWith(`${dir}/`);

/** Every broken rule, as "rule: from -> to". */
export function violations(mods: Module[]): string[] {
  const out: string[] = [];
  const files = new Set(mods.map((m) => m.file));
  const edges = mods.flatMap((m) => m.edges);
  for (const e of edges) {
    const [from, to] = [layerOf(e.from), layerOf(e.to)];
    if (!e.typeOnly && from >= 0 && to >= 0 && e.from.split("/")[0] !== e.to.split("/")[0] && to <= from) out.push(`imports up or sideways: ${e.from} -> ${e.to}`);
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
  for (const m of mods) if (m.namesRuntime && !under("runtime/ffi")(m.file)) out.push(`names Bun or Deno outside runtime/ffi: ${m.file}`);
  for (const e of edges) if (e.to.startsWith("bun:") && !under("runtime/ffi")(e.from)) out.push(`names Bun or Deno outside runtime/ffi: ${e.from}`);
  // A file is about one thing: past 600 lines it is several.
  for (const m of mods) if (m.lines > MAX_LINES) out.push(`over ${MAX_LINES} lines: ${m.file}`);
  return [...new Set(out)].sort();
}

test("the import graph keeps the layers: runtime/ below, compiler/ pure, no run-time cycle, Bun/Deno only in runtime/ffi, no file over 600 lines", { timeout: 120_000 }, () => {
  const mods = modules(SOURCE_DIRS);
  const edges = mods.flatMap((m) => m.edges).length;
  assert.ok(edges > 500 && mods.some((m) => m.file === "runtime/bpf.ts"), `the import scan found ${edges} imports: it is broken`);
  const found = violations(mods);
  assert.deepEqual(found.filter((v) => !ALLOWED.has(v)), []);
  assert.deepEqual([...ALLOWED.keys()].filter((v) => !found.includes(v)), [], "allowed exceptions that no longer happen: remove them");
});

test("every relative import names a file that exists (a file moved by the layers, imported by its old path, fails here)", { timeout: 120_000 }, () => {
  const edges = modules([...SOURCE_DIRS, "tests", "bench"]).flatMap((m) => m.edges);
  const missing = edges.filter((e) => /\.(ts|js|json)$/.test(e.to) && !existsSync(join(ROOT, e.to)) && !e.to.endsWith("kernel.d.ts"));
  assert.deepEqual(missing.map((e) => `${e.from} -> ${e.to}`), []);
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
    `const t = 'await import("./n.ts")';`,
    `import {\n  m1,\n  type M2,\n} from "./m.ts";`,
  ].join("\n");
  const edges = scanModule("dir/x.ts", src).edges.map((e) => `${e.to}${e.typeOnly ? " (type)" : ""}`).sort();
  assert.deepEqual(edges, ["dir/a.ts", "dir/b.ts (type)", "dir/c.ts (type)", "dir/f.ts", "dir/g.ts (type)", "dir/h.ts", "dir/i.ts", "dir/j.ts (type)", "dir/m.ts"]);
  // A cycle counts only with a run-time edge in it; Bun/Deno in code, not in strings or comments.
  const files = [
    ["runtime/p.ts", `import type { Q } from "./q.ts";\nconst isBun = typeof Bun !== "undefined";`],
    ["runtime/q.ts", `import { p } from "./p.ts"; // Deno\nconst s = "Deno"; const o = { Deno: 1 }; o.Deno;`],
    ["runtime/r.ts", `import type { S } from "./s.ts";`],
    ["runtime/s.ts", `import type { R } from "./r.ts";\nimport { t } from "../tracer/t.ts";`],
  ];
  assert.deepEqual(violations(files.map(([f, s]) => scanModule(f, s))), [
    "import cycle with a run-time edge: runtime/q.ts -> runtime/p.ts",
    "imports up or sideways: runtime/s.ts -> tracer/t.ts",
    "names Bun or Deno outside runtime/ffi: runtime/p.ts",
    "runtime imports upward: runtime/s.ts -> tracer/t.ts",
  ]);
});
