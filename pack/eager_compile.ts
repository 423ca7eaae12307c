// The compiler's (and the one-liner transform's) chunks of the package's bundle, and the start
// graph's (startOutputs), rewritten so that Deno's code cache keeps their functions' bytecode
// (issue 20, a cold start on Deno; a warm one for the start graph).
//
// Deno caches what V8 compiled of each module (its code cache, in DENO_DIR) when it first
// compiles the module: the top level, and the functions V8 chose to compile eagerly. V8 compiles
// a function lazily, on its first call, unless it is a parenthesized function expression (its
// "possibly invoked function expression" heuristic), and a function compiled on first call is
// never added to the cache. So a cold start on Deno compiled most of the compiler and the lean
// parser (~360 functions) again from their source on every run. Here the top-level function
// declarations of those chunks become `var name = (function name(...) {...});`, placed before
// the rest of the module's code, and every function expression and arrow function inside is put
// in parentheses too (V8 then compiles it eagerly as well, with the function around it). Class
// methods stay lazy. Measured on a loaded machine (the launch1 tracer, nothing cached, medians of
// 21-31 interleaved runs): top-level functions alone, in process, the parse 16.8 → 10.3 ms and
// the compile 53.7 → 35.8 ms, whole process CPU 0.91× (wall 0.85×); the nested ones as well,
// CPU 0.94× (wall 0.88×) of that. A run without any code cache (a new DENO_DIR) costs no more
// (0.97×). Bun's package runs its own bytecode build of the compiler (pack/bytecode.ts).
//
// Only the functions a cold compile (or `-e` transform) of a small script runs are rewritten (pack/cold_functions.ts
// finds them when the package is packed): the code cache then holds what a cold start runs and
// no more: V8 reads a module's whole cache when it loads the module and keeps the bytecode of
// every function in it, about 1 MB of a cold start's peak memory for functions a small script
// never calls (bench/NOTES.md, "Cold start, session 9").
//
// Moving the declarations to the top keeps what a hoisted declaration gives: every function is
// defined before any statement of the module runs. What it does not keep is a definition before
// the module itself runs, which only a module in a cycle of static imports could observe: such a
// chunk stops the build.
import { parse } from "@babel/parser";
import { readFileSync, writeFileSync } from "node:fs";
import type { Metafile } from "esbuild";

/** Where the sources only a cold start runs are: the compiler, and the one-liners' transform. */
const COLD_DIRS = ["compiler/", "cli/oneliner/"];

/** The outputs (paths as in the metafile) that hold only COLD_DIRS's sources and that no start loads: a cold start's. */
export function eagerOutputs(meta: Metafile, startInputs: Set<string>): string[] {
  return Object.entries(meta.outputs)
    .filter(([path, out]) => {
      const inputs = Object.keys(out.inputs);
      return path.endsWith(".js") && inputs.length > 0 && inputs.every((i) => COLD_DIRS.some((d) => i.startsWith(d)) && !startInputs.has(i));
    })
    .map(([path]) => path);
}

/**
 * The outputs `entry` (a path as in the metafile) loads statically, itself included: what every
 * start of `import "tsbpf"` runs, where a warm start on Deno compiled each function it called
 * again from its source (9–11 % of a warm launch's CPU, bench/NOTES.md "Warm script, session 16").
 * They are rewritten whole: which of their functions a warm start runs depends on the kernel and
 * the script, and the cache of all of them cost a warm launch no measurable peak memory (1.008× and 0.999×).
 */
export function startOutputs(meta: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path) || !meta.outputs[path]) return;
    seen.add(path);
    for (const i of meta.outputs[path].imports) if (i.kind === "import-statement" && !i.external) visit(i.path);
  };
  visit(entry);
  return [...seen].filter((path) => path.endsWith(".js"));
}

/** Throws if `output` is in a cycle of static imports among the bundle's outputs. */
export function checkNoImportCycle(meta: Metafile, output: string): void {
  const seen = new Set<string>();
  const reaches = (from: string): boolean => {
    for (const i of meta.outputs[from]?.imports ?? []) {
      if (i.kind !== "import-statement" || i.external) continue;
      if (i.path === output) return true;
      if (!seen.has(i.path)) {
        seen.add(i.path);
        if (reaches(i.path)) return true;
      }
    }
    return false;
  };
  if (reaches(output)) {
    throw new Error(`pack/eager_compile.ts: ${output} is in a cycle of static imports, where a module importing it could call its functions before it runs; its functions cannot be moved to its top`);
  }
}

/** Where a function ends in its module's text: what names it across a rewrite of what comes after it. */
export type FunctionEnd = number;

