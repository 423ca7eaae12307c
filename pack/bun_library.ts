// Bun's copy of the library entries of the npm package ("tsbpf", "tsbpf/tool", "tsbpf/cli"), as
// bytecode. Bun has no code cache for ES modules: every start parsed the start chunk of dist/
// and compiled each function it ran on its first call, most of a warm start. A CommonJS module
// can carry the bytecode JavaScriptCore made of it ahead of time (a `.jsc` beside it), so on Bun
// package.json's "bun" condition sends those entries here instead. Bun uses a .jsc only when its
// own version built it; Deno never looks at them. Measured: bench/NOTES.md.
//
// In parts, as the ES module build splits: dist/bun_library.js is the start graph (what
// `import "tsbpf"` loads there, the tracepoint probe kind included) less its modules a warm start
// does not run, which are dist/bun_seldom.js (SELDOM_ROOTS; JavaScriptCore reads a part's whole
// bytecode when it loads, run or not); dist/bun_compile.js what the first compile adds (the
// compiler and its target); dist/bun_oneliner.js what a one-liner's transform adds; dist/bun_lazy.js everything else the entries reach (other probe kinds,
// exporters, tsbpf/tool); and the command's and `tsbpf run`'s (below). Each loads on the first
// import of one of its modules and is given the start graph's part, through which it takes the
// other parts' modules, so one process has one copy of each. The compiler is in the compile part
// here, taking the modules it shares with the library from the start's part like any other part;
// dist/compiler.bun.cjs (pack/bytecode.ts) is the ES modules' (a Bun of another revision).
// dist/ENTRY.bun.js are the entries, a line each: this copy on the Bun that packed it, the ES
// modules on any other (whose .jsc it would ignore). The tsbpf command has entries here too
// (cli/main, the preload of `tsbpf run`, the one-liners' runtime): on that Bun, bin/tsbpf runs
// dist/cli_main.bun.js, and the modules the command hands to a script or one-liner are these
// entries (runtime/own_files.ts), so a process runs either this copy or the ES modules, never both.
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { codeDigest } from "./code_digest.ts";
import { codeVersionDefine } from "../tracer/code_version.ts";

/** The bytecode build in dist/ (Bun reads its bytecode from the same name + ".jsc"): what `import "tsbpf"` runs. */
export const BUN_LIBRARY = "bun_library.js";
/** The command's own modules (COMMAND_ROOTS), loaded by the tsbpf command's entries. */
export const BUN_CLI = "bun_cli.js";
/** `tsbpf run`'s own (RUN_ROOTS): its supervisor and the preload of its child, loaded by those only. */
export const BUN_RUN = "bun_run.js";
/** What a compile needs beyond those (the compiler, its target and the kernel's BTF), loaded by the first compile (COMPILE_ROOTS). */
export const BUN_COMPILE = "bun_compile.js";
/** The start graph's modules a warm start does not run (SELDOM_ROOTS), loaded on the first use of one of their exports. */
export const BUN_SELDOM = "bun_seldom.js";
/** What a one-liner's transform adds to those (ONELINER_ROOTS), loaded by `-e` when no kept script answers. */
export const BUN_ONELINER = "bun_oneliner.js";
/** The rest, loaded on the first import of a module outside those (probe kinds, exporters, tsbpf/tool). */
export const BUN_LAZY = "bun_lazy.js";
const PARTS = [BUN_LIBRARY, BUN_CLI, BUN_RUN, BUN_COMPILE, BUN_SELDOM, BUN_ONELINER, BUN_LAZY];
/** The bundler's namespace of the modules another part holds: "tsbpf-part-bun_lazy". */
const partNamespace = (part: string) => `tsbpf-part-${part.slice(0, -3)}`;

/**
 * The library's entries, each the module it exports: package.json's entries that Bun takes from
 * the bytecode build, and the command's own (runtime/own_files.ts ownModule names them). Each is
 * dist/NAME.bun.js, "tool/mod" → "tool_mod.bun.js".
 */
