// The npm package's pre-bundled module graph (pack/bundle.ts): what a warm start loads, that the
// lazy parts stay lazy, that every entry point shares one copy of each module, and that tsbpf
// still tells its own frames from the user's when it runs from dist/.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { BUN_PRAGMA, bundledName, bundlePackage, ENTRIES } from "../../pack/bundle.ts";
import { callerOf } from "../../probes/decorators.ts";
import type { Metafile } from "esbuild";
import { parse } from "@babel/parser";

/** Bundled once for the file (a private temporary directory), removed at the end. */
const root = mkdtempSync(`${tmpdir()}/tsbpf-bundle-`);
const dist = `${root}/dist`;
let built: Promise<Metafile> | undefined;
const bundle = () => (built ??= bundlePackage(dist));
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(root, { recursive: true, force: true }));

/** The sources in the outputs a static import of `entry` loads, and how many files that is. */
function staticGraph(meta: Metafile, entry: string): { files: number; inputs: Set<string> } {
  const outputs = new Map(Object.entries(meta.outputs).map(([path, out]) => [path.slice(path.lastIndexOf("/dist/") + 1), out]));
  const seen = new Set<string>(), inputs = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const out = outputs.get(file);
    assert.ok(out, `no output ${file}`);
    for (const input of Object.keys(out.inputs)) inputs.add(input);
    for (const i of out.imports) if (i.kind === "import-statement" && !i.external) visit(i.path.slice(i.path.lastIndexOf("/dist/") + 1));
  };
  visit(`dist/${entry}`);
  return { files: seen.size, inputs };
}

test('import "tsbpf" from the bundle loads a few files and neither the compiler, the parser, nor BTF', async () => {
  const { files, inputs } = staticGraph(await bundle(), bundledName("mod"));
  assert.ok(inputs.has("tracer/tracer.ts"), "the walk did not reach the tracer: it is broken");
  // Not the runtime bindings (runtime/ffi/bun.ts, deno.ts): one of them loads on every start
  // anyway, and libcSync() opens the binding synchronously when a script calls a synchronous
  // function (cgroupId) before anything awaited libc(); the other costs ~5 KB of parsing.
  const lazy = [...inputs].filter((f) => /^compiler\/(?!assumptions\.ts)|^btf\/reader|^runtime\/symbolize\/|^export\/(otlp|prometheus)\.ts|babel/.test(f));
  assert.deepEqual(lazy, [], `loaded on every start: ${lazy.join(", ")}`);
  // 73 source modules: one chunk (a runtime pays per file it loads), beside mod.js and esbuild's helpers.
  assert.ok(inputs.size > 60, `the walk found only ${inputs.size} sources: it is broken`);
  assert.ok(files <= 4, `import "tsbpf" loads ${files} files of the bundle`);
});

test('import "tsbpf" loads no exporter, pinning, downloader or handler statistics: they load on use', async () => {
  const { inputs } = staticGraph(await bundle(), bundledName("mod"));
  assert.ok(inputs.has("tracer/loader.ts"), "the walk did not reach the loader: it is broken");
  // A start reads only whether they are asked for (metrics_default.ts, stats_default.ts, remote.ts, the OTLP endpoint).
  const onUse = [...inputs].filter((f) =>
    /^export\/(?!metrics_default\.ts|pprof\.ts)|^runtime\/(download|pin_dir|pin_meta|maps\/pinned_field)\.ts|^tracer\/(pinned_map|pinned_tracer|handler_stats)\.ts/.test(f)
  );
  assert.deepEqual(onUse, [], `loaded on every start: ${onUse.join(", ")}`);
});

test("a tracepoint start loads one more file of the bundle: the probe kind's re-export of the start chunk", async () => {
  const meta = await bundle();
  const { files } = staticGraph(meta, bundledName("mod"));
  const outputs = Object.entries(meta.outputs);
  const kind = outputs.find(([, out]) => out.entryPoint === "probes/tracepoint.ts");
  assert.ok(kind, "no output for the dynamic import of probes/tracepoint.ts: the walk is broken");
  // Itself and the start chunk, which import "tsbpf" loaded already (mod.js and that chunk).
  const reached = staticGraph(meta, kind[0].slice(kind[0].lastIndexOf("/dist/") + 6));
  assert.equal(files, 2, `import "tsbpf" loads ${files} files of the bundle`);
  assert.equal(reached.files, 2, `the tracepoint probe kind loads ${reached.files} files`);
});

