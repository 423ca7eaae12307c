// The nesting budget measured on tokens before parsing (compiler/nesting.ts): what nests counts,
// what only looks like nesting (brackets in strings, comments, templates, regular expressions)
// and what is long but flat (many statements, long else-if chains) does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_NESTING, measureNesting } from "../../compiler/nesting.ts";
import { compile, CompileError, type CompileTarget } from "../../compiler/mod.ts";
import { countRegexRuns } from "./regex_runs.ts";

const deep = (src: string) => measureNesting(src).tooDeep;

test("nested brackets and long operator chains go over the budget at the token that does", () => {
  const parens = "let a = " + "(".repeat(1000) + "1" + ")".repeat(1000) + ";";
  const at = deep(parens);
  assert.ok(at && at.line === 1 && parens[at.column - 1] === "(", JSON.stringify(at));
  assert.ok(at.column > 100 && at.column < 1000);
  const chain = "let a = 1\n  + 1".repeat(1) + " + 1".repeat(5000) + ";";
  const c = deep(chain);
  assert.ok(c && chain.split("\n")[c.line - 1][c.column - 1] === "+", JSON.stringify(c));
  assert.ok(!deep("let a = x" + " + 1".repeat(MAX_NESTING / 2) + ";"));
});

test("brackets inside strings, comments, templates and regular expressions do not count", () => {
  const many = "(".repeat(5000);
  assert.ok(!deep(`const s = "${many}"; const t = '${many}';`));
  assert.ok(!deep(`// ${many}\n/* ${many}\n${many} */ let x = 1;`));
  assert.ok(!deep(`const t = \`${many}\${ (1 + 2) }${many}\`;`));
  assert.ok(!deep(`const r = /\\(${"\\(".repeat(3000)}[(]/g; const q = a / (b) / c;`));
  // Inside a template's ${ }, brackets are real again.
  assert.ok(deep(`const t = \`x\${${many}1${")".repeat(5000)}}\`;`));
});

test("long but flat code is not deep: statements on their own lines or after ;, else-if chains, blocks in a row", () => {
  const noSemicolons = Array.from({ length: 5000 }, (_, i) => `x = x + ${i}`).join("\n");
  assert.ok(!deep(noSemicolons));
  assert.ok(!deep(Array.from({ length: 5000 }, (_, i) => `x = x + ${i};`).join(" ")));
  assert.ok(!deep(Array.from({ length: 5000 }, (_, i) => `if (x > ${i}) { x = x - 1 }`).join(" ")));
  assert.ok(!deep("if (x === 0) { y = 1 }" + Array.from({ length: 900 }, (_, i) => ` else if (x === ${i}) { y = ${i} }`).join("")));
  // A continued line keeps counting.
  assert.ok(deep("let a = x" + "\n  + 1".repeat(5000) + ";"));
});

test("an else-if chain nests alike with or without braces: its arms' ; does not end it", () => {
  // Brace-less arms once reset the count at each ;, so 4000 of them compiled on Bun and ran
  // Deno out of stack (reported at the chain's first arm). Each else-if nests one level.
  const chain = (n: number, arm: (i: number) => string) => "if (x === 0) " + arm(0) + Array.from({ length: n }, (_, i) => `\nelse if (x === ${i + 1}) ${arm(i + 1)}`).join("");
  const braced = deep(chain(1200, (i) => `{ y = ${i} }`)), bare = deep(chain(1200, (i) => `y = ${i};`));
  assert.ok(braced && bare, "both too deep");
  assert.equal(bare.line, braced.line, "over the budget at the same arm");
  assert.ok(!deep(chain(900, (i) => `y = ${i};`)));
  assert.ok(!deep(Array.from({ length: 5000 }, (_, i) => `if (x > ${i}) y = ${i};`).join("\n")), "ifs without else stay flat");
});

test("compile() refuses too-deep source with a positioned diagnostic before the parser runs out of stack", () => {
  const noTarget: CompileTarget = { probeContext: () => assert.fail("not reached"), btf: () => assert.fail("not reached") } as unknown as CompileTarget;
  const source = `class T {}\nconst v = ${"[".repeat(30_000)}${"]".repeat(30_000)};\n`;
  try {
    compile(source, "/x/deep.ts", noTarget);
    assert.fail("expected a compile error");
  } catch (e) {
    assert.ok(e instanceof CompileError, String(e));
    const [d] = e.diagnostics;
    assert.equal(d.line, 2);
    assert.ok(d.column > 100, `column ${d.column}`);
    assert.match(d.message, /nests too deeply/);
    assert.match(e.message, /^\/x\/deep\.ts:2:\d+: error\[TSB1002\]/);
  }
});

test("the measure runs no regular expression: it reads character codes (a cold start pays each expression's compile)", () => {
  const source = "class T {\n  @tracepoint(\"syscalls:sys_enter_getppid\")\n  h() { if (pid() !== 1234) return; this.e.submit({ pid: pid() >>> 1, s: `a${x}b`, r: /[(]/g.source }); }\n}\n";
  const { result: measured, runs } = countRegexRuns(() => measureNesting(source));
  assert.equal(runs, 0);
  assert.equal(measured.depth, 45);
  assert.equal(measured.tooDeep, undefined);
});
