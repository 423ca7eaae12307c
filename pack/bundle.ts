// The npm package's pre-bundled module graph (pack/emit.sh, before `npm pack`): "tsbpf" and its
// other entry points as a few minified ES modules in dist/, so a warm start loads ~35 files
// instead of ~75 sources. Deno and Bun both run it (package.json "exports"; bin/tsbpf).
//
// One build with code splitting, never one per entry: "tsbpf", "tsbpf/tool", the command line,
// its preload and the one-liners' runtime must share one instance of every module (one Tracer
// class, one libc, one session). What tsbpf imports lazily (the compiler, probe kinds, Bun's
// and Deno's FFI) stays lazy: a chunk loaded on first use.
//
// dist/ sits one level below the package root, as runtime/ does, so a chunk's `new URL("..",
// import.meta.url)` is the package root either way (runtime/own_files.ts, which also maps
// tsbpf's module names to these files: keep ENTRIES and ownModule in step).
//
//   bun pack/bundle.ts [OUTDIR]     (default: dist/ in the repository)
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BYTECODE_DEFINE, buildBytecodeCompiler } from "./bytecode.ts";
import { buildBunLibrary } from "./bun_library.ts";
import { coldFunctions } from "./cold_functions.ts";
import { codeDigest } from "./code_digest.ts";
import { codeVersionDefine } from "../tracer/code_version.ts";
import { compileEagerly, eagerOutputs, startOutputs } from "./eager_compile.ts";

/** The first line of every file of the bundle (see OPTIONS.banner). */
export const BUN_PRAGMA = "// @bun";

/** tsbpf's own modules that are loaded by URL or by name (runtime/own_files.ts ownModule). */
export const ENTRIES = ["mod", "kernel", "tool/mod", "cli/mod", "cli/main", "cli/preload", "cli/oneliner/oneliner_runtime"];

/** The file an entry becomes: "cli/main" → "cli_main.js" (flat: every chunk one level below the root). */
export const bundledName = (entry: string): string => `${entry.replaceAll("/", "_")}.js`;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Builds the bundle into `outdir`; returns esbuild's metafile (what each output holds and imports). */
export async function bundlePackage(outdir: string): Promise<esbuild.Metafile> {
  // First the plain split, to learn which sources `import "tsbpf"` loads; then the bundle in which
  // every other entry and lazy chunk imports them all (see joinStartGraph).
  // The code's digest, for the keys of its caches (tracer/code_version.ts): made now, read by no start.
  const options = { ...OPTIONS, define: { ...OPTIONS.define, ...codeVersionDefine(codeDigest(ROOT)) } };
  const first = await esbuild.build({ ...options, outdir, write: false, plugins: [joinIntoStart()] });
  const result = await esbuild.build({ ...options, outdir, plugins: [joinIntoStart(), joinStartGraph(staticInputs(first.metafile, "mod"))] });
  // The compiler's chunks: Deno's code cache keeps the functions a cold start runs; the start
  // graph's: all of theirs, which a warm start compiled on every run.
  const eager = eagerOutputs(result.metafile, staticInputs(result.metafile, "mod"));
  compileEagerly(outdir, result.metafile, eager, await coldFunctions(outdir, result.metafile, eager));
  const start = startOutputs(result.metafile, Object.keys(result.metafile.outputs).find((path) => path.endsWith(`/${bundledName("mod")}`))!);
  compileEagerly(outdir, result.metafile, start, new Map(start.map((path) => [path, "every" as const])));
  writeResolveConfig(outdir);
  return result.metafile;
}

const OPTIONS: esbuild.BuildOptions & { metafile: true } = {
  absWorkingDir: ROOT,
  entryPoints: ENTRIES.map((e) => ({ in: `${e}.ts`, out: bundledName(e).slice(0, -3) })),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  // Whitespace and syntax only: identifiers keep their names, so classes and functions keep theirs
  // (HashMap.name, an error's name; what users see in messages). esbuild's keepNames would do it
  // with a helper call per declaration, 2.5 MB more of peak memory on Bun.
  minifyWhitespace: true,
  minifySyntax: true,
  chunkNames: "chunk-[hash]",
  // Bun runs a file that starts with this pragma as it is, without its transpiler: every file
  // here is plain ES2022 already. Without it, Bun transpiled each file on every start unless its
  // on-disk transpiler cache had it, and bin/tsbpf turns that cache off (another user could
  // write it). Measured, warm launch with the cache off: 40 -> 29 ms CPU, 50.3 -> 46.1 MB peak;
  // with it on, 29 -> 28 ms, 46.4 -> 46.0 MB. Deno reads it as a comment.
  banner: { js: BUN_PRAGMA },
  // The package's dependency, the optional esbuild (tsbpf build), and the runtimes' own modules.
  external: ["@babel/parser", "esbuild", "bun:ffi", "bun"],
  metafile: true,
  logLevel: "warning",
  define: BYTECODE_DEFINE, // tracer/compiler_module.ts: on Bun, the compiler as bytecode (pack/bytecode.ts)
};

