// The sources the lean parser is compared with Babel on (tests/unit/lean_parser.test.ts): every
// tracer script in the repository (examples, fixtures, benchmark scripts), the TypeScript blocks
// of the docs, the tracer sources written inline in the tests, and the generated programs of the
// compiler's differential, code generator, language and fuzz tests.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@babel/parser";
import { generate, prng } from "../kernel/expressions.ts";
import { handlersSource } from "./handler_source.ts";
import { CASES, FUNCTIONS } from "./language_cases.ts";
import { FUNCTIONS as CODEGEN_FUNCTIONS, program } from "./codegen_programs.ts";
import { CORPUS, fuzzSource, grow, mutate } from "./fuzz_cases.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;

export interface Source {
  name: string;
  text: string;
  /** A tool or example a user runs: the lean parser must read it itself. */
  shipped?: boolean;
}

/** The .ts files under `dir`, but for the directories in `skip` (paths from ROOT), which are not walked. */
function tsFiles(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(skip.includes(path) ? [] : tsFiles(path, skip)));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** Scripts on disk: the examples (the tools users run), test fixtures, benchmark scripts. */
export function scriptFiles(): Source[] {
  return [...tsFiles("examples").map((f) => ({ f, shipped: true })), ...tsFiles("tests/fixtures").map((f) => ({ f, shipped: false })), ...tsFiles("bench/tsbpf").map((f) => ({ f, shipped: false }))]
    .map(({ f, shipped }) => ({ name: f, text: readFileSync(join(ROOT, f), "utf8"), shipped }));
}

/**
 * Every TypeScript file of the repository (the runtime's own code too: more of the language).
 * Not walked: bench/out, which the bench rewrites while it runs (a snapshot of the tree, kernel
 * headers), nor the dot directories (.cache/vm, where the VM lane makes and removes FIFOs).
 */
export function repositoryFiles(): Source[] {
  const dirs = readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isDirectory() && !/^(node_modules|\..*|bench)$/.test(e.name)).map((e) => e.name);
  const files = [...readdirSync(ROOT).filter((n) => n.endsWith(".ts")), ...dirs.flatMap((d) => tsFiles(d)), ...tsFiles("bench", ["bench/out"])];
  return files.map((f) => ({ name: f, text: readFileSync(join(ROOT, f), "utf8") }));
}

/** The ```ts blocks of README.md and docs/. */
export function docBlocks(): Source[] {
  const out: Source[] = [];
  for (const f of ["README.md", ...readdirSync(join(ROOT, "docs")).filter((n) => n.endsWith(".md")).map((n) => `docs/${n}`)]) {
    const text = readFileSync(join(ROOT, f), "utf8");
    let i = 0;
    for (const m of text.matchAll(/^```(?:ts|typescript)\n([^]*?)^```/gm)) out.push({ name: `${f} block ${++i}`, text: m[1] });
  }
  return out;
}

/**
 * Tracer sources written inside the tests, as string and template literals (a template's
 * substitutions become `0`, so some are not valid TypeScript: those test the giving up).
 */
export function inlineSources(): Source[] {
  const out: Source[] = [];
  for (const f of tsFiles("tests")) {
    const text = readFileSync(join(ROOT, f), "utf8");
    if (!/extends Tracer|@tracepoint|@kprobe|@rawTracepoint/.test(text)) continue;
    const ast = parse(text, { sourceType: "module", plugins: ["typescript", "decorators"], errorRecovery: true } as never);
    let n = 0;
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (!node || typeof node !== "object") return;
      const o = node as Record<string, unknown> & { type?: string };
      let literal: string | undefined;
      if (o.type === "StringLiteral") literal = o.value as string;
      if (o.type === "TemplateLiteral") literal = (o.quasis as { value: { cooked: string | null } }[]).map((q) => q.value.cooked ?? "").join("0");
      if (literal !== undefined && /class \w+ extends Tracer|@\w+\(/.test(literal)) out.push({ name: `${f} literal ${++n}`, text: literal });
      for (const k in o) if (k !== "loc" && typeof o[k] === "object") visit(o[k]);
    };
    visit(ast.program);
  }
  return out;
}

/** The compiler tests' generated programs, with their seeds and counts. */
export function generatedSources(): Source[] {
  const out: Source[] = [{ name: "language cases", text: handlersSource(CASES.map(([, body]) => "    " + body), FUNCTIONS) }];
  const exprs = prng(20261122);
  for (let i = 0; i < 30; i++) out.push({ name: `random expressions ${i}`, text: handlersSource(Array.from({ length: 40 }, () => generate(exprs).source)) });
  const progs = prng(7);
  for (let i = 0; i < 15; i++) {
    const ps = Array.from({ length: 20 }, (_, k) => program(progs, i * 20 + k));
    out.push({ name: `codegen programs ${i}`, text: handlersSource(ps.map((p) => p.body), CODEGEN_FUNCTIONS + ps.map((p) => p.extra).join("")) });
  }
  const fuzz = prng(1122);
  for (let i = 0; i < 800; i++) {
    const small = mutate(CORPUS[Math.floor(fuzz() * CORPUS.length)], fuzz);
    out.push({ name: `fuzzed handler ${i}`, text: fuzzSource(fuzz() < 0.15 ? grow(small, fuzz) : small) });
  }
  return out;
}