export const BUN_ENTRIES: Record<string, string> = {
  mod: "mod.ts", "tool/mod": "tool/mod.ts", "cli/mod": "cli/mod.ts",
  "cli/main": "cli/main.ts", "cli/preload": "cli/preload_session.ts", "cli/oneliner/oneliner_runtime": "cli/oneliner/oneliner_runtime.ts",
};

/**
 * Entries that run something rather than export: an ES module (it awaits, which a CommonJS
 * module cannot) calling the library's function, or loading the ES module build on another Bun.
 */
const RUNNING_ENTRIES: Record<string, (module: string) => string> = {
  "cli/main": (m) => `await (${m}).runCommand();`, // the ES module cli_main.js does not run as an import: no import.meta.main
  "cli/preload": (m) => `await (${m}).preloadSession?.();`, // cli_preload.js starts the session as it loads, and exports nothing
};

/** The entry file of `name` in dist/. */
export const bunEntryFile = (name: string): string => `${name.replaceAll("/", "_")}.bun.js`;

/** Bun's first line of a CommonJS file it runs as it is (its own build output's form); of an ES module. */
const CJS_PRAGMA = "// @bun @bun-cjs", BUN_PRAGMA = "// @bun";

/** runtime/own_files.ts's name for it, which cli/child_runtime.ts gives Bun under this build. */
export const BUN_RESOLVE_CONFIG = "resolve.bun.tsconfig.json";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = "tsbpf-bun-library", SELF = "tsbpf-bun-self";

declare const Bun: undefined | {
  build(options: Record<string, unknown>): Promise<{ success: boolean; logs: unknown[]; outputs: { path: string }[] }>;
  Transpiler: new (options: { loader: string }) => { scan(code: string): { exports: string[] } };
  revision: string;
};

/** What the rewrite below writes for this file's object, then made `require(SELF)` (a name no source can hold). */
const SELF_PLACEHOLDER = "__tsbpf_bun_self__";

/**
 * Bun's bundler fixes `import.meta.url` and `__filename` to the source's path at build time, and
 * a script (which a CommonJS module is) may not name `import.meta` at all: JavaScriptCore then
 * makes no bytecode. So each source's `import.meta` becomes this file's URL, taken when it loads
 * (the wrapper's fourth argument is its path), `import.meta.require` Bun's `require`,
 * `import.meta.resolve` a resolve from this file, and `import.meta.main` false (the library is no
 * main module: its entries call what a main module would run, RUNNING_ENTRIES). In code only:
 * esbuild rewrites the syntax tree (its define), so text that names import.meta (the code `tsbpf
 * build` writes, a string a module searches for) stays as it is. esbuild also strips the types,
 * as it does for the ES module build of the same sources (pack/bundle.ts).
 */
export async function withoutImportMeta(source: string, define: Record<string, string> = {}): Promise<string> {
  const { code } = await esbuild.transform(source, {
    loader: "ts",
    define: {
      ...define,
      "import.meta.url": `${SELF_PLACEHOLDER}.url`,
      "import.meta.resolve": `${SELF_PLACEHOLDER}.resolve`,
      "import.meta.require": "require",
      "import.meta.main": "false",
    },
  });
  return code.replaceAll(SELF_PLACEHOLDER, `require(${JSON.stringify(SELF)})`);
}

