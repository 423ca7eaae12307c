// The part of tsbpf a bundle's start does not load: the modules tsbpf imports lazily (exporters,
// other probe kinds, symbolization, pinning, the compile target...) that a trusted start of this
// bundle's tracers never reaches. In one file they were code every start parsed (a bundle
// evaluated ≈ 300 KB where the package's start chunk is ≈ 140 KB); here they are one deflated
// section after the code (tracer/bundle_section.ts: read back and checked by SHA-256 only when
// first needed). The section shares the bundle's own instance of every other module (one Tracer
// class, one libc): those it imports are asked from the bundle at run time, through a function
// the bundle's stand-in modules set on globalThis before they import the section.
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { deflateRawSync } from "node:zlib";
import { build, type Metafile, type Plugin } from "esbuild";
import { sha256Hex } from "../runtime/digest.ts";
import { SECTION_PREFIX } from "../tracer/bundle_section.ts";
import { codeVersion, codeVersionDefine } from "../tracer/code_version.ts";

/**
 * What the start of a trusted bundle imports lazily, besides the probe kinds its tracers use
 * (not the compile target: only a compile needs it, which loads the compiler's section as well).
 */
const START = ["tracer/bundled.ts", "tracer/assumptions.ts"];
/**
 * What a trusted start imports lazily to check a fact about kernel structs (tracer/assumptions.ts):
 * the kernel's BTF reader, ≈ 20 KB of code that a bundle reading no kernel struct never runs.
 */
const KERNEL_STRUCTS = "runtime/kernel_btf.ts";
const CORE = Symbol.for("tsbpf.bundle.core").description!;

export interface LazySection {
  /** For the bundle's build: lazy imports of the section's modules become stand-ins that import it. */
  plugin: Plugin;
  /** The section's line, to append after the code. */
  line: string;
}

/**
 * The section for the bundle whose first build is `meta`, or undefined when nothing would go in
 * it. `kinds`: the probe kinds of the bundle's tracers; `assumptions`: what their programs assume
 * of the kernel (compiler/assumptions.ts); `root`: tsbpf's own directory.
 */