/**
 * `source`, an ES module, with its top-level function declarations as parenthesized function
 * expressions assigned right after its imports, in their order, so each is defined before any
 * other statement runs, as a hoisted declaration is; and every other function expression and
 * arrow function in parentheses (a name inferred from where it is assigned stays the same).
 * With `only`, just the functions ending there (the others stay lazy).
 */
export function eagerFunctions(source: string, only?: ReadonlySet<FunctionEnd>): string {
  const ast = parse(source, { sourceType: "module" });
  const body = ast.program.body;
  const chosen = (f: FunctionNode) => !only || only.has(f.end);
  const { declarations: all, nested } = rewritable(ast);
  const declarations = all.filter(chosen);
  const parens = parenthesize(nested.filter(chosen));
  if (!declarations.length && !parens.length) return source;
  /** The text of [from, to) with the parentheses that fall in it. */
  const text = (from: number, to: number) => {
    let out = "", at = from;
    for (const p of parens) {
      if (p.at < from || p.at >= to) continue;
      out += source.slice(at, p.at) + p.text;
      at = p.at;
    }
    return out + source.slice(at, to);
  };
  const imports = body.filter((n) => n.type === "ImportDeclaration");
  const at = imports.length ? imports[imports.length - 1].end! : body[0].start!;
  const defined = declarations.map((f) => `var ${f.id!.name}=(${text(f.start!, f.end!)});`).join("\n");
  let out = `${text(0, at)}\n${defined}\n`, from = at;
  for (const f of declarations) {
    // Every declaration comes after the imports (an import declaration cannot follow code in
    // esbuild's output, and ES modules hoist imports anyway).
    if (f.start! < at) throw new Error("pack/eager_compile.ts: a function declaration before the module's last import");
    out += text(from, f.start!);
    from = f.end!;
  }
  return out + text(from, source.length + 1);
}

type Paren = { at: number; text: "(" | ")"; span: number };

/** A function of a module's tree, as Babel gives it: where it and its body start and end. */
export interface FunctionNode {
  type: string;
  id?: { name: string } | null;
  start: number;
  end: FunctionEnd;
  body: { type: string; start: number; end: number };
}

/**
 * The functions eagerFunctions may compile eagerly: the top-level function declarations, and the
 * function expressions and arrow functions not in parentheses already (those are eager anyway).
 */
export function rewritableFunctions(source: string): FunctionNode[] {
  const { declarations, nested } = rewritable(parse(source, { sourceType: "module" }));
  return [...declarations, ...nested];
}

function rewritable(ast: ReturnType<typeof parse>): { declarations: FunctionNode[]; nested: FunctionNode[] } {
  const declarations = ast.program.body.filter((n) => n.type === "FunctionDeclaration") as unknown as FunctionNode[];
  const nested: FunctionNode[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const n = node as FunctionNode & { extra?: { parenthesized?: boolean } };
    if ((n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression") && !n.extra?.parenthesized) nested.push(n);
    for (const [key, value] of Object.entries(n)) if (key !== "loc" && key !== "extra" && !key.endsWith("Comments")) visit(value);
  };
  visit(ast);
  return { declarations, nested };
}

/**
 * A "(" before and a ")" after each of `functions`, in the order they go in: by offset, a ")"
 * before a "(" at the same one, the outer "(" first and the inner ")" first.
 */
function parenthesize(functions: FunctionNode[]): Paren[] {
  const parens: Paren[] = [];
  for (const f of functions) {
    const span = f.end - f.start;
    parens.push({ at: f.start, text: "(", span }, { at: f.end, text: ")", span });
  }
  return parens.sort((a, b) => a.at - b.at || (a.text === b.text ? (a.text === "(" ? b.span - a.span : a.span - b.span) : a.text === ")" ? -1 : 1));
}

/**
 * Rewrites `outputs` in `outdir`: the cold start's chunks (see eagerOutputs) each with the
 * functions `ran` gives for it (pack/cold_functions.ts), an output `ran` says "every" of whole
 * (startOutputs); the files rewritten.
 */
export function compileEagerly(outdir: string, meta: Metafile, outputs: string[], ran: Map<string, Set<FunctionEnd> | "every">): string[] {
  const files: string[] = [];
  for (const output of outputs) {
    checkNoImportCycle(meta, output);
    const file = `${outdir}/${output.slice(output.lastIndexOf("/") + 1)}`;
    const only = ran.get(output) ?? new Set();
    writeFileSync(file, eagerFunctions(readFileSync(file, "utf8"), only === "every" ? undefined : only));
    files.push(file);
  }
  return files;
}
