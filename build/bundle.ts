// `tsbpf build`: one JavaScript file that runs a tracer script with `bun file.js` or
// `deno run --allow-ffi file.js` and nothing else installed. esbuild bundles the user-space
// code (tsbpf included); the handlers go in precompiled, with the script's source beside them,
// and with what they assume about the kernel. Where the assumptions hold (the same struct
// offsets, the same tracepoint layouts), the precompiled programs load as they are; elsewhere
// the bundle compiles the handlers again for the kernel it runs on.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { Code, compile, CompileError } from "../compiler/mod.ts";
import type { TracerSpec } from "../spec/tracer_spec.ts";
import type { CompileTarget } from "../spec/target.ts";
import { hostTarget } from "../tracer/compile_target.ts";
import { libc } from "../runtime/ffi/mod.ts";
import { RUNTIME_MODULES } from "../runtime/ffi/host.ts";
import { writeFileAtomic } from "../runtime/files.ts";
import { ownPath } from "../runtime/own_files.ts";

/** What a bundle carries for each tracer class (read by tracer/tracer.ts). */
export interface EmbeddedTracer {
  spec: TracerSpec;
  source: string;
}

export interface BundleResult {
  outfile: string;
  bytes: number;
  tracers: string[];
}

const root = ownPath("");
/** tsbpf's own modules: never tracer scripts. */
const OWN = /^(runtime|tracer|spec|lang|compiler|probes|btf|elf|build|cli|tool)\/|^(mod|kernel)\.ts$/;

/**
 * In one bundled file every module would see `import.meta.main` true, so each module's
 * `if (import.meta.main)` block would run. Only the entry module keeps it true.
 */
function mainModuleOnly(entry: string): Plugin {
  return {
    name: "import-meta-main",
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        const text = readFileSync(args.path, "utf8");
        if (!text.includes("import.meta.main")) return undefined;
        const contents = text.replaceAll("import.meta.main", args.path === entry ? "true" : "false");
        return { contents, loader: args.path.endsWith(".ts") ? "ts" : "js" };
      });
    },
  };
}

function options(file: string, outfile: string, banner = "") {
  return {
    plugins: [mainModuleOnly(file)],
    entryPoints: [file],
    outfile: resolve(outfile),
    bundle: true,
    format: "esm" as const,
    platform: "node" as const, // keeps node: modules external; Bun and Deno both provide them
    target: "es2022", // lowers decorators, which Deno's V8 does not parse in plain JavaScript
    external: RUNTIME_MODULES,
    alias: { tsbpf: `${root}mod.ts`, "tsbpf/tool": `${root}tool/mod.ts` },
    banner: { js: banner },
    // Without blanks and comments the runtime parses 30 % less text on every start (Deno: ≈ 8 ms
    // of CPU; Bun ≈ 1). Names are kept: tracer classes are found by name (runtime/bundled.ts).
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "silent" as const,
    metafile: true,
    // tsbpf writes the file (writeFileAtomic): esbuild would open it O_TRUNC, following a
    // symlink another user planted at the name (`-o /tmp/x.js` as root).
    write: false,
  };
}

export async function bundle(script: string, outfile: string): Promise<BundleResult> {
  await libc();
  const file = resolve(script);
  // First pass: which of the script's own modules are in the bundle; each may declare tracers.
  const first = await build({ ...options(file, outfile), write: false });
  const embedded: Record<string, EmbeddedTracer> = {};
  /** Every module of the script's own, so that `tsbpf plan` can review the user-space code too. */
  const sources: Record<string, string> = {};
  const target = await hostTarget();
  for (const input of Object.keys(first.metafile!.inputs)) {
    const path = resolve(input);
    // The entry is the script even when it is in node_modules (a tool of the installed package).
    if ((path !== file && path.includes("/node_modules/")) || (path.startsWith(root) && OWN.test(path.slice(root.length)))) continue;
    if (!/\.[cm]?[jt]s$/.test(path)) continue;
    const source = readFileSync(path, "utf8");
    sources[path] = source;
    if (!path.endsWith(".ts")) continue;
    if (!/@\w+\(/.test(source)) continue; // no decorators: no handlers
    for (const spec of compileTracers(source, path, target)) {
      if (embedded[spec.className]) throw new Error(`Two tracer classes are named ${spec.className} (${embedded[spec.className].spec.file} and ${path}); rename one`);
      embedded[spec.className] = { spec, source };
    }
  }
  if (!Object.keys(embedded).length) throw new Error(`${script} and the modules it imports declare no tracer class with probe handlers`);
  // Line 1: what the runtime compiles from (tracer/bundled.ts); line 2: what plan reviews besides.
  const banner = `globalThis.__TSBPF_BUNDLE__ = ${JSON.stringify(embedded)};\nglobalThis.__TSBPF_BUNDLE_SOURCES__ = ${JSON.stringify({ entry: file, modules: sources })};`;
  const result = await build(options(file, outfile, banner));
  const out = Object.values(result.metafile!.outputs)[0];
  for (const f of result.outputFiles!) writeFileAtomic(f.path, f.contents);
  return { outfile: resolve(outfile), bytes: out.bytes, tracers: Object.keys(embedded) };
}

/** The tracers of one module; a module with decorators but no tracer contributes none. */
function compileTracers(source: string, path: string, target: CompileTarget): TracerSpec[] {
  try {
    return compile(source, path, target);
  } catch (e) {
    if (e instanceof CompileError && e.diagnostics.every((d) => d.code === Code.NoTracer)) return [];
    throw e;
  }
}