/** What pack/bundle.ts's esbuild metafile says of each source: the modules it imports, and how. */
export interface SourceImports {
  inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

/**
 * The sources the command's own paths load on Bun (beyond the start graph): what `-e` runs with
 * a kept script. Their part, dist/bun_cli.js, is small, so a warm one-liner loads no more code
 * than it runs; the transform, the compiler's target and the other commands stay in
 * dist/bun_lazy.js.
 */
export const COMMAND_ROOTS = ["cli/main.ts", "cli/oneliner/run_oneliner.ts", "cli/oneliner/oneliner_runtime.ts"];

/**
 * What `tsbpf run` adds to those: its supervisor (the child's command line, signals, a remote
 * script's download and TLS trust), the preload, and what cli/session.ts imports on use (the
 * child's link to `tsbpf run`, -d's timer). Their part, dist/bun_run.js, is not in a warm
 * one-liner's way: JavaScriptCore reads a part's whole bytecode when it loads (bench/NOTES.md,
 * warme11: ≈ 20 µs a KB at load).
 */
export const RUN_ROOTS = ["cli/preload_session.ts", "cli/commands/run.ts", "cli/parent_link.ts", "cli/long_timer.ts"];

/**
 * What a script's cold start imports beside the start graph: the compiler and its target
 * (tracer/tracer.ts imports both on the first compile). Their part, dist/bun_compile.js, holds
 * what they reach outside the start graph (the compiler, the BTF reader, the kernel's features),
 * so a cold start does not load the whole lazy part for them; and the commands of the lazy part
 * that compile (plan, dump, build) take the compiler from there, so the lazy part carries no copy
 * of its own (1.48 MB → 0.87 MB of .jsc, which every script with another probe kind or
 * tsbpf/tool reads: bench/NOTES.md, load14).
 */
export const COMPILE_ROOTS = ["tracer/compile_target.ts", "compiler/compile.ts"];

/**
 * What a cold one-liner imports beside the command's part and the compile's: the transform
 * (cli/oneliner/run_oneliner.ts imports it when no kept script answers). Its part,
 * dist/bun_oneliner.js, holds what it reaches outside those (the transform's ~25 modules), so a
 * cold `-e` no longer loads the whole lazy part for it (measured: bench/NOTES.md, cold10).
 */
export const ONELINER_ROOTS = ["cli/oneliner/oneliner.ts"];

/**
 * Modules of the start graph that a warm start of a script does not run: another map's class (a
 * script that uses one loads them), perf buffers (a kernel without BPF ring buffers), error
 * reports, the cold compile's checks, the Deno FFI (on Bun), pinning, pprof. Each goes, with what
 * only it imports, to dist/bun_seldom.js, and the modules that import it get an object whose
 * exports load that part on first use (synchronously: a require), so a warm start reads and links
 * less bytecode (8 % of the start's part; bench/NOTES.md). Only modules whose exports the warm
 * path does not touch (no `instanceof`, `extends` or use at the top level of a start module, nor
 * by a warm one-liner's command), whose classes no entry exports (seldomStandIn), and without
 * `export *`. One listed here that a warm start does use still works, and costs the part's load
 * (tests/kernel/bun_library.test.ts checks that a warm start never opens it).
 */
export const SELDOM_ROOTS = [
  "runtime/ffi/deno.ts", "runtime/maps/perf_reader.ts", "runtime/maps/ip_prefix.ts", "runtime/verifier_report.ts", "probes/tracepoint_format.ts",
  "tracer/compiler_host.ts", "runtime/package_place.ts", "runtime/cache_prune.ts", "runtime/open_pinned.ts", "export/pprof.ts", "runtime/socket.ts",
];

/**
 * Seldom modules (SELDOM_ROOTS) that every cold compile runs: a tracepoint's format. A warm start
 * runs none of them and a cold one all, so they go, with what only they import, to the compile part (dist/bun_compile.js) rather
 * than the seldom one: a cold start then loads one part fewer and none of the seldom part's other
 * bytes (JavaScriptCore reads a part's whole bytecode when it loads it; bench/NOTES.md, load14).
 * Not the check of where @babel/parser is (runtime/package_place.ts): it runs only when the lean
 * parser gives up on a source and Babel is imported (compiler/parse.ts's prepareParse).
 * Their stand-ins in the other parts load the compile part as they would the seldom one.
 */
export const COLD_SELDOM_ROOTS = ["probes/tracepoint_format.ts"];

/** The sources `roots` import statically, the roots included (type imports are gone in the metafile); `stops` are not entered. */
export function staticClosure(meta: SourceImports, roots: string[], stops: Set<string> = new Set()): Set<string> {
  const seen = new Set<string>(), todo = [...roots];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file) || stops.has(file)) continue;
    seen.add(file);
    for (const i of meta.inputs[file]?.imports ?? []) if (i.kind === "import-statement" && !i.external && i.path.endsWith(".ts")) todo.push(i.path);
  }
  return seen;
}

