// The one-liner transform works on the AST: whatever shape a handler has (parentheses, comma
// expressions, nested statements, labels, template strings, comments that look like code), the
// script it generates parses, or the one-liner gets an error at its place — never invalid code
// for the compiler or the runtime to stumble on. (tests/kernel/oneliner_corpus.test.ts runs
// one-liners like these on the kernel.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { transformOneLiner } from "../../cli/oneliner/oneliner.ts";
import { parseSource, prepareParse } from "../../compiler/parse.ts";
import { CompileError, DiagnosticBag } from "../../spec/diagnostics.ts";

const STUB = {
  modUrl: "file:///tsbpf/mod.ts",
  runtimeUrl: "file:///tsbpf/cli/oneliner_runtime.ts",
  exports: new Set(["Tracer", "RingBuf", "Count", "Sum", "Histogram", "HashMap", "tracepoint", "pid", "comm", "str", "u8", "u16", "u32", "i64", "Str", "TracepointArgs"]),
  pidFilter: true,
  kernel: { expand: () => ["a:b", "a:c"] },
};

const SHAPES = [
  `tracepoint("a:b", a => (count(), print("x")))`,
  `tracepoint("a:b", a => ((count())))`,
  `tracepoint("a:b", a => { if (a.x) count(); else if (a.y) $.z++; else print(1) })`,
  `tracepoint("a:b", a => { for (let i = 0; i < 3; i++) if (i) $.x[i] = i; })`,
  `tracepoint("a:b", a => { outer: for (let i = 0; i < 3; i++) { if (i) continue outer; $.x[i] += i } })`,
  `tracepoint("a:b", a => a.x ? (count(), $.y = 1) : a.y ? print(2) : exit())`,
  `tracepoint("a:b", a => { const v = a.x > 1 ? $.m[1] : $.m[2]; print(v) })`,
  `tracepoint("a:b", a => { switch (a.x) { case 1: { count(); break } case 2: $.m[2] = 3 } })`,
  "tracepoint(\"a:b\", a => print(`${comm()}%`, (1, 2)))",
  `tracepoint("a:b", a => print((1, 2)))`,
  `tracepoint("a:b", a => $.m[(1, 2)] = 3)`,
  `tracepoint("a:b", a => count((comm(), pid())))`,
  `tracepoint("a:b", a => sum(comm(), (a.x, a.y)))`,
  `tracepoint("a:b", a => { ; ; count() ; })`,
  `tracepoint("a:b", a => { {{ count() }} })`,
  `tracepoint("a:b", a => !a.x || (a.y && count()))`,
  `tracepoint("a:b", a => { $.m[1]++; --$.m[2]; })`,
  `tracepoint("a:b", a => { if (a.x) { } else count() })`,
  `begin(() => ({}))`,
  `end(() => { print($) })`,
  `end(function () { print($) })`,
  `interval(1, () => (print($.x), clear($.x)))`,
  `tracepoint("a:b", a => count()) // $ =>`,
  `tracepoint("a:b", a => count() /* ) */)`,
  `tracepoint("a:b", /* $.x => */ a => print("a => $.x;", 'c'))`,
  "tracepoint(\"a:b\", a => { print(`${$.m[1]}`) })",
];

test("every shape of handler becomes a script that parses", async () => {
  for (const oneliner of SHAPES) {
    const { source } = await transformOneLiner(oneliner, STUB);
    const diags = new DiagnosticBag("generated.ts", source);
    await prepareParse(source, () => {}); // the repository's @babel/parser
    try {
      parseSource(source, diags);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
    }
    assert.deepEqual(diags.items.map((d) => `${d.line}:${d.column} ${d.message}`), [], `${oneliner}\n${source}`);
  }
});

test("a type the handler names (x as u16) is imported once, as a type", async () => {
  const { source } = await transformOneLiner(`tracepoint("a:b", a => count(a.flags as u16))`, STUB);
  const code = source.split("\n").slice(1).join("\n"); // below the comment that quotes the one-liner
  assert.equal(code.match(/\bu16\b/g)?.length, 3, source); // the import, the map's key type, the cast
  assert.match(source, /^import \{[^}]*type u16[^}]*\}/m);
});

test("user-space functions keep their parenthesised bodies", async () => {
  const { source } = await transformOneLiner(`interval(2, () => (print($.x), clear($.x)))`, STUB);
  assert.match(source, /intervals: \[\[2, \(\$, str = userString\) => \(print\(\$\.x\), clear\(\$\.x\)\)\]/);
});

/** The one-liner's compile errors as "column message" lines (with " | hint" each when asked); [] when it compiles. */
async function diagnosticsOf(text: string, withHints: boolean): Promise<string[]> {
  try {
    await transformOneLiner(text, STUB);
    return [];
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    return e.diagnostics.map((d) => `${d.column} ${d.message}${withHints ? ` | ${d.hints.join(" | ")}` : ""}`);
  }
}

test("what cannot be rewritten is an error at its place", async () => {
  const errors = (text: string) => diagnosticsOf(text, false);
  assert.deepEqual(await errors(`tracepoint("a:b", a => { let x = 0; x = $.m[1] = 2; })`), ["41 a map update is a statement: write it on its own, or as cond && (update)"]);
  assert.deepEqual(await errors(`tracepoint("a:b", a => void count())`), ["29 count() is an action: use it as a statement (cond && count(...) to make it conditional)"]);
  assert.deepEqual(await errors(`tracepoint("a:b", () => this.n)`), ["25 a one-liner has no this: its maps are $.name"]);
  // Printed nothing: a "__proto__" key in the runtime's map table sets its prototype instead.
  assert.deepEqual(await errors(`tracepoint("a:b", () => $.__proto__[1] = 2)`), ["25 @__proto__ cannot be a map's name (JavaScript reserves it); choose another"]);
  // Was an internal error in the compiler (a map declared HashMap<i64, Str<9000>>).
  assert.deepEqual(await errors(`tracepoint("a:b", a => $.m[1] = str(a.p, 9000))`), ["42 str()'s length is a whole number from 1 to 4096"]);
});

test("printf: a value of the wrong kind for its conversion is an error at the value, as in bpftrace", async () => {
  const errors = (text: string) => diagnosticsOf(text, true);
  // Printed the number (bpftrace refuses): %s of an integer.
  assert.deepEqual(await errors(`tracepoint("a:b", a => printf("%d %s\\n", pid(), a.flags as u32))`),
    ["49 %s needs a string, and value 2 is not one (its type: u32) | use %d (or %u, %x) for a number; str(p) reads the string a pointer points to"]);
  assert.match((await errors(`tracepoint("a:b", a => printf("%s\\n", pid()))`))[0], /^39 %s needs a string, and value 1 is not one \(its type: u32\)/);
  // Printed 0: %d of a string.
  assert.match((await errors(`tracepoint("a:b", a => printf("%-8x|\\n", comm()))`))[0], /^42 %x needs a number, and value 1 is a string \(Str<16>\) \| use %s/);
  // Strings for %s and %c, numbers for %d and %c, a local variable (type not known here): no error.
  assert.deepEqual(await errors(`tracepoint("a:b", a => { const n = pid(); printf("%s %s %c %c %d %d\\n", comm(), str(a.p), 65, comm(), pid(), n) })`), []);
});
