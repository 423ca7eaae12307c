// The lean parser (compiler/lean/) against Babel: on every source it reads, the same tree (every
// field, in Babel's key order; of the comments, the class members' leading ones, which map_doc.ts
// reads), and the same programs and diagnostics compiled from it; on sources cut or repeated at
// random tokens, it gives up or still agrees; where it gives up, Babel parses.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { parse } from "@babel/parser";
import { leanGivesUp, leanParse } from "../../compiler/lean/mod.ts";
import { compile, CompileError } from "../../compiler/mod.ts";
import { onlyFallbackParser } from "../../compiler/parse.ts";
import { measureNesting } from "../../compiler/nesting.ts";
import { prng } from "../kernel/expressions.ts";
import { fakeTarget } from "./fake_target.ts";
import { countRegexRuns } from "./regex_runs.ts";
import { docBlocks, generatedSources, inlineSources, repositoryFiles, scriptFiles, type Source } from "./parser_corpus.ts";

// deno-lint-ignore no-explicit-any
type Node = any;

/** Babel's tree, as parse.ts asks for it; an error it cannot recover from as a tree with only that error. */
function babel(text: string): Node {
  try {
    return parse(text, { sourceType: "module", plugins: ["typescript", "decorators"], errorRecovery: true } as never);
  } catch (e) {
    return { errors: [String(e)] };
  }
}

/** The tree as text: every field but comments (class members' leading comments are compared apart); bigints spelt out. */
function treeText(ast: Node): string {
  return JSON.stringify(ast, (k, v) => (/Comments$/.test(k) || k === "comments" ? undefined : typeof v === "bigint" ? `${v}n` : v));
}

/** The leading comments of every class member, in source order. */
function memberComments(ast: Node): string {
  const out: unknown[] = [];
  // Iterative: generated programs nest deeper than the stack of a recursive walk.
  const stack: Node[] = [ast.program];
  while (stack.length) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if (!node || typeof node !== "object") continue;
    if (node.type === "ClassBody") for (const m of node.body) out.push([m.start, m.leadingComments ?? []]);
    for (const k in node) if (k !== "loc" && !k.endsWith("omments")) stack.push(node[k]);
  }
  return JSON.stringify(out.sort((a, b) => (a as number[])[0] - (b as number[])[0]));
}

/**
 * Where the lean parser reads `text`, its tree is Babel's; returns whether it read it. Source
 * nesting past the compiler's budget is refused before either parser sees it (nesting.ts).
 */
function agrees(name: string, text: string): boolean {
  if (measureNesting(text).tooDeep) return false;
  const lean = leanParse(text);
  if (!lean) return false;
  const reference = babel(text);
  assert.deepEqual(reference.errors, [], `${name}: the lean parser accepted what Babel reports errors in`);
  const a = treeText(lean), b = treeText(reference);
  if (a !== b) {
    let i = 0;
    while (a[i] === b[i]) i++;
    assert.fail(`${name}: the trees differ at\n  lean:  ...${a.slice(Math.max(0, i - 300), i + 200)}\n  Babel: ...${b.slice(Math.max(0, i - 300), i + 200)}`);
  }
  assert.equal(memberComments(lean), memberComments(reference), `${name}: class members' leading comments differ`);
  return true;
}

const target = fakeTarget();

/** What compiling `text` gives: its specs, or its diagnostics (with their positions), as text. */
function compiled(text: string): string {
  try {
    return JSON.stringify(compile(text, "/test/script.ts", target));
  } catch (e) {
    if (e instanceof CompileError) return JSON.stringify(e.diagnostics);
    return `internal error: ${(e as Error).message}`;
  }
}

function compiledByBabel(text: string): string {
  onlyFallbackParser(true);
  try {
    return compiled(text);
  } finally {
    onlyFallbackParser(false);
  }
}

/** Compares the parsers on `sources`; counts those it read, of those Babel reads without errors. */
function compare(sources: Source[], label: string): { accepted: number; valid: number } {
  let accepted = 0, valid = 0;
  for (const s of sources) {
    if (babel(s.text).errors.length === 0) valid++;
    if (!agrees(s.name, s.text)) {
      assert.ok(!s.shipped, `${s.name}: the lean parser gives up on a shipped tool (${leanGivesUp(s.text)})`);
      continue;
    }
    accepted++;
    assert.equal(compiled(s.text), compiledByBabel(s.text), `${s.name}: compiled differently from the lean parser's tree than from Babel's`);
  }
  console.log(`lean parser, ${label}: read ${accepted} of the ${valid} Babel reads without errors (${(100 * accepted / valid).toFixed(1)} %), all as Babel does; ${sources.length} sources`);
  return { accepted, valid };
}

test("the lean parser reads every example and script as Babel does, and they compile to the same programs and diagnostics", () => {
  const { accepted } = compare(scriptFiles(), "scripts (examples, fixtures, bench)");
  assert.ok(accepted >= 29);
});