/**
 * The start graph's modules that only SELDOM_ROOTS lead to: the start graph less what mod.ts (and
 * any module pack/bundle.ts joined into the start chunk) reaches without entering them.
 */
export function seldomModules(meta: SourceImports, startGraph: Set<string>): Set<string> {
  const fromMod = staticClosure(meta, ["mod.ts"]);
  const roots = ["mod.ts", ...[...startGraph].filter((rel) => rel.endsWith(".ts") && !fromMod.has(rel))];
  const warm = staticClosure(meta, roots.filter((rel) => !SELDOM_ROOTS.includes(rel)), new Set(SELDOM_ROOTS));
  return new Set([...startGraph].filter((rel) => rel.endsWith(".ts") && !warm.has(rel)));
}

/**
 * Writes the parts (dist/bun_library.js, bun_cli.js, bun_run.js, bun_compile.js, bun_seldom.js, bun_oneliner.js, bun_lazy.js), their .jsc and the entries
 * into `outdir`; the files written. Only Bun builds them. `meta`: pack/bundle.ts's metafile.
 */
export async function buildBunLibrary(outdir: string, startGraph: Set<string>, meta: SourceImports): Promise<string[]> {
  if (typeof Bun === "undefined") return [];
  const command = staticClosure(meta, COMMAND_ROOTS), run = staticClosure(meta, RUN_ROOTS), compile = staticClosure(meta, COMPILE_ROOTS), oneliner = staticClosure(meta, ONELINER_ROOTS);
  const seldom = seldomModules(meta, startGraph);
  // Of those, what a cold compile runs: the compile part's (COLD_SELDOM_ROOTS).
  const missing = COLD_SELDOM_ROOTS.filter((rel) => !seldom.has(rel));
  if (missing.length) throw new Error(`pack/bun_library.ts: COLD_SELDOM_ROOTS names modules that are not seldom: ${missing.join(", ")}`);
  // Through seldom modules only: the walk must not go on into the start graph, which imports every seldom module.
  const coldSeldom = staticClosure(meta, COLD_SELDOM_ROOTS, new Set(Object.keys(meta.inputs).filter((rel) => !seldom.has(rel))));
  // A module both the command and a compile import (compiler/probe_decorators.ts, a table) goes
  // with the start graph: in either of their parts, a script's cold start or a warm one-liner
  // would load the other's part for it. Listed there, it runs only when first required.
  const start = (rel: string) => startGraph.has(rel) ? !seldom.has(rel) : (command.has(rel) || run.has(rel)) && compile.has(rel);
  // A module the transform shares with the command or a compile goes with them: a cold one-liner loads both.
  const partOf = (rel: string) => start(rel) ? BUN_LIBRARY : coldSeldom.has(rel) ? BUN_COMPILE : seldom.has(rel) ? BUN_SELDOM : command.has(rel) ? BUN_CLI : run.has(rel) ? BUN_RUN : compile.has(rel) ? BUN_COMPILE
    : oneliner.has(rel) ? BUN_ONELINER : BUN_LAZY;
  // Each part's table: the modules of its own that the others take (each one listed costs its
  // exports object when the part loads), and the entries' modules.
  const listed = new Map(PARTS.map((p) => [p, new Set<string>()]));
  for (const rel of [...startGraph, ...command, ...run, ...compile, ...oneliner]) if (rel.endsWith(".ts")) listed.get(partOf(rel))!.add(rel);
  // What each seldom module exports: the names its stand-in in the other parts defines (below).
  const seldomExports = new Map([...seldom].map((rel) => [rel, exportNames(rel)]));
  for (const m of Object.values(BUN_ENTRIES)) listed.get(partOf(m))!.add(m);
  const taken = new Map(PARTS.map((p) => [p, new Set<string>()]));
  const get = (name: string, body: string) => `  get ${JSON.stringify(name)}() { return ${body}; },`;
  const table = (rels: Iterable<string>) => [...rels].sort().map((f) => `  ${get(f, `require(${JSON.stringify(ROOT + f)})`)}`);
  const startEntry = (own: Iterable<string>) => [
    `const self = require(${JSON.stringify(SELF)});`,
    // The wrapper's arguments are (exports, require, module, __filename, __dirname), here not
    // rewritten; its URL as pathToFileURL makes it, without loading node:url (~1.5 ms on Bun).
    `if (typeof arguments[3] !== "string") throw new Error("tsbpf's dist/${BUN_LIBRARY} runs only as Bun loads a file; to bundle a tsbpf script, use tsbpf build");`,
    `const url = new URL("file:///");`,
    `url.pathname = arguments[3].replace(/[%\\t\\n\\r]/g, encodeURIComponent);`,
    `self.url = url.href;`,
    // import.meta.resolve(name) of a module of the package: the same walk up node_modules from
    // here, through the wrapper's own require (its second argument), as a file: URL.
    `const resolveFrom = arguments[1].resolve;`,
    `self.resolve = (name) => { const u = new URL("file:///"); u.pathname = resolveFrom(name).replace(/[%\\t\\n\\r]/g, encodeURIComponent); return u.href; };`,
    // The other parts load on the first use of one of their modules, and are given this one
    // (its URL, its resolve, and this way to every part's modules): one copy of each module.
    `const parts = { ${JSON.stringify(BUN_LIBRARY)}: {`,
    ...table(own),
    `} };`,
    // A require each, by a literal name: the bundler keeps those external (build's `external`).
    `self.part = (file) => (parts[file] ??= (${PARTS.slice(1, -1).map((p) => `file === ${JSON.stringify(p)} ? require(${JSON.stringify(`./${p}`)}) : `).join("")}require(${JSON.stringify(`./${BUN_LAZY}`)}))(self));`,
    `module.exports = {`,
    ...Object.entries(BUN_ENTRIES).map(([e, m]) => get(e, partOf(m) === BUN_LIBRARY ? `require(${JSON.stringify(`${ROOT}${m}`)})` : `self.part(${JSON.stringify(partOf(m))})[${JSON.stringify(m)}]`)),
    `};`,
  ].join("\n");
  const partEntry = (own: Iterable<string>) => [
    `const self = require(${JSON.stringify(SELF)});`,
    `module.exports = function part(host) {`,
    `  self.url = host.url;`,
    `  self.resolve = host.resolve;`,
    `  self.part = host.part;`,
    `  return {`,
    ...table(own),
    `  };`,
    `};`,
  ].join("\n");
  /** Builds `part`: its modules, and for every other module a line taking it from its part. */
  const buildPart = (part: string, own: Iterable<string>) => build(outdir, part, part === BUN_LIBRARY ? startEntry(own) : partEntry(own), seldomExports, partOf, (rel) => {
    const other = partOf(rel);
    if (other === part) return undefined;
    listed.get(other)!.add(rel);
    taken.get(other)!.add(rel);
    return { path: rel, namespace: partNamespace(other) };
  });
  // Each part with every module listed, which finds what each takes from the others (the lazy
  // part last: the others add to it); then the start and the command's part again, listing only
  // what is taken (and the entries).
  await buildPart(BUN_LIBRARY, listed.get(BUN_LIBRARY)!);
  await buildPart(BUN_CLI, listed.get(BUN_CLI)!);
  await buildPart(BUN_RUN, listed.get(BUN_RUN)!);
  // The compile part lists all its own modules (a few), so the lazy part may take any of them.
  const written = await buildPart(BUN_COMPILE, listed.get(BUN_COMPILE)!);
  // So does the seldom part: any other part may take any of them.
  written.push(...await buildPart(BUN_SELDOM, listed.get(BUN_SELDOM)!));
  // And the one-liner part.
  written.push(...await buildPart(BUN_ONELINER, listed.get(BUN_ONELINER)!));
  written.push(...await buildPart(BUN_LAZY, listed.get(BUN_LAZY)!));
  const entriesOf = (part: string) => Object.values(BUN_ENTRIES).filter((m) => partOf(m) === part);
  written.push(...await buildPart(BUN_LIBRARY, taken.get(BUN_LIBRARY)!));
  written.push(...await buildPart(BUN_CLI, new Set([...taken.get(BUN_CLI)!, ...entriesOf(BUN_CLI)])));
  written.push(...await buildPart(BUN_RUN, new Set([...taken.get(BUN_RUN)!, ...entriesOf(BUN_RUN)])));
  // Another Bun ignores the .jsc and would parse the CommonJS source, which costs more than the
  // ES modules (measured 1.58x the CPU of the bytecode, ~1.05x the ES modules): it takes those.
  // The choice is the same for every entry of a process, so there is still one copy of tsbpf.
  for (const name of Object.keys(BUN_ENTRIES)) {
    const path = `${outdir}/${bunEntryFile(name)}`, esm = `./${name.replaceAll("/", "_")}.js`; // pack/bundle.ts's bundledName
    const ours = `Bun.revision === ${JSON.stringify(Bun.revision)}`, library = `require("./${BUN_LIBRARY}")[${JSON.stringify(name)}]`;
    const running = RUNNING_ENTRIES[name];
    writeFileSync(path, running
      ? `${BUN_PRAGMA}\nconst require = import.meta.require;\n${running(`${ours} ? ${library} : await import(${JSON.stringify(esm)})`)}\n`
      : `${CJS_PRAGMA}\n(function(exports, require, module, __filename, __dirname) {module.exports = ${ours} ? ${library} : require(${JSON.stringify(esm)});})\n`);
    written.push(path);
  }
  // What `tsbpf run` gives Bun (--tsconfig-override) when the command runs from here: a script's
  // "tsbpf" is this copy too (pack/bundle.ts's resolve.tsconfig.json names the ES modules).
  const names: Record<string, string> = { tsbpf: bunEntryFile("mod"), "tsbpf/kernel": "kernel.js", "tsbpf/tool": bunEntryFile("tool/mod"), "tsbpf/cli": bunEntryFile("cli/mod") };
  const paths: Record<string, string[]> = {};
  for (const [name, file] of Object.entries(names)) paths[name] = paths[`npm:${name}`] = [`./${file}`];
  writeFileSync(`${outdir}/${BUN_RESOLVE_CONFIG}`, JSON.stringify({ compilerOptions: { paths } }, null, 2) + "\n");
  written.push(`${outdir}/${BUN_RESOLVE_CONFIG}`);
  return written;
}