/** The sources in the outputs that a static import of `entry` loads. */
export function staticInputs(meta: esbuild.Metafile, entry: string): Set<string> {
  const outputs = new Map(Object.entries(meta.outputs).map(([path, out]) => [path.slice(path.lastIndexOf("/") + 1), out]));
  const seen = new Set<string>(), inputs = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const out = outputs.get(file);
    if (!out) throw new Error(`pack/bundle.ts: no output ${file}`);
    for (const input of Object.keys(out.inputs)) inputs.add(input);
    for (const i of out.imports) if (i.kind === "import-statement" && !i.external) visit(i.path.slice(i.path.lastIndexOf("/") + 1));
  };
  visit(bundledName(entry));
  return inputs;
}

/**
 * Modules that tsbpf imports lazily but nearly every start loads: the tracepoint probe kind (the
 * commonest) and what every probe kind's attach shares. Lazy, they came out as 6 files of ~10 KB
 * in all, each a file the runtime opens and links on the way to the first event; in the start
 * chunk they cost only their parse. The dynamic import stays (a small file that re-exports).
 */
export const JOINED_INTO_START = ["probes/tracepoint.ts", "probes/tracepoint_format.ts", "probes/names.ts", "probes/errors.ts", "probes/tracefs.ts", "probes/wildcard.ts", "elf/glob.ts"];

/** mod.ts as bundled: with JOINED_INTO_START imported, which puts them in the start graph. */
function joinIntoStart(): esbuild.Plugin {
  const mod = `${ROOT}mod.ts`;
  return {
    name: "join-into-start",
    setup(build) {
      build.onLoad({ filter: /mod\.ts$/ }, (args) => {
        if (args.path !== mod) return undefined;
        const imports = JOINED_INTO_START.map((f) => `import ${JSON.stringify(`${ROOT}${f}`)};\n`).join("");
        return { contents: `${readFileSync(mod, "utf8")}\n${imports}`, loader: "ts" };
      });
    },
  };
}

/**
 * esbuild makes one chunk per set of entries (static and lazy) that reach a module, so the ~75
 * sources `import "tsbpf"` loads came out as ~40 files, and a runtime pays for each file it
 * loads (~0.1 ms on Bun). Every module outside that start graph is made to import mod.ts first:
 * then every entry reaches the whole start graph, which becomes one chunk. It changes no order
 * of evaluation that matters: those modules are loaded after "tsbpf" or with it (the command,
 * the tool helpers, lazy parts), and none of them is imported by the start graph statically.
 */
function joinStartGraph(startGraph: Set<string>): esbuild.Plugin {
  const mod = `${ROOT}mod.ts`;
  return {
    name: "join-start-graph",
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const path = args.path.slice(ROOT.length);
        // The joined modules too: the dynamic import of one is an entry that must reach the whole start graph.
        const joined = JOINED_INTO_START.includes(path);
        if (!args.path.startsWith(ROOT) || (startGraph.has(path) && !joined) || path === "kernel.ts") return undefined;
        return { contents: `import ${JSON.stringify(mod)};\n${readFileSync(args.path, "utf8")}`, loader: "ts" };
      });
    },
  };
}

/** What `tsbpf run` gives Bun (--tsconfig-override) so a script's "tsbpf" is this bundle: cli/resolve.tsconfig.json's twin. */
export const RESOLVE_CONFIG = "resolve.tsconfig.json";

function writeResolveConfig(outdir: string): void {
  const names: Record<string, string> = { tsbpf: "mod", "tsbpf/kernel": "kernel", "tsbpf/tool": "tool/mod", "tsbpf/cli": "cli/mod" };
  const paths: Record<string, string[]> = {};
  for (const [name, entry] of Object.entries(names)) paths[name] = paths[`npm:${name}`] = [`./${bundledName(entry)}`];
  writeFileSync(`${outdir}/${RESOLVE_CONFIG}`, JSON.stringify({ compilerOptions: { paths } }, null, 2) + "\n");
}

if (import.meta.main) {
  const outdir = process.argv[2] ?? `${ROOT}dist`;
  const meta = await bundlePackage(outdir);
  for (const file of Object.keys(meta.outputs)) console.log(resolve(ROOT, file));
  console.log(resolve(outdir, RESOLVE_CONFIG));
  for (const file of await buildBytecodeCompiler(outdir)) console.log(file); // Bun only: pack/bytecode.ts
  for (const file of await buildBunLibrary(outdir, staticInputs(meta, "mod"), meta)) console.log(file); // Bun only: pack/bun_library.ts
  await esbuild.stop?.();
}
