// Bun's copy of the library entries of the npm package ("tsbpf", "tsbpf/tool", "tsbpf/cli"), as
// bytecode. Bun has no code cache for ES modules: every start parsed the start chunk of dist/
// and compiled each function it ran on its first call, most of a warm start. A CommonJS module
// can carry the bytecode JavaScriptCore made of it ahead of time (a `.jsc` beside it), so on Bun
// package.json's "bun" condition sends those entries here instead. Bun uses a .jsc only when its
// own version built it; Deno never looks at them. Measured: bench/NOTES.md.
//
// Two files, as the ES module build splits: dist/bun_library.js is the start graph (what
// `import "tsbpf"` loads there, the tracepoint probe kind included); dist/bun_lazy.js everything
// else the entries reach (other probe kinds, exporters, the compiler's target, tsbpf/tool),
// loaded on the first import of one of its modules and given the start graph's modules, so one
// process has one copy of each. The compiler stays the separate compiler.bun.cjs (pack/bytecode.ts).
// dist/ENTRY.bun.js are the entries, a line each: this copy on the Bun that packed it, the ES
// modules on any other (whose .jsc it would ignore). The command (cli/main.ts) and a one-liner's
// runtime stay ES modules: a process runs either this copy (`bun run script.ts`) or the ES
// modules (under the tsbpf command or another Bun), never both.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BYTECODE_COMPILER, BYTECODE_DEFINE } from "./bytecode.ts";

/** The bytecode build in dist/ (Bun reads its bytecode from the same name + ".jsc"): what `import "tsbpf"` runs. */
export const BUN_LIBRARY = "bun_library.js";
/** The rest, loaded on the first import of a module outside the start graph (probe kinds, exporters, tsbpf/tool). */
export const BUN_LAZY = "bun_lazy.js";

/** package.json's entries that Bun takes from the bytecode build, and the file each one is: "tool/mod" → "tool_mod.bun.js". */
export const BUN_ENTRIES: Record<string, string> = { mod: "mod.bun.js", "tool/mod": "tool_mod.bun.js", "cli/mod": "cli_mod.bun.js" };

/** Bun's first line of a CommonJS file it runs as it is (its own build output's form). */
const CJS_PRAGMA = "// @bun @bun-cjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = "tsbpf-bun-library", SELF = "tsbpf-bun-self";

declare const Bun: undefined | {
  build(options: Record<string, unknown>): Promise<{ success: boolean; logs: unknown[]; outputs: { path: string }[] }>;
  revision: string;
};

/**
 * Bun's bundler fixes `import.meta.url` and `__filename` to the source's path at build time, and
 * a script (which a CommonJS module is) may not name `import.meta` at all: JavaScriptCore then
 * makes no bytecode. So each source's `import.meta` becomes this file's URL, taken when it loads
 * (the wrapper's fourth argument is its path), `import.meta.require` Bun's `require`, and
 * `import.meta.resolve` a resolve from this file.
 */