/** Bun's plugin hooks, as far as used here. */
// deno-lint-ignore no-explicit-any
type Hook = (options: { filter: RegExp; namespace?: string }, callback: (args: any) => unknown) => void;

type Route = (rel: string) => { path: string; namespace: string } | undefined;

/** What a module of the seldom part exports: its names, and which of them are functions (`export function`). */
interface SeldomExports {
  names: string[];
  functions: Set<string>;
}

/** What `rel` (a source of the package) exports; it may not re-export a whole module (`export *`), whose names are not listed. */
function exportNames(rel: string): SeldomExports {
  const source = readFileSync(ROOT + rel, "utf8");
  if (/^export \*/m.test(source)) throw new Error(`pack/bun_library.ts: ${rel} (SELDOM_ROOTS, or only they import it) has an \`export *\`, whose names its stand-in cannot define`);
  const names = new Bun!.Transpiler({ loader: "ts" }).scan(source).exports;
  return { names, functions: new Set([...source.matchAll(/^export (?:async )?function\s*\*?\s*(\w+)/gm)].map((m) => m[1])) };
}

/**
 * The stand-in for a module of the seldom part (or a seldom one the compile part holds,
 * COLD_SELDOM_ROOTS) in another part. Bun's import of a CommonJS
 * module (an entry, dist/mod.bun.js) reads every export when it loads: so a function is a function
 * of the same name that loads the part on its first call and calls the module's own, and any other
 * export a getter that loads the part (a require, as synchronous as the module itself) and reads
 * the module's own. Until then nothing of the part is read. A class exported by an entry would load
 * the part at every start: such a module is not seldom.
 */
