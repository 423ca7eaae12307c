// pack/eager_compile.ts: the compiler's chunks rewritten so that V8 compiles their functions
// eagerly (and Deno's code cache keeps them). The rewrite must not change what a module does.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { parse } from "@babel/parser";
import type { Metafile } from "esbuild";
import { checkNoImportCycle, eagerFunctions, eagerOutputs, rewritableFunctions, startOutputs } from "../../pack/eager_compile.ts";
import { instrument } from "../../pack/cold_functions.ts";

const dir = mkdtempSync(`${tmpdir()}/tsbpf-eager-`);
after(() => rmSync(dir, { recursive: true, force: true }));

/** A module as esbuild writes one: imports, code that calls functions declared below it, exports at the end. */
const MODULE = [
  `// @bun`,
  `import{strict as assert}from"node:assert";`,
  `let calls=0;`,
  `const early=double(21);`,
  `function double(n){calls++;return n*2}`,
  `class Box{constructor(v){this.v=twice(v)}}`,
  `function twice(v){return double(v)}`,
  `async function later(v){await null;return new Box(v).v}`,
  `function* count(n){for(let i=0;i<n;i++)yield i}`,
  `function named(){return named.name+":"+named.length}`,
  `const arrow=x=>x+1,expr=function(){return this},inferred={short:()=>0,long:function(){}};`,
  `class Field{handler=e=>e*2;static of(f=v=>v){return f}}`,
  `function nested(xs){const add=(a,b)=>a+b;return xs.map(x=>add(x,1)).reduce(add,0)+[arrow.name,expr.name,inferred.short.name,inferred.long.name,new Field().handler.name,Field.of().name,add.name].join()}`,
  `const iife=(function(){return 7})(),called=(()=>8)();`,
  `const table=Object.fromEntries([...count(3)].map(i=>[i,double(i)]));`,
  `export{early,double,twice,later,count,named,nested,iife,called,table,Box,calls,assert};`,
].join("\n");

const topLevelFunctions = (source: string) =>
  parse(source, { sourceType: "module" }).program.body.filter((n) => n.type === "FunctionDeclaration").length;