export async function lazySection(meta: Metafile, entry: string, kinds: Set<string>, assumptions: string[], root: string, plugins: Plugin[], builtins?: Plugin): Promise<LazySection | undefined> {
  const graph = new Map<string, { path: string; dynamic: boolean }[]>();
  for (const [input, info] of Object.entries(meta.inputs)) {
    if (input.includes(":")) continue; // esbuild's namespaces: builtins, stand-ins
    graph.set(resolve(input), info.imports.filter((i) => !i.external && !i.path.includes(":")).map((i) => ({ path: resolve(i.path), dynamic: i.kind === "dynamic-import" })));
  }
  const closure = (from: Iterable<string>) => {
    const seen = new Set<string>(), todo = [...from];
    for (let m = todo.pop(); m !== undefined; m = todo.pop()) {
      if (seen.has(m)) continue;
      seen.add(m);
      for (const i of graph.get(m) ?? []) if (!i.dynamic) todo.push(i.path);
    }
    return seen;
  };
  // Below root, not in a package of its own (@babel/parser); root itself is under node_modules when
  // tsbpf is installed as a package, whose every module then counted as a dependency's: no section.
  const own = (p: string) => p.startsWith(root) && !p.slice(root.length).includes("node_modules/") && !p.startsWith(`${root}compiler/`);
  // Kept in the code: the start graph, what a trusted start imports lazily, and modules that
  // read import.meta (the section's is a data: URL).
  const start = assumptions.some((a) => /^(no )?member /.test(a)) ? [...START, KERNEL_STRUCTS] : START;
  const keep = new Set([entry, ...start.map((s) => root + s), ...probeKindModules(root, kinds)]);
  for (const m of graph.keys()) if (own(m) && readFileSync(m, "utf8").includes("import.meta")) keep.add(m);
  const main = closure(keep);
  const roots = new Set<string>();
  for (const imports of graph.values()) for (const i of imports) if (i.dynamic && own(i.path) && !main.has(i.path)) roots.add(i.path);
  if (!roots.size) return undefined;
  const inSection = [...closure(roots)].filter((m) => !main.has(m));
  const lazyRoots = [...roots];
  const coreUsed = new Set<string>();
  for (const m of inSection) for (const i of graph.get(m) ?? []) if (main.has(i.path)) coreUsed.add(i.path);

  const names = await exportNames([...coreUsed, ...lazyRoots], root);
  const rel = (p: string) => p.slice(root.length);
  const sectionBuild = (extra: Plugin[]) => build({
    // Each module initialised when first imported, as in the code (with its builtins): not all at once.
    stdin: { contents: lazyRoots.map((r, i) => `export const m${i} = () => import(${JSON.stringify(r)});`).join("\n"), resolveDir: root, loader: "js" },
    bundle: true, format: "esm", platform: "node", target: "es2022", minifyWhitespace: true, minifySyntax: true, write: false,
    logLevel: "silent", tsconfigRaw: "{}", external: ["bun:ffi", "bun"], define: codeVersionDefine(codeVersion()),
    plugins: [...plugins, ...extra, {
      name: "core-from-bundle",
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) => {
          if (args.kind === "entry-point" || !args.path.startsWith(".") && !args.path.startsWith("/")) return undefined;
          const path = resolve(args.resolveDir, args.path).replace(/(\.ts)?$/, ".ts");
          return main.has(path) ? { path, namespace: "bundle-core" } : undefined;
        });
        b.onLoad({ filter: /.*/, namespace: "bundle-core" }, (args) => ({ contents: reExport(`globalThis[Symbol.for(${JSON.stringify(CORE)})](${JSON.stringify(rel(args.path))})`, names.get(args.path) ?? []), loader: "js" }));
      },
    }],
  });
  // Builtins load with their first user, as in the code; whatever that gets wrong costs only speed.
  const section = await sectionBuild(builtins ? [builtins] : []).catch((e) => builtins ? sectionBuild([]) : Promise.reject(e));
  const base64 = Buffer.from(deflateRawSync(section.outputFiles[0].contents, { level: 9 })).toString("base64");
  const digest = await sha256Hex(base64);
  // Static imports, from the entry: a module that is the target of an import() is wrapped for
  // lazy initialisation by esbuild, and so is everything it imports.
  const core = [...coreUsed];
  const registry = core.map((p, i) => `import * as c${i} from ${JSON.stringify(p)};\n`).join("") +
    `const core = { ${core.map((p, i) => `${JSON.stringify(rel(p))}: c${i}`).join(", ")} };\n` +
    `globalThis[Symbol.for(${JSON.stringify(CORE)})] = (name) => core[name];\n`;
  const plugin: Plugin = {
    name: "lazy-section",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== "dynamic-import" || !args.path.startsWith(".")) return undefined;
        const path = resolve(args.resolveDir, args.path).replace(/(\.ts)?$/, ".ts");
        return roots.has(path) ? { path, namespace: "lazy-section" } : undefined;
      });
      b.onResolve({ filter: /^lazy-section-registry$/ }, () => ({ path: "registry", namespace: "lazy-section-registry" }));
      b.onLoad({ filter: /.*/, namespace: "lazy-section-registry" }, () => ({ contents: registry, loader: "js", resolveDir: root }));
      // The entry imports the registry last (after its own imports, before its code); as
      // mainModuleOnly would, its import.meta.main is true.
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => args.path !== entry ? undefined : {
        contents: `${readFileSync(entry, "utf8").replaceAll("import.meta.main", "true")}\nimport "lazy-section-registry";\n`,
        loader: entry.endsWith(".ts") ? "ts" : "js",
      });
      b.onLoad({ filter: /.*/, namespace: "lazy-section" }, (args) => ({
        contents: `import { importBundleSection } from "./tracer/bundle_section.ts";\n` +
          reExport(`await (await importBundleSection(import.meta.url, "modules", ${JSON.stringify(digest)})).m${lazyRoots.indexOf(args.path)}()`, names.get(args.path) ?? []),
        loader: "js", resolveDir: root,
      }));
    },
  };
  return { plugin, line: `${SECTION_PREFIX}modules ${base64}\n` };
}

/** A module exporting `names` of the module object `expr` evaluates to. */
function reExport(expr: string, names: string[]): string {
  const named = names.filter((n) => n !== "default");
  return `const m = ${expr};\n${named.length ? `export const { ${named.join(", ")} } = m;\n` : ""}${names.includes("default") ? "export default m.default;\n" : ""}`;
}

/** Each module's export names (a build with every one of them as an entry). */
async function exportNames(modules: string[], root: string): Promise<Map<string, string[]>> {
  const r = await build({
    entryPoints: modules, bundle: true, splitting: true, format: "esm", platform: "node", write: false, outdir: `${root}.lazy-section-names`,
    absWorkingDir: root, metafile: true, logLevel: "silent", tsconfigRaw: "{}", external: ["bun:ffi", "bun", "esbuild", "@babel/parser"],
  });
  const out = new Map<string, string[]>();
  for (const o of Object.values(r.metafile.outputs)) if (o.entryPoint) out.set(resolve(root, o.entryPoint), o.exports);
  return out;
}

/** The modules of these probe kinds (probes/mod.ts's loaders: `kind: async () => (await import("./file.ts"))...`). */
function probeKindModules(root: string, kinds: Set<string>): string[] {
  const text = readFileSync(`${root}probes/mod.ts`, "utf8");
  return [...text.matchAll(/^\s*(\w+): async \(\) => \(await import\("\.\/(\w+\.ts)"\)\)/gm)].filter((m) => kinds.has(m[1])).map((m) => `${root}probes/${m[2]}`);
}
