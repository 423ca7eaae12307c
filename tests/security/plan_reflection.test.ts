// `plan` must not say "it only observes" about a script that reaches Function (code from a
// string) without writing `.constructor`, `Function` or `eval`: by destructuring, or through
// the reflection APIs that read any property by a name computed at run time.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { scanModule } from "../../compiler/capabilities.ts";
import { runCommand } from "../kernel/util.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
declare const Deno: unknown;

const CASES: [string, string][] = [
  ["destructuring constructor", `const { constructor: F } = () => 0; F("return 1")();`],
  ["destructuring a quoted constructor", `const { "constructor": F } = () => 0; F("return 1")();`],
  ["destructuring a parameter", `function g({ constructor: F }: any) { return F("return 1")(); } g(() => 0);`],
  ["destructuring a computed key", `const k = "constr" + "uctor"; const { [k]: F } = () => 0; F("return 1")();`],
  ["assigning by destructuring", `let F: any; ({ constructor: F } = () => 0);`],
  ["Reflect.get", `const F = Reflect.get(() => 0, "constr" + "uctor"); F("return 1")();`],
  ["Reflect as a value", `const R = Reflect; R.get(() => 0, "constr" + "uctor")("return 1")();`],
  ["Object.getOwnPropertyDescriptors", `const F = Object.values(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(() => 0))).find((d) => d.value?.name === "Function")!.value; F("return 1")();`],
  ["Object.getOwnPropertyDescriptor", `const F = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(() => 0), "constr" + "uctor")!.value;`],
  ["Object as a value", `const O = Object; O.getOwnPropertyDescriptors(O.getPrototypeOf(() => 0));`],
  ["Object through globalThis", `globalThis.Object.getOwnPropertyDescriptors(() => 0);`],
  ["a computed member called", `const k = "constr" + "uctor"; (() => 0)[k]("return 1")();`],
  ["a computed member called through a name", `const k = "constr" + "uctor"; const F = (() => 0)[k]; F("return 1")();`],
  ["a computed member constructed through a name", `const k = "constr" + "uctor"; const F = (() => 0)[k]; new F("return 1")();`],
  ["a computed member of a call's result", `const k = "constr" + "uctor"; [].map[k]("return 1")();`],
];

for (const [name, source] of CASES) {
  test(`the scan does not vouch for Function reached by ${name}`, () => {
    const got = scanModule(source).capabilities.map((c) => `${c.kind}: ${c.what}`);
    assert.ok(got.some((g) => g.startsWith("unknown: ")), `${source}\n  gave: ${JSON.stringify(got)}`);
  });
}

test("the scan stays quiet on ordinary Object use", () => {
  const got = scanModule(`const o = { a: 1 }; Object.keys(o); Object.entries(o); Object.assign({}, o); Object.freeze(o);
    const { a, b: c } = o; const [x] = [1];
    const counts: Record<string, number> = {}; const k = "a"; counts[k] = (counts[k] ?? 0) + 1; const v = counts[k];
    const xs = [1, 2]; for (let i = 0; i < xs.length; i++) console.log(xs[i], o["a"]); xs["map"]((n) => n);`).capabilities;
  assert.deepEqual(got, []);
});

test("plan of a script that writes a file through Function reached by destructuring does not say it only observes", { timeout: 60000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-sec-plan-"));
  const file = join(dir, "gist.ts");
  writeFileSync(file, `const { constructor: F } = () => 0;\nF('process.getBuiltinModule("node:fs").writeFileSync("/tmp/x", "")')();\n`);
  try {
    const run = runCommand(process.execPath, [...(typeof Deno === "undefined" ? ["run"] : ["run", "-A"]), join(ROOT, "cli/main.ts"), "plan", file]);
    assert.equal(await run.exited, 0, run.output());
    assert.doesNotMatch(run.output(), /it only observes/);
    assert.match(run.output(), /gist\.ts:1:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