export function withoutImportMeta(source: string): string {
  return source
    .replace(/\(import\.meta as [^;]*?\)\.require/g, "require")
    .replace(/import\.meta\.require/g, "require")
    .replace(/import\.meta\.url/g, `require(${JSON.stringify(SELF)}).url`)
    .replace(/import\.meta\.resolve\(/g, `require(${JSON.stringify(SELF)}).resolve(`);
}

/** Writes dist/bun_library.js, dist/bun_lazy.js, their .jsc and the entries into `outdir`; the files written. Only Bun builds them. */
export async function buildBunLibrary(outdir: string, startGraph: Set<string>): Promise<string[]> {
  if (typeof Bun === "undefined") return [];
  const start = [...startGraph].filter((f) => f.endsWith(".ts")).sort();
  const lazy = new Set(Object.keys(BUN_ENTRIES).filter((e) => !startGraph.has(`${e}.ts`)).map((e) => `${e}.ts`));
  const get = (name: string, body: string) => `  get ${JSON.stringify(name)}() { return ${body}; },`;
  const startEntry = (shared: string[]) => [
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
    // What the lazy part takes from this one: the start graph's modules it imports, whole (each
    // one here costs its exports object on every start).
    `self.modules = {`,
    ...shared.map((f) => get(f, `require(${JSON.stringify(ROOT + f)})`)),
    `};`,
    `let lazy;`,
    `self.lazy = () => (lazy ??= require(${JSON.stringify(`./${BUN_LAZY}`)})({ url: self.url, resolve: self.resolve, modules: self.modules }));`,
    `module.exports = {`,
    ...Object.keys(BUN_ENTRIES).map((e) => get(e, lazy.has(`${e}.ts`) ? `self.lazy()[${JSON.stringify(`${e}.ts`)}]` : `require(${JSON.stringify(`${ROOT}${e}.ts`)})`)),
    `};`,
  ].join("\n");
  const toLazy: Route = (rel) => {
    if (startGraph.has(rel)) return undefined;
    lazy.add(rel);
    return { path: rel, namespace: "tsbpf-lazy" };
  };
  const lazyStub = (rel: string) => `module.exports = require(${JSON.stringify(SELF)}).lazy()[${JSON.stringify(rel)}];`;
  // Three builds: the start with every module shared, which finds what the lazy part holds; the
  // lazy part, which finds what it imports from the start; the start again, sharing only that.
  await build(outdir, BUN_LIBRARY, startEntry(start), toLazy, lazyStub);
  const shared = new Set<string>();
  const lazyEntry = [
    `const self = require(${JSON.stringify(SELF)});`,
    `module.exports = function lazyPart(host) {`,
    `  self.url = host.url;`,
    `  self.resolve = host.resolve;`,
    `  self.modules = host.modules;`,
    `  return {`,
    ...[...lazy].sort().map((f) => `  ${get(f, `require(${JSON.stringify(ROOT + f)})`)}`),
    `  };`,
    `};`,
  ].join("\n");
  const written = await build(outdir, BUN_LAZY, lazyEntry, (rel) => {
    if (!startGraph.has(rel)) return undefined;
    shared.add(rel);
    return { path: rel, namespace: "tsbpf-host" };
  }, (rel) => `module.exports = require(${JSON.stringify(SELF)}).modules[${JSON.stringify(rel)}];`);
  written.push(...await build(outdir, BUN_LIBRARY, startEntry([...shared].sort()), toLazy, lazyStub));
  // Another Bun ignores the .jsc and would parse the CommonJS source, which costs more than the
  // ES modules (measured 1.58x the CPU of the bytecode, ~1.05x the ES modules): it takes those.
  // The choice is the same for every entry of a process, so there is still one copy of tsbpf.
  for (const [name, file] of Object.entries(BUN_ENTRIES)) {
    const path = `${outdir}/${file}`, esm = `./${name.replaceAll("/", "_")}.js`; // pack/bundle.ts's bundledName
    const body = `module.exports = Bun.revision === ${JSON.stringify(Bun.revision)} ? require("./${BUN_LIBRARY}")[${JSON.stringify(name)}] : require(${JSON.stringify(esm)});`;
    writeFileSync(path, `${CJS_PRAGMA}\n(function(exports, require, module, __filename, __dirname) {${body}})\n`);
    written.push(path);
  }
  return written;
}

/** Bun's plugin hooks, as far as used here. */
// deno-lint-ignore no-explicit-any
type Hook = (options: { filter: RegExp; namespace?: string }, callback: (args: any) => unknown) => void;

type Route = (rel: string) => { path: string; namespace: string } | undefined;

/**
 * One CommonJS file with its bytecode: `entry`, and what it reaches, except the modules `route`
 * sends elsewhere (a namespace whose modules `stub` writes: a line taking them from the other part).
 */
async function build(outdir: string, naming: string, entry: string, route: Route, stub: (rel: string) => string): Promise<string[]> {
  const result = await Bun!.build({
    entrypoints: [ENTRY],
    outdir,
    naming,
    target: "bun",
    format: "cjs",
    bytecode: true,
    minify: { whitespace: true, syntax: true },
    external: ["@babel/parser", "esbuild", "bun:ffi", "bun", `./${BUN_LAZY}`],
    define: BYTECODE_DEFINE,
    plugins: [{
      name: "tsbpf-bun-library",
      setup(build: { onResolve: Hook; onLoad: Hook }) {
        build.onResolve({ filter: new RegExp(`^${ENTRY}$|^${SELF}$`) }, (args: { path: string }) => ({ path: args.path, namespace: "tsbpf" }));
        // The compiler is Bun's bytecode build of it beside this one (pack/bytecode.ts), which
        // tracer/compiler_module.ts loads by name: its fallback, the ES module, is not carried.
        build.onResolve({ filter: /\/compiler\/compile\.ts$/ }, (args: { path: string; importer: string }) =>
          args.importer.endsWith("/tracer/compiler_module.ts") ? { path: `./${BYTECODE_COMPILER}`, external: true } : undefined);
        build.onResolve({ filter: /\.ts$/ }, (args: { path: string; importer: string }) => {
          if (!args.importer.startsWith(ROOT)) return undefined; // the entry's own requires
          const path = resolve(dirname(args.importer), args.path);
          return path.startsWith(ROOT) ? route(path.slice(ROOT.length)) : undefined;
        });
        build.onLoad({ filter: /.*/, namespace: "tsbpf" }, (args: { path: string }) =>
          ({ contents: args.path === ENTRY ? entry : "module.exports = {};", loader: "js" }));
        for (const namespace of ["tsbpf-lazy", "tsbpf-host"]) {
          build.onLoad({ filter: /.*/, namespace }, (args: { path: string }) => ({ contents: stub(args.path), loader: "js" }));
        }
        build.onLoad({ filter: /\.ts$/ }, (args: { path: string }) =>
          ({ contents: withoutImportMeta(readFileSync(args.path, "utf8")), loader: "ts" }));
      },
    }],
  });
  if (!result.success) throw new AggregateError(result.logs, `pack/bun_library.ts: Bun could not build ${naming}`);
  const left = /import\.meta.{0,40}/.exec(readFileSync(`${outdir}/${naming}`, "utf8"));
  if (left) throw new Error(`pack/bun_library.ts: ${naming} still names import.meta, which a CommonJS module cannot: ${left[0]}`);
  const written = result.outputs.map((o) => o.path);
  if (!written.some((p) => p.endsWith(".jsc"))) throw new Error(`pack/bun_library.ts: Bun made no bytecode for ${naming} (it silently skips a file JavaScriptCore cannot compile as a script)`);
  return written;
}