test("the compiler's and the lean parser's chunks define the functions a cold compile runs as V8 compiles eagerly, and only those", async () => {
  const meta = await bundle();
  const chunk = (source: string) => {
    const path = Object.keys(meta.outputs).find((p) => p.endsWith(".js") && source in meta.outputs[p].inputs);
    assert.ok(path, `no output holds ${source}`);
    const body = parse(readFileSync(`${dist}/${path.slice(path.lastIndexOf("/") + 1)}`, "utf8"), { sourceType: "module" }).program.body;
    const declared = body.flatMap((n) => n.type === "FunctionDeclaration" ? [n.id!.name] : []);
    const eager = body.flatMap((n) => n.type === "VariableDeclaration" && n.declarations.length === 1 && n.declarations[0].init?.type === "FunctionExpression" && n.declarations[0].init.extra?.parenthesized ? [(n.declarations[0].id as { name: string }).name] : []);
    return { declared, eager };
  };
  // Run by every compile (Deno's code cache keeps them), and run only on an error (compiled on first call, if ever).
  const compiler = chunk("compiler/compile.ts"), parser = chunk("compiler/parse.ts");
  for (const name of ["compile", "compileParsed", "collect", "fold", "dce", "allocate", "emit"]) assert.ok(compiler.eager.includes(name), `${name} is not compiled eagerly`);
  for (const name of ["leanParse", "parseSource"]) assert.ok(parser.eager.includes(name), `${name} is not compiled eagerly`);
  assert.ok(parser.declared.includes("tooDeep"), "tooDeep (only for a too deeply nested source) is compiled eagerly");
  assert.ok(compiler.declared.length > 20, `only ${compiler.declared.length} of the compiler's functions left to compile on first call`);
});

test("the bundle's compiler, rewritten to compile eagerly, compiles what the sources' compiler does, instruction for instruction", { timeout: 300_000 }, async () => {
  const meta = await bundle();
  const entry = Object.entries(meta.outputs).find(([, out]) => out.entryPoint === "compiler/compile.ts");
  assert.ok(entry, "no output for the dynamic import of compiler/compile.ts");
  const repo = new URL("../..", import.meta.url).pathname;
  // Babel, for what the lean parser gives up on, is found beside dist/ as in the package.
  if (!existsSync(`${root}/node_modules`)) symlinkSync(`${repo}node_modules`, `${root}/node_modules`);
  const script = `${root}/same_compile.ts`;
  writeFileSync(script, [
    `import { compile } from ${JSON.stringify(`${repo}compiler/mod.ts`)};`,
    `import { fakeTarget } from ${JSON.stringify(`${repo}tests/unit/fake_target.ts`)};`,
    `import { handlersSource } from ${JSON.stringify(`${repo}tests/unit/handler_source.ts`)};`,
    `import { CASES, FUNCTIONS } from ${JSON.stringify(`${repo}tests/unit/language_cases.ts`)};`,
    `import { FUNCTIONS as CODEGEN, program } from ${JSON.stringify(`${repo}tests/unit/codegen_programs.ts`)};`,
    `import { CORPUS, fuzzSource, grow, mutate } from ${JSON.stringify(`${repo}tests/unit/fuzz_cases.ts`)};`,
    `import { prng } from ${JSON.stringify(`${repo}tests/kernel/expressions.ts`)};`,
    `const bundled = await import(${JSON.stringify(`${dist}/${entry[0].slice(entry[0].lastIndexOf("/") + 1)}`)});`,
    `const target = fakeTarget(), rand = prng(20261205);`,
    `const sources = [handlersSource(CASES.map(([, body]) => "    " + body), FUNCTIONS)];`,
    `for (let i = 0; i < 60; i += 20) { const p = Array.from({ length: 20 }, (_, k) => program(rand, i + k)); sources.push(handlersSource(p.map((x) => x.body), CODEGEN + p.map((x) => x.extra).join(""))); }`,
    `for (let i = 0; i < 150; i++) { const b = mutate(CORPUS[i % CORPUS.length], rand); sources.push(fuzzSource(i % 10 ? b : grow(b, rand))); }`,
    `const outcome = (run) => { try { return JSON.stringify(run()); } catch (e) { return "error " + e.message; } };`,
    `let compiled = 0, differ = 0;`,
    `for (const source of sources) {`,
    `  await bundled.prepareParse(source, () => {});`,
    `  const mine = outcome(() => bundled.compile(source, "/test/handler.ts", target)), theirs = outcome(() => compile(source, "/test/handler.ts", target));`,
    `  if (mine !== theirs && differ++ === 0) console.log("differs:", source, "\\n", mine.slice(0, 300), "\\n", theirs.slice(0, 300));`,
    `  if (!theirs.startsWith("error")) compiled++;`,
    `}`,
    `console.log(\`\${sources.length} sources, \${compiled} compiled, \${differ} differ\`);`,
  ].join("\n"));
  // Deno: the repository's configuration, which makes "@babel/parser" of the sources' compiler a dependency.
  const args = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" ? [script] : ["run", "-A", "--quiet", "--config", `${repo}deno.json`, script];
  const out = execFileSync(process.execPath, args, { encoding: "utf8", cwd: repo }).trim();
  const [, total, compiled, differ] = /(\d+) sources, (\d+) compiled, (\d+) differ$/.exec(out) ?? [];
  assert.equal(differ, "0", out);
  assert.ok(Number(compiled) >= 10 && Number(compiled) < Number(total), `only ${compiled} of ${total} compiled, or all did: the comparison is broken`);
});