function seldomStandIn(rel: string, exported: SeldomExports, part: string): string {
  const load = `(m ??= require(${JSON.stringify(SELF)}).part(${JSON.stringify(part)})[${JSON.stringify(rel)}])`;
  return [
    `var m;`,
    ...[...exported.functions].map((n) => `function ${n}() { return ${load}.${n}.apply(this, arguments); }`),
    `module.exports = {`,
    ...exported.names.map((n) => exported.functions.has(n) ? `  ${n},` : `  get ${JSON.stringify(n)}() { return ${load}[${JSON.stringify(n)}]; },`),
    `};`,
  ].join("\n");
}

let codeDefines: Record<string, string> | undefined;
/** The code's digest for tracer/code_version.ts, as the ES module build has it (pack/code_digest.ts). */
const codeDefine = () => (codeDefines ??= codeVersionDefine(codeDigest(ROOT)));

/**
 * One CommonJS file with its bytecode: `entry`, and what it reaches, except the modules `route`
 * sends to another part (namespace tsbpf-part-FILE: a line taking the module from that part).
 */
async function build(outdir: string, naming: string, entry: string, seldomExports: Map<string, SeldomExports>, partOf: (rel: string) => string, route: Route): Promise<string[]> {
  const result = await Bun!.build({
    entrypoints: [ENTRY],
    outdir,
    naming,
    target: "bun",
    format: "cjs",
    bytecode: true,
    minify: { whitespace: true, syntax: true },
    external: ["@babel/parser", "esbuild", "bun:ffi", "bun", ...PARTS.slice(1).map((p) => `./${p}`)],
    plugins: [{
      name: "tsbpf-bun-library",
      setup(build: { onResolve: Hook; onLoad: Hook }) {
        build.onResolve({ filter: new RegExp(`^${ENTRY}$|^${SELF}$`) }, (args: { path: string }) => ({ path: args.path, namespace: "tsbpf" }));
        build.onResolve({ filter: /\.ts$/ }, (args: { path: string; importer: string }) => {
          if (!args.importer.startsWith(ROOT)) return undefined; // the entry's own requires
          const path = resolve(dirname(args.importer), args.path);
          return path.startsWith(ROOT) ? route(path.slice(ROOT.length)) : undefined;
        });
        build.onLoad({ filter: /.*/, namespace: "tsbpf" }, (args: { path: string }) =>
          ({ contents: args.path === ENTRY ? entry : "module.exports = {};", loader: "js" }));
        for (const part of PARTS) {
          build.onLoad({ filter: /.*/, namespace: partNamespace(part) }, (args: { path: string }) => ({
            contents: seldomExports.has(args.path) ? seldomStandIn(args.path, seldomExports.get(args.path)!, partOf(args.path))
              : `module.exports = require(${JSON.stringify(SELF)}).part(${JSON.stringify(part)})[${JSON.stringify(args.path)}];`,
            loader: "js",
          }));
        }
        build.onLoad({ filter: /\.ts$/ }, async (args: { path: string }) =>
          ({ contents: await withoutImportMeta(readFileSync(args.path, "utf8"), codeDefine()), loader: "js" }));
      },
    }],
  });
  if (!result.success) throw new AggregateError(result.logs, `pack/bun_library.ts: Bun could not build ${naming}`);
  const written = result.outputs.map((o) => o.path);
  if (!written.some((p) => p.endsWith(".jsc"))) throw new Error(`pack/bun_library.ts: Bun made no bytecode for ${naming} (it silently skips a file JavaScriptCore cannot compile as a script)`);
  return written;
}
