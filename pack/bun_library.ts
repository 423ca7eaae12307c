// Bun's copy of the library entries of the npm package ("tsbpf", "tsbpf/tool", "tsbpf/cli"), as
// bytecode. Bun has no code cache for ES modules: every start parsed the start chunk of dist/
// and compiled each function it ran on its first call, most of a warm start. A CommonJS module
// can carry the bytecode JavaScriptCore made of it ahead of time (a `.jsc` beside it), so on Bun
// package.json's "bun" condition sends those entries here instead. Measured, warm launch → first
// event: bench/NOTES.md. Bun uses the .jsc only when its own version built it, and otherwise
// parses the .cjs, so the files are right on every Bun; Deno never looks at them.
//
// dist/bun_library.js holds the whole graph the three entries reach, the lazy parts included
// (each is wrapped to run on its first import, as before), so one process has one copy of every
// module whichever entries it imports; dist/ENTRY.bun.js are the entries, each one line. The
// command (cli/main.ts) and a one-liner's runtime stay ES modules: a process runs either this
// copy (`bun run script.ts`) or the ES modules (under the tsbpf command), never both.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BYTECODE_COMPILER, BYTECODE_DEFINE } from "./bytecode.ts";

/** The bytecode build in dist/ (Bun reads its bytecode from the same name + ".jsc"). */
export const BUN_LIBRARY = "bun_library.js";

/** package.json's entries that Bun takes from the bytecode build, and the file each one is: "tool/mod" → "tool_mod.bun.js". */
export const BUN_ENTRIES: Record<string, string> = { mod: "mod.bun.js", "tool/mod": "tool_mod.bun.js", "cli/mod": "cli_mod.bun.js" };

/** Bun's first line of a CommonJS file it runs as it is (its own build output's form). */
const CJS_PRAGMA = "// @bun @bun-cjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = "tsbpf-bun-library", SELF = "tsbpf-bun-self";

declare const Bun: undefined | {
  build(options: Record<string, unknown>): Promise<{ success: boolean; logs: unknown[]; outputs: { path: string }[] }>;
};

/**
 * Bun's bundler fixes `import.meta.url` and `__filename` to the source's path at build time, and
 * a script (which a CommonJS module is) may not name `import.meta` at all: JavaScriptCore then
 * makes no bytecode. So each source's `import.meta` becomes this file's URL, taken when it loads
 * (the wrapper's fourth argument is its path), and `import.meta.require` Bun's `require`.
 */
export function withoutImportMeta(source: string): string {
  return source
    .replace(/\(import\.meta as [^;]*?\)\.require/g, "require")
    .replace(/import\.meta\.require/g, "require")
    .replace(/import\.meta\.url/g, `require(${JSON.stringify(SELF)}).url`);
}

/** Writes dist/bun_library.js, its .jsc and the entries into `outdir`; the files written. Only Bun builds it. */
export async function buildBunLibrary(outdir: string): Promise<string[]> {
  if (typeof Bun === "undefined") return [];
  const entries = Object.keys(BUN_ENTRIES).map((e) => `  get ${JSON.stringify(e)}() { return require(${JSON.stringify(`${ROOT}${e}.ts`)}); },`);
  const entry = [
    // The wrapper's arguments: (exports, require, module, __filename, __dirname), here unrewritten.
    `require(${JSON.stringify(SELF)}).url = require("node:url").pathToFileURL(arguments[3]).href;`,
    `module.exports = {`,
    ...entries,
    `};`,
  ].join("\n");
  const result = await Bun.build({
    entrypoints: [ENTRY],
    outdir,
    naming: BUN_LIBRARY,
    target: "bun",
    format: "cjs",
    bytecode: true,
    minify: { whitespace: true, syntax: true },
    external: ["@babel/parser", "esbuild", "bun:ffi", "bun"],
    define: BYTECODE_DEFINE,
    plugins: [{
      name: "tsbpf-bun-library",
      setup(build: { onResolve: Function; onLoad: Function }) {
        build.onResolve({ filter: new RegExp(`^${ENTRY}$|^${SELF}$`) }, (args: { path: string }) => ({ path: args.path, namespace: "tsbpf" }));
        // The compiler is Bun's bytecode build of it beside this one (pack/bytecode.ts), which
        // tracer/compiler_module.ts loads by name: its fallback, the ES module, is not carried.
        build.onResolve({ filter: /\/compiler\/compile\.ts$/ }, (args: { path: string; importer: string }) =>
          args.importer.endsWith("/tracer/compiler_module.ts") ? { path: `./${BYTECODE_COMPILER}`, external: true } : undefined);
        build.onLoad({ filter: /.*/, namespace: "tsbpf" }, (args: { path: string }) =>
          ({ contents: args.path === ENTRY ? entry : "module.exports = { url: undefined };", loader: "js" }));
        build.onLoad({ filter: /\.ts$/ }, (args: { path: string }) =>
          ({ contents: withoutImportMeta(readFileSync(args.path, "utf8")), loader: "ts" }));
      },
    }],
  });
  if (!result.success) throw new AggregateError(result.logs, "pack/bun_library.ts: Bun could not build the bytecode library");
  const written = result.outputs.map((o) => o.path);
  const left = /import\.meta.{0,40}/.exec(readFileSync(`${outdir}/${BUN_LIBRARY}`, "utf8"));
  if (left) throw new Error(`pack/bun_library.ts: the library still names import.meta, which a CommonJS module cannot: ${left[0]}`);
  if (!written.some((p) => p.endsWith(".jsc"))) throw new Error("pack/bun_library.ts: Bun made no bytecode for the library (it silently skips a file JavaScriptCore cannot compile as a script)");
  for (const [name, file] of Object.entries(BUN_ENTRIES)) {
    const path = `${outdir}/${file}`;
    writeFileSync(path, `${CJS_PRAGMA}\n(function(exports, require, module, __filename, __dirname) {module.exports = require("./${BUN_LIBRARY}")[${JSON.stringify(name)}];})\n`);
    written.push(path);
  }
  return written;
}