test("every file of the bundle starts with Bun's pragma, so Bun runs it without transpiling it again", async () => {
  const meta = await bundle();
  const files = Object.keys(meta.outputs).filter((p) => p.endsWith(".js"));
  assert.ok(files.length > 10, `only ${files.length} files: the walk is broken`);
  for (const p of files) {
    const first = readFileSync(`${dist}/${p.slice(p.lastIndexOf("/dist/") + 6)}`, "utf8").split("\n", 1)[0];
    assert.equal(first, BUN_PRAGMA, `${p} starts with ${JSON.stringify(first.slice(0, 40))}`);
  }
});

test("the bundle runs on this runtime, and its entry points share one copy of tsbpf", async () => {
  await bundle();
  const probe = `${root}/probe.mjs`;
  writeFileSync(probe, [
    `const mod = await import(${JSON.stringify(`${dist}/${bundledName("mod")}`)});`,
    `const cli = await import(${JSON.stringify(`${dist}/${bundledName("cli/mod")}`)});`,
    `const tool = await import(${JSON.stringify(`${dist}/${bundledName("tool/mod")}`)});`,
    // One instance: the JSON switch set through "tsbpf" is the one "tsbpf/tool" reads (emit prints JSON).
    `mod.setJsonOutput(true);`,
    `tool.emit({ a: 1 }, () => "text");`,
    `console.log(typeof mod.Tracer, typeof cli.cliOptions.active);`,
    // Classes keep their names (messages name them: "HashMap's pin"), though the bundle is minified.
    `for (const [name, value] of Object.entries(mod)) if (/^[A-Z]/.test(name) && typeof value === "function" && value.name !== name) console.log("renamed", name, value.name);`,
  ].join("\n"));
  const args = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" ? [probe] : ["run", "-A", "--quiet", probe];
  const out = execFileSync(process.execPath, args, { encoding: "utf8" }).trim();
  assert.equal(out, '{"a":1}\nfunction boolean');
});

test("every entry of the bundle is a module tsbpf names (runtime/own_files.ts ownModule's names)", async () => {
  const meta = await bundle();
  const outputs = Object.keys(meta.outputs).map((p) => p.slice(p.lastIndexOf("/dist/") + 6));
  for (const e of ENTRIES) assert.ok(outputs.includes(bundledName(e)), `${e} → ${bundledName(e)} missing`);
  assert.equal(bundledName("cli/oneliner/oneliner_runtime"), "cli_oneliner_oneliner_runtime.js");
});

test("every module tsbpf loads by name (ownModule) is an entry of the bundle", () => {
  // Bundled, ownModule("x/y") is dist/x_y.js: a name missing from ENTRIES would be a missing file.
  const root = new URL("../..", import.meta.url).pathname;
  const named = new Set<string>();
  for (const dir of ["cli", "runtime", "tracer", "tool", "build", "probes", "export"]) {
    for (const f of readdirSync(`${root}${dir}`, { recursive: true }) as string[]) {
      if (!f.endsWith(".ts")) continue;
      for (const m of readFileSync(`${root}${dir}/${f}`, "utf8").matchAll(/ownModule\(\s*"([^"]+)"\s*\)/g)) named.add(m[1]);
    }
  }
  assert.ok(named.has("cli/preload"), "the scan found no ownModule call: it is broken");
  assert.deepEqual([...named].filter((n) => !ENTRIES.includes(n)), []);
});

test("callerOf: the bundle's chunks in dist/ are tsbpf's own frames", () => {
  const own = "file:///p/node_modules/tsbpf/";
  const stack = `Error\n    at a (/p/node_modules/tsbpf/dist/chunk-AB12CD34.js:1:2000)\n    at b (/p/node_modules/tsbpf/dist/mod.js:1:10)\n    at c (/p/trace.ts:6:4)`;
  assert.equal(callerOf(stack, own), "/p/trace.ts");
});

test("the bundle's caches key their entries by the digest of the code it was built from, which a start does not compute", async () => {
  const meta = await bundle();
  const code = Object.keys(meta.outputs).filter((p) => p.endsWith(".js")).map((p) => readFileSync(`${dist}/${p.slice(p.lastIndexOf("/") + 1)}`, "utf8")).join("\n");
  const digests = new Set(code.match(/tsbpf \d+\.\d+\.\d+\S* sha256:[0-9a-f]{64}/g));
  assert.equal(digests.size, 1, `the code's digest in the bundle: ${[...digests].join(", ") || "none"}`);
  // Nor does any chunk keep the clone's way (tracer/code_version.ts's stamp of the sources' files).
  assert.ok(!code.includes("`sources ${"), "the bundle still stamps the source files");
  const { codeDigest } = await import("../../pack/code_digest.ts");
  assert.deepEqual([...digests], [codeDigest(new URL("../../", import.meta.url).pathname)]);
});
