// Bun's bytecode build of the compiler, beside the npm package's bundle (pack/bundle.ts): a cold
// start on Bun spends most of its time compiling the compiler's and the parser's ~340 functions
// on their first call; with the bytecode JavaScriptCore made ahead of time, it skips that.
//
// dist/compiler.bun.cjs holds compiler/ (with the lean parser; Babel stays external) as one
// CommonJS module, and dist/compiler.bun.cjs.jsc its bytecode. Bun uses the .jsc only when its
// own version built it, and otherwise parses the .cjs, so the file is right on every Bun.
// Deno, and a copy without dist/, import compiler/compile.ts as usual (tracer/compiler_module.ts).
//
// The module exports one function, given the modules the compiler shares with the rest of tsbpf
// (tracer/compiler_host.ts): they are not copied into it, so there stays one copy of each.
// Everything in it is wrapped to run when that function is called, not when the file loads.
// Besides compiler/, it holds only COPIED: tables and pure functions, no class, no state.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compilerHost } from "../tracer/compiler_host.ts";

/** The file in dist/; Bun reads its bytecode from the same name + ".jsc". */
export const BYTECODE_COMPILER = "compiler.bun.cjs";

/**
 * esbuild's `define` for the package's bundle: the name tracer/compiler_module.ts loads. Only
 * this build defines it, so no other build of tsbpf looks for a bytecode compiler at all.
 */
export const BYTECODE_DEFINE: Record<string, string> = { TSBPF_BYTECODE_COMPILER: JSON.stringify(BYTECODE_COMPILER) };

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = "tsbpf-bytecode-entry", HOST = "tsbpf-compiler-host";

/** Modules outside compiler/ that the bytecode build may hold its own copy of (the start does not load them). */
const COPIED = ["spec/bpf/helpers.ts", "spec/bpf/isa.ts", "spec/pin_name.ts", "spec/prog_type.ts"];

declare const Bun: undefined | {
  build(options: Record<string, unknown>): Promise<{ success: boolean; logs: unknown[]; outputs: { path: string }[] }>;
};

/**
 * Writes dist/compiler.bun.cjs and its .jsc into `outdir`; the files written. Only Bun makes
 * bytecode: run elsewhere, it writes nothing and the package's Bun users load the ESM chunk.
 */
export async function buildBytecodeCompiler(outdir: string): Promise<string[]> {
  if (typeof Bun === "undefined") return [];
  const host = compilerHost();
  for (const [path, given] of Object.entries(host)) {
    const missing = Object.keys(await import(resolve(ROOT, path))).filter((name) => !Object.hasOwn(given, name));
    if (missing.length) throw new Error(`pack/bytecode.ts: tracer/compiler_host.ts gives ${path} without ${missing.join(", ")}`);
  }
  const shared = new Set(Object.keys(host).map((p) => resolve(ROOT, p)));
  const entry = [
    `const host = require(${JSON.stringify(HOST)});`,
    `module.exports = function loadCompiler(modules) {`,
    `  if (host.modules && host.modules !== modules) throw new Error("tsbpf: the bytecode compiler was given two hosts");`,
    `  host.modules = modules;`,
    `  return require(${JSON.stringify(`${ROOT}compiler/compile.ts`)});`,
    `};`,
  ].join("\n");
  const result = await Bun.build({
    entrypoints: [ENTRY],
    outdir,
    naming: BYTECODE_COMPILER,
    target: "bun",
    format: "cjs",
    bytecode: true,
    minify: { whitespace: true, syntax: true },
    external: ["@babel/parser"],
    plugins: [{
      name: "tsbpf-compiler-host",
      setup(build: { onResolve: Function; onLoad: Function }) {
        build.onResolve({ filter: new RegExp(`^${ENTRY}$|^${HOST}$`) }, (args: { path: string }) => ({ path: args.path, namespace: "tsbpf" }));
        build.onResolve({ filter: /\.ts$/ }, (args: { path: string; importer: string }) => {
          const path = resolve(args.importer.slice(0, args.importer.lastIndexOf("/")), args.path);
          if (shared.has(path)) return { path: path.slice(ROOT.length), namespace: "tsbpf-host" };
          if (!path.startsWith(`${ROOT}compiler/`) && !COPIED.includes(path.slice(ROOT.length))) {
            throw new Error(`pack/bytecode.ts: the compiler imports ${path.slice(ROOT.length)}: add it to tracer/compiler_host.ts (or, if it has no class and no state, to COPIED)`);
          }
          return undefined;
        });
        build.onLoad({ filter: /.*/, namespace: "tsbpf" }, (args: { path: string }) =>
          ({ contents: args.path === ENTRY ? entry : "module.exports = { modules: undefined };", loader: "js" }));
        build.onLoad({ filter: /.*/, namespace: "tsbpf-host" }, (args: { path: string }) =>
          ({ contents: `module.exports = require(${JSON.stringify(HOST)}).modules[${JSON.stringify(args.path)}];`, loader: "js" }));
      },
    }],
  });
  if (!result.success) throw new AggregateError(result.logs, "pack/bytecode.ts: Bun could not build the bytecode compiler");
  return result.outputs.map((o) => o.path);
}