test("eagerFunctions leaves no function declaration at the top level, and keeps the first line", () => {
  const out = eagerFunctions(MODULE);
  assert.equal(topLevelFunctions(MODULE), 6);
  assert.equal(topLevelFunctions(out), 0);
  assert.equal(out.split("\n", 1)[0], "// @bun");
  for (const name of ["double", "twice", "count", "named"]) assert.match(out, new RegExp(`var ${name}=\\(function\\*? ?${name}\\(`));
  assert.match(out, /var later=\(async function later\(/);
  // Every function expression and arrow in parentheses, those in parentheses already not twice.
  for (const text of ["arrow=(x=>x+1)", "expr=(function(){return this})", "short:(()=>0)", "long:(function(){})", "handler=(e=>e*2)", "f=(v=>v)", "add=((a,b)=>a+b)", "map((x=>add(x,1)))", "iife=(function(){return 7})()", "called=(()=>8)()"]) {
    assert.ok(out.includes(text), `no ${text} in ${out}`);
  }
});

test("eagerFunctions changes nothing a module does: hoisting, names, async and generator functions", async () => {
  writeFileSync(`${dir}/before.mjs`, MODULE);
  writeFileSync(`${dir}/after.mjs`, eagerFunctions(MODULE));
  const before = await import(`${dir}/before.mjs`), after = await import(`${dir}/after.mjs`);
  for (const m of [before, after]) {
    assert.equal(m.calls, 4);
    assert.equal(m.early, 42);
    assert.deepEqual(m.table, { 0: 0, 1: 2, 2: 4 });
    assert.equal(await m.later(5), 10);
    assert.deepEqual([...m.count(2)], [0, 1]);
    assert.equal(m.named(), "named:0");
    assert.equal(m.nested([1, 2]), "5arrow,expr,short,long,handler,f,add");
    assert.equal(m.iife + m.called, 15);
    assert.equal(m.calls, 5);
  }
});

test("eagerFunctions with a set of function ends rewrites those functions only", () => {
  const ends = (names: string[]) => new Set(rewritableFunctions(MODULE).filter((f) => names.includes(f.id?.name ?? "")).map((f) => f.end));
  const add = rewritableFunctions(MODULE).find((f) => MODULE.slice(f.start, f.end) === "(a,b)=>a+b")!;
  const out = eagerFunctions(MODULE, new Set([...ends(["twice", "nested"]), add.end]));
  assert.equal(topLevelFunctions(out), 4);
  assert.match(out, /var twice=\(function twice\(/);
  assert.match(out, /var nested=\(function nested\(/);
  assert.ok(out.includes("add=((a,b)=>a+b)"));
  for (const text of ["function double(n)", "arrow=x=>x+1", "map(x=>add(x,1))", "short:()=>0"]) assert.ok(out.includes(text), `${text} rewritten in ${out}`);
  assert.equal(eagerFunctions(MODULE, new Set()), MODULE);
});

test("instrument: each function eagerFunctions may rewrite records that it ran, and the module does what it did", async () => {
  const { text, ends } = instrument(MODULE, 10);
  const functions = rewritableFunctions(MODULE);
  assert.deepEqual(ends, functions.map((f) => f.end));
  const ran = new Set<number>();
  (globalThis as Record<string, unknown>).__tsbpfColdHit = (id: number) => ran.add(id);
  try {
    writeFileSync(`${dir}/instrumented.mjs`, text);
    const m = await import(`${dir}/instrumented.mjs`);
    assert.equal(m.early, 42);
    assert.equal(m.nested([1, 2]), "5arrow,expr,short,long,handler,f,add");
    assert.equal(m.iife + m.called, 15);
    const names = (ids: Iterable<number>) => [...ids].map((id) => { const f = functions[id - 10]; return f.id?.name ?? MODULE.slice(f.start, f.end); }).sort();
    // Run at load and by nested(): the generator count, double, the map callbacks, nested's add; not
    // twice (only later() makes a Box), named, or the arrows nobody calls (f=v=>v is only named).
    assert.deepEqual(names(ran), ["(a,b)=>a+b", "count", "double", "i=>[i,double(i)]", "nested", "x=>add(x,1)"].sort());
    await m.later(1);
    assert.deepEqual(names(ran), ["(a,b)=>a+b", "count", "double", "i=>[i,double(i)]", "later", "nested", "twice", "x=>add(x,1)"].sort());
  } finally {
    delete (globalThis as Record<string, unknown>).__tsbpfColdHit;
  }
});

test("a module without function declarations is left as it is", () => {
  const source = `import{a}from"./a.js";const b=a+1;export{b};`;
  assert.equal(eagerFunctions(source), source);
});

const output = (imports: [string, "import-statement" | "dynamic-import"][], inputs: string[]) => ({
  bytes: 1,
  inputs: Object.fromEntries(inputs.map((i) => [i, { bytesInOutput: 1 }])),
  imports: imports.map(([path, kind]) => ({ path, kind })),
  exports: [],
});

test("only the chunks holding nothing but the compiler's and the one-liner transform's sources, outside the start graph, are rewritten", () => {
  const meta = {
    inputs: {},
    outputs: {
      "dist/mod.js": output([["dist/chunk-START.js", "import-statement"], ["dist/chunk-COMPILER.js", "dynamic-import"]], ["mod.ts"]),
      "dist/chunk-START.js": output([], ["tracer/tracer.ts", "compiler/assumptions.ts"]),
      "dist/chunk-COMPILER.js": output([["dist/chunk-START.js", "import-statement"]], ["compiler/compile.ts", "compiler/fold.ts"]),
      "dist/chunk-MIXED.js": output([], ["compiler/plan.ts", "runtime/files.ts"]),
      "dist/chunk-TRANSFORM.js": output([["dist/chunk-START.js", "import-statement"]], ["cli/oneliner/oneliner.ts", "cli/oneliner/body.ts"]),
      "dist/chunk-COMMAND.js": output([], ["cli/oneliner/run_oneliner.ts", "cli/main.ts"]),
      "dist/chunk-COMPILER.js.map": output([], ["compiler/compile.ts"]),
    },
  } as unknown as Metafile;
  assert.deepEqual(eagerOutputs(meta, new Set(["mod.ts", "tracer/tracer.ts", "compiler/assumptions.ts"])), ["dist/chunk-COMPILER.js", "dist/chunk-TRANSFORM.js"]);
  checkNoImportCycle(meta, "dist/chunk-COMPILER.js");
});

test("the start graph's outputs (what `import \"tsbpf\"` loads statically) are rewritten whole: a warm start on Deno runs their functions", () => {
  const meta = {
    inputs: {},
    outputs: {
      "dist/mod.js": output([["dist/chunk-START.js", "import-statement"], ["dist/chunk-COMPILER.js", "dynamic-import"]], ["mod.ts"]),
      "dist/chunk-START.js": output([["dist/chunk-SHARED.js", "import-statement"], ["dist/chunk-LAZY.js", "dynamic-import"]], ["tracer/tracer.ts"]),
      "dist/chunk-SHARED.js": output([["node:fs", "import-statement"]], ["runtime/files.ts"]),
      "dist/chunk-LAZY.js": output([["dist/chunk-START.js", "import-statement"]], ["probes/uprobe.ts"]),
      "dist/chunk-COMPILER.js": output([["dist/chunk-START.js", "import-statement"]], ["compiler/compile.ts"]),
      "dist/cli_main.js": output([["dist/chunk-START.js", "import-statement"]], ["cli/main.ts"]),
      "dist/chunk-START.js.map": output([], ["tracer/tracer.ts"]),
    },
  } as unknown as Metafile;
  meta.outputs["dist/chunk-SHARED.js"].imports[0] = { path: "node:fs", kind: "import-statement", external: true } as never;
  assert.deepEqual(startOutputs(meta, "dist/mod.js").sort(), ["dist/chunk-SHARED.js", "dist/chunk-START.js", "dist/mod.js"]);
});

test("a chunk in a cycle of static imports stops the build: its functions could be called before it runs", () => {
  const meta = {
    inputs: {},
    outputs: {
      "dist/chunk-A.js": output([["dist/chunk-B.js", "import-statement"]], ["compiler/a.ts"]),
      "dist/chunk-B.js": output([["dist/chunk-C.js", "import-statement"]], ["compiler/b.ts"]),
      "dist/chunk-C.js": output([["dist/chunk-A.js", "import-statement"]], ["compiler/c.ts"]),
      "dist/chunk-D.js": output([["dist/chunk-A.js", "dynamic-import"]], ["compiler/d.ts"]),
    },
  } as unknown as Metafile;
  assert.throws(() => checkNoImportCycle(meta, "dist/chunk-A.js"), /cycle of static imports/);
  checkNoImportCycle(meta, "dist/chunk-D.js"); // a dynamic import waits for the module to run
});