test("the docs' TypeScript blocks and the tests' inline tracer sources: read as Babel does, or left to Babel", () => {
  const docs = compare(docBlocks(), "docs blocks");
  const inline = compare(inlineSources(), "tests' inline sources");
  assert.ok(docs.accepted > docs.valid / 2 && inline.accepted > inline.valid / 2, "the corpus is mostly left to Babel: the comparison says little");
});

test("the compiler tests' generated programs (language cases, random expressions, codegen programs, fuzzed handlers)", { timeout: 600_000 }, () => {
  const { accepted, valid } = compare(generatedSources(), "generated programs");
  assert.ok(accepted > valid / 2);
});

test("every TypeScript file of the repository: read as Babel does, or left to Babel", () => {
  let read = 0;
  const files = repositoryFiles();
  for (const f of files) if (agrees(f.name, f.text)) read++;
  console.log(`lean parser, repository files: read ${read} of ${files.length}, all as Babel does`);
  assert.ok(read > files.length / 3);
});

/** The source's tokens, roughly (enough to cut and repeat them): [start, end] pairs. */
function tokens(text: string): [number, number][] {
  const out: [number, number][] = [];
  const re = /\s+|\/\/[^\n]*|\/\*[^]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|[A-Za-z_$][\w$]*|\d[\w.]*|>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.|\+\+|--|[-+*/%&|^]=|\*\*|<<|>>|[^]/g;
  for (const m of text.matchAll(re)) if (!/^\s|^\/[/*]/.test(m[0])) out.push([m.index!, m.index! + m[0].length]);
  return out;
}

test("sources with tokens cut or repeated at random: the lean parser gives up or agrees with Babel", { timeout: 600_000 }, () => {
  const rand = prng(Number(process.env.TSBPF_MUTATION_SEED ?? 20261205));
  const perSource = Number(process.env.TSBPF_MUTATIONS ?? 25);
  const sources = [...scriptFiles(), ...docBlocks()];
  let read = 0, total = 0;
  for (const s of sources) {
    const toks = tokens(s.text);
    for (let i = 0; i < perSource; i++) {
      let text = s.text;
      for (let cuts = 1 + Math.floor(rand() * 2); cuts > 0; cuts--) {
        const all = tokens(text);
        const [a, b] = all[Math.floor(rand() * all.length)];
        const r = rand();
        text = r < 0.5 ? text.slice(0, a) + text.slice(b) : r < 0.8 ? text.slice(0, b) + " " + text.slice(a, b) + text.slice(b) : text.slice(0, a) + text.slice(b, b + 1) + text.slice(a, b) + text.slice(b + 1);
      }
      total++;
      if (agrees(`${s.name} mutated (${i})`, text)) read++;
    }
    assert.ok(toks.length > 0);
  }
  console.log(`lean parser, mutated sources: read ${read} of ${total}, all as Babel does; gave up on the rest`);
  assert.ok(read > 0 && read < total, `${read} of ${total}: mutations that never (or always) break the source test little`);
});

test("diagnostics keep their line and column when the lean parser reads the source", () => {
  // Each case marks, with /*@*/, the token a diagnostic must point at.
  const cases = [
    `import { Tracer, tracepoint, RingBuf } from "tsbpf";\ninterface E {\n\tpid: /*@*/Nope;\n}\nclass T extends Tracer {\n  rb = new RingBuf<E>();\n  @tracepoint("syscalls:sys_enter_openat") on() { this.rb.submit({ pid: 1 }); }\n}\n`,
    `import { Tracer, tracepoint } from "tsbpf";\n/* a comment\n   over lines */\nclass T extends Tracer {\n  @tracepoint("syscalls:sys_enter_openat")\n  on() {\n    const s = \`a\nb\`;\n    /*@*/nosuch((1 + 2) * 3);\n  }\n}\n`,
    `import { Tracer, tracepoint } from "tsbpf";\nclass T extends Tracer {\n  /** doc */ /*@*/@tracepoint(42) on() {}\n}\n`,
  ];
  for (const marked of cases) {
    const text = marked.replace("/*@*/", "");
    assert.ok(leanParse(text), `the lean parser gives up on a case (${leanGivesUp(text)}): it tests nothing`);
    const at = marked.indexOf("/*@*/");
    const line = marked.slice(0, at).split("\n").length, column = at - marked.lastIndexOf("\n", at - 1);
    const diagnostics = JSON.parse(compiled(text));
    assert.ok(Array.isArray(diagnostics) && diagnostics.length, `no diagnostics for:\n${text}`);
    assert.ok(diagnostics.some((d: { line: number; column: number }) => d.line === line && d.column === column), `expected a diagnostic at ${line}:${column}, got ${JSON.stringify(diagnostics)}`);
    assert.equal(compiled(text), compiledByBabel(text));
  }
});

test("what the lean parser gives up on is parsed by Babel: its syntax errors are Babel's", () => {
  const broken = `import { Tracer, tracepoint } from "tsbpf";\nclass T extends Tracer {\n  @tracepoint("syscalls:sys_enter_openat") on() { let x = ; }\n}\n`;
  assert.equal(leanParse(broken), undefined);
  const diagnostics = JSON.parse(compiled(broken));
  assert.deepEqual(diagnostics.map((d: { line: number; column: number }) => [d.line, d.column]), [[3, 59]]);
  // Deep input within the compiler's nesting budget: read by one parser or the other, the same way.
  const chain = `import { Tracer, rawTracepoint } from "tsbpf";\nclass T extends Tracer {\n  @rawTracepoint("sys_enter") h(args: any) { let x = 1${" + 1".repeat(1500)}; }\n}\n`;
  assert.equal(compiled(chain), compiledByBabel(chain));
});

test("constructs Babel reads its own way or refuses: the lean parser gives up or builds Babel's tree", () => {
  const cases = [
    // Line breaks Babel counts that the lean parser does not, and HTML comment markers.
    "let a = 1; // x\rlet b = 2;\n", "let a = 1;\u2028let b = 2;\n", "let a = b <!--c;\n", "let a = b\n-->c;\n",
    // Numbers: separators after a leading 0, legacy octal, hex past 2^53, names right after digits.
    "let a = 0_1;", "let a = 017;", "let a = 0xfffffffffffffffff;", "let a = 1_000n + 0x1fn;", "let a = 3in b;", "let a = 1..toString();",
    // Escapes: octal, \8, line continuations, \u{...}.
    'let a = "\\07";', 'let a = "\\8";', 'let a = "a\\\nb";', 'let a = "\\u{1F600}\\x41\\u0041";', "let a = `\\u{41}${1}\\n`;",
    // Reserved words and strict mode.
    "let let = 1;", "let arguments = 1;", "var static = 1;", "delete x;", "let yield = 1;", "function f(a, a) {}", "let await = 1;",
    // Redeclarations, and break, continue, return, await, super where they may not be.
    "let a; let a;", "var a; let a;", "{ var a; } let a;", "function f(a) { let a; }", "try {} catch (e) { let e; }", "var a; var a;",
    "break;", "l: { continue l; }", "return 1;", "function f() { await g(); }", "class A { m() { super(); } }", "class A extends B { constructor() { super(); } m() { return super.m(); } }",
    // Assignment targets, ASI, regular expressions against division, type arguments against comparisons.
    "(a) = 1;", "a + b = 1;", "[a, b] = c;", "a\n++b;", "a = b\n/c/g.exec(d);", "if (a) /b/.test(c);", "a = b / c / d;",
    "x = import .meta.url;", "f<T>(x);", "a < b > c;", "a < b > (c);", "a << b;", "x = a < (b) && c > (d);", "x = a < -1;", "x = i < n.length - 1;", "x = a < b;\n",
    // Arrows, optional chains, non-null, templates.
    "x = (a, b) => a + b;", "x = async (a) => await a;", "x = async a => a;", "x = async\n(a) => a;", "x = (a): u32 => a;", "x = c ? (a) : b;", "x = c ? (a): u32 => a : b;",
    "x = a?.b.c?.(d)!;", "x = a?.b!.c;", "x = a!.b!;", "x = a\n!b;", "x = tag`t`;", "x = a\n`t`;",
    // Classes: modifiers, private names, accessors, decorators.
    "class A { static readonly x = 1; private y?: u32; #z = 1; m() { return this.#z; } }", "class A { m() { return this.#nope; } }", "class A { readonly static x = 1; }",
    "class A { get x() { return 1; } }", "class A { static\nx = 1; }", "class A { @d @e(1) m() {} @f p = 1; }", "@d class A {}", "class A { constructor() {} constructor() {} }",
    // Types.
    "let a: Map<u32, Array<u64>>= b;", "let a: (u32 | u64)[];", "let a: (x: u32) => void;", "let a: keyof T;", "let a: { b?: u32; c: Str<16> }[];", "type A = [u32, u64];",
    // Method signatures, readonly members, object methods.
    "interface A { m(a: u32): void; n?(): u32, o(); readonly p: u32; get(): u32; new: u32 }", "interface B { new(): B; m(a, a): void }",
    "x = { m(a) { return super.b + a; }, async n() { await 1; }, o: 1 };", "x = ({ m() {} }) => 1;", "x = { async\nn() {} };", "x = { m(a) { let a; } };",
    // Imports and exports.
    'import type { A } from "m";', 'import { type A, b as c } from "m";', 'import * as ns from "m";', 'import type from "m";', 'export const a = 1;', 'export { a };', 'export default 1;',
  ];
  let read = 0;
  for (const text of cases) if (agrees(JSON.stringify(text), text)) read++;
  assert.ok(read > cases.length / 3 && read < cases.length, `read ${read} of ${cases.length}`);
});

test("the look for unusual line breaks and HTML comment markers runs no regular expression (a cold start pays each one's compile)", () => {
  const sources = ["let a = 1;\rlet b = 2;\n", "let a = 1;\u2028", "a\u2029", "a <!--b", "-->"];
  const { result: reasons, runs } = countRegexRuns(() => sources.map((source) => leanGivesUp(source)));
  assert.equal(runs, 0);
  assert.deepEqual(new Set(reasons), new Set(["unusual line breaks or HTML comment markers"]));
});
