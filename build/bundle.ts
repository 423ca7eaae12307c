// `tsbpf build`: one JavaScript file that runs a tracer script with `bun file.js` or
// `deno run --allow-ffi file.js` and nothing else installed. esbuild bundles the user-space
// code (tsbpf included); the handlers go in precompiled, with the script's source beside them,
// and with what they assume about the kernel. Where the assumptions hold (the same struct
// offsets, the same tracepoint layouts) and a key root trusts signed them, the precompiled
// programs load as they are; elsewhere the bundle compiles the handlers again for the kernel it
// runs on (tracer/bundled.ts, tracer/bundle_signature.ts).
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
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
import { hostSigningKey, readSigningKey, SIGNATURE_PREFIX, signBundle, type SigningKey, UntrustedKeyError } from "../tracer/bundle_signature.ts";
import { sha256Hex } from "../runtime/digest.ts";
import { SECTION_PREFIX } from "../tracer/bundle_section.ts";
import { lazySection } from "./lazy_section.ts";
import { codeVersion, codeVersionDefine } from "../tracer/code_version.ts";

/** What a bundle carries for each tracer class (read by tracer/tracer.ts). */
export interface EmbeddedTracer {
  spec: TracerSpec;
  source: string;
}

export interface BundleResult {
  outfile: string;
  bytes: number;
  tracers: string[];
  /** Whose key signed it, or why it is not signed. */
  signed: { by: string } | { not: string };
}

export interface BundleOptions {
  /** A PKCS#8 PEM Ed25519 key file to sign with instead of the host's own key. */
  key?: string;
  /**
   * The compiler as a string in the code, not a section after it: for `build --compile`. true: a
   * data: URL imported as it is (deno compile); "deflated": deflated, inflated when first
   * imported (Bun's executables: 1.3 MB less peak memory, as the executable holds its code twice,
   * as text and as bytecode).
   */
  inlineCompiler?: boolean | "deflated";
}

const root = ownPath("");
/** tsbpf's own modules: never tracer scripts. */
const OWN = /^(runtime|tracer|spec|lang|compiler|probes|btf|elf|build|cli|tool|export|pack)\/|^(mod|kernel)\.ts$/;

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

/**
 * The bundle's compiler (compiler/mod.ts with @babel/parser: about 530 KiB, 60 % of a bundle),
 * imported only when a tracer is compiled where the bundle runs. A trusted signed bundle never
 * compiles, so its start should not pay for the compiler's text: it goes after the code as a
 * comment line (a section, tracer/bundle_section.ts), which the runtime skips without parsing or
 * copying it, and is imported from the bundle's own file, checked against the SHA-256 the code
 * holds. (Carried as a data: string literal instead, it was copied by V8 on every start, even with
 * Deno's code cache.) `inline`: the string literal, for `build --compile`, whose executable has no
 * such file (and whose compilers drop comments). The module that stands in for compiler/mod.ts and
 * compile.ts awaits that import at its top level, which esbuild keeps inside the lazy
 * initialisation of its importer (the tracer imports the compiler dynamically:
 * tests/unit/eager_imports.test.ts). The compiler's copies of spec/ and btf/ are its own, so the
 * compiler recognises the errors the compile target throws by name, not by class
 * (spec/target.ts isProbeLookupError).
 */
async function lazyCompiler(inline: boolean | "deflated"): Promise<{ plugin: Plugin; section?: string }> {
  const compiler = await build({
    entryPoints: [`${root}compiler/mod.ts`], bundle: true, format: "esm", platform: "node", target: "es2022",
    minifyWhitespace: true, minifySyntax: true, write: false, metafile: true, logLevel: "silent", tsconfigRaw: NO_TSCONFIG,
  });
  const [output] = Object.values(compiler.metafile!.outputs);
  const code = compiler.outputFiles[0].contents;
  // The section is deflated (4× smaller: 837 -> 207 KB of base64 for Babel and the compiler), which
  // every start pays for in reading and skipping; tracer/bundle_section.ts inflates it after the check.
  const base64 = Buffer.from(inline === true ? code : deflateRawSync(code, { level: 9 })).toString("base64");
  const module = inline === true
    ? `await import(${JSON.stringify(`data:text/javascript;base64,${base64}`)})`
    : inline
    ? `await importInlineSection(${JSON.stringify(base64)})`
    : `await importBundleSection(import.meta.url, "compiler", ${JSON.stringify(await sha256Hex(base64))})`;
  const contents = `${inline === true ? "" : `import { importBundleSection, importInlineSection } from "./tracer/bundle_section.ts";\n`}const m = ${module};\nexport const { ${output.exports.join(", ")} } = m;`;
  const plugin: Plugin = {
    name: "lazy-compiler",
    setup(b) {
      // The tracer imports compile.ts (which mod.ts re-exports, with Babel registered as the fallback parser).
      const standsIn = new Set([`${root}compiler/mod.ts`, `${root}compiler/compile.ts`]);
      b.onResolve({ filter: /\/compiler\/(mod|compile)(\.ts)?$/ }, (args) => standsIn.has(resolve(args.resolveDir, args.path).replace(/(\.ts)?$/, ".ts")) ? { path: "compiler", namespace: "lazy-compiler" } : undefined);
      b.onResolve({ filter: /^data:/ }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: "lazy-compiler" }, () => ({ contents, loader: "js", resolveDir: root }));
      // @babel/parser travels inside the compiler (it is not external): a bundle imports no package
      // by name, so runtime/package_place.ts has nothing to check, and its check, which resolves the
      // name from the bundle's directory, refused whatever another user put in a node_modules above
      // it (/tmp/node_modules) and stopped the bundle (tests/security/bundle_parser_place.test.ts).
      b.onResolve({ filter: /\/runtime\/package_place(\.ts)?$/ }, (args) => resolve(args.resolveDir, args.path).replace(/(\.ts)?$/, ".ts") === `${root}runtime/package_place.ts` ? { path: "package_place", namespace: "no-package-place" } : undefined);
      b.onLoad({ filter: /.*/, namespace: "no-package-place" }, () => ({ contents: "export function checkPackagePlace() {}\nexport function checkBabelPlace() {}\n", loader: "js" }));
    },
  };
  return { plugin, section: inline ? undefined : `${SECTION_PREFIX}compiler ${base64}\n` };
}

/**
 * In one file, esbuild hoists every module's `import ... from "node:x"` to the top, so the start
 * loaded the builtins of modules it never initialises: node:zlib (with node:stream: about 30 ms on
 * Bun, 16 on Deno) for the OTLP exporter, node:process and node:timers. Each builtin imported by
 * name is imported instead through a small module that awaits `import("node:x")` at its top level,
 * which esbuild keeps inside the lazy initialisation of its importers (as the compiler's
 * stand-in): a builtin loads when the first module that uses it does, at the same point of the
 * start as before for the modules the start runs. That module exports exactly the names the bundle
 * imports (`uses`; reading every name would run the builtin's lazy getters: node:process's stdout
 * loads node:stream). A builtin imported as a namespace anywhere (`import * as fs`) stays a plain
 * import (`plain`), since its names cannot be known; dynamic imports are lazy already.
 */
function lazyBuiltins(uses: Map<string, Set<string>>, plain: Set<string>): Plugin {
  return {
    name: "lazy-builtins",
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) => args.kind !== "import-statement" || args.namespace === LAZY_BUILTIN || plain.has(args.path)
        ? { path: args.path, external: true }
        : { path: args.path, namespace: LAZY_BUILTIN });
      b.onLoad({ filter: /.*/, namespace: LAZY_BUILTIN }, (args) => {
        const names = [...uses.get(args.path) ?? []];
        const named = names.length ? `export const { ${names.join(", ")} } = m;\n` : "";
        return { contents: `const m = await import(${JSON.stringify(args.path)});\nexport default m.default;\n${named}`, loader: "js" };
      });
    },
  };
}

const LAZY_BUILTIN = "lazy-builtin";

/** The builtins imported as a namespace (`import * as x from "node:y"`, `export * from`) in `sources`. */
function namespaceBuiltins(sources: string[]): Set<string> {
  const out = new Set<string>();
  for (const text of sources) {
    for (const m of text.matchAll(/(?:import\s*\*\s*as\s+[\w$]+|export\s*\*(?:\s*as\s+[\w$]+)?)\s*from\s*["'](node:[\w/]+)["']/g)) out.add(m[1]);
  }
  return out;
}

/**
 * Which names the bundle imports from each builtin: a build whose builtin modules export none,
 * whose "No matching export" errors name them all. undefined when that build fails otherwise (a
 * CommonJS module that require()s an ES module importing a builtin: a top-level await cannot be
 * required), and the builtins then stay plain imports, as before.
 */
async function builtinNames(opts: ReturnType<typeof options>, plain: Set<string>): Promise<Map<string, Set<string>> | undefined> {
  const uses = new Map<string, Set<string>>();
  try {
    await build({ ...opts, plugins: [...opts.plugins, lazyBuiltins(uses, plain)], logLimit: 0 });
  } catch (e) {
    const messages = (e as { errors?: { text: string }[]; warnings?: { text: string }[] });
    if (!messages.errors) throw e;
    for (const { text } of [...messages.errors, ...messages.warnings ?? []]) {
      const missing = /^No matching export in "lazy-builtin:(node:[\w/]+)" for import "([\w$]+)"$/.exec(text);
      const undef = /^Import "([\w$]+)" will always be undefined because there is no matching export in "lazy-builtin:(node:[\w/]+)"$/.exec(text);
      const [path, name] = missing ? [missing[1], missing[2]] : undef ? [undef[2], undef[1]] : [];
      if (!path || !name) {
        if (messages.errors.some((m) => m.text === text)) return undefined;
        continue;
      }
      if (!uses.has(path)) uses.set(path, new Set());
      uses.get(path)!.add(name);
    }
  }
  return uses;
}

/**
 * Given instead of the nearest tsconfig.json above each file, which esbuild would otherwise read:
 * above a script or a package under /tmp that is anyone's, and its "paths" would remap bare
 * imports to that user's module, bundled to run as root (tests/security/bundle_tsconfig.test.ts).
 * Imports resolve as the runtimes resolve them for `tsbpf run`; tsbpf's decorators are the standard ones.
 */
const NO_TSCONFIG = "{}";

function options(file: string, outfile: string, banner = "", compiler?: Plugin) {
  return {
    plugins: compiler ? [mainModuleOnly(file), compiler] : [mainModuleOnly(file)],
    entryPoints: [file],
    outfile: resolve(outfile),
    bundle: true,
    format: "esm" as const,
    platform: "node" as const, // keeps node: modules external; Bun and Deno both provide them
    target: "es2022", // lowers decorators, which Deno's V8 does not parse in plain JavaScript
    external: RUNTIME_MODULES,
    tsconfigRaw: NO_TSCONFIG,
    alias: { tsbpf: `${root}mod.ts`, "tsbpf/tool": `${root}tool/mod.ts` },
    banner: { js: banner },
    // Without blanks and comments the runtime parses 30 % less text on every start (Deno: ≈ 8 ms
    // of CPU; Bun ≈ 1). Names are kept: tracer classes are found by name (runtime/bundled.ts).
    minifyWhitespace: true,
    minifySyntax: true,
    // The bundle's caches key their entries by the code it was built from: this tsbpf's (tracer/code_version.ts).
    define: codeVersionDefine(codeVersion()),
    logLevel: "silent" as const,
    metafile: true,
    // tsbpf writes the file (writeFileAtomic): esbuild would open it O_TRUNC, following a
    // symlink another user planted at the name (`-o /tmp/x.js` as root).
    write: false,
  };
}

export async function bundle(script: string, outfile: string, opts: BundleOptions = {}): Promise<BundleResult> {
  await libc();
  // First, so that an unusable --key stops the build before it starts.
  const key = await signingKey(opts.key);
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
  // Line 1: what the runtime compiles from (tracer/bundled.ts); line 2: what plan reviews besides;
  // line 3: the signature of all the rest (written once the rest is known).
  const tracers = JSON.stringify(embedded);
  const banner = `globalThis.__TSBPF_BUNDLE__ = ${asciiJson(tracers)};\nglobalThis.__TSBPF_BUNDLE_SOURCES__ = ${asciiJson(JSON.stringify({ entry: file, modules: sources }))};\n${SIGNATURE_PREFIX}null;`;
  const compiler = await lazyCompiler(opts.inlineCompiler ?? false);
  const finalOptions = options(file, outfile, banner, compiler.plugin);
  const plain = namespaceBuiltins(Object.keys(first.metafile!.inputs).filter((i) => /\.[cm]?[jt]s$/.test(i)).map((i) => readFileSync(resolve(i), "utf8")));
  // The names of every module's builtins, the modules section's too (its modules load their builtins as lazily).
  const uses = await builtinNames(finalOptions, plain);
  const kinds = new Set(Object.values(embedded).flatMap((t) => t.spec.programs.map((p) => p.probe.kind)));
  const assumptions = Object.values(embedded).flatMap((t) => t.spec.assumptions ?? []);
  const lazy = opts.inlineCompiler ? undefined : await lazySection(first.metafile!, file, kinds, assumptions, root, [mainModuleOnly(file)], uses && lazyBuiltins(uses, plain));
  if (lazy) finalOptions.plugins.unshift(lazy.plugin);
  if (uses) finalOptions.plugins.push(lazyBuiltins(uses, plain));
  const result = await build(finalOptions).catch((e) => {
    if (!uses) throw e;
    // Whatever the lazy builtins got wrong costs only the start they would have saved.
    finalOptions.plugins.pop();
    return build(finalOptions);
  });
  const [output] = result.outputFiles!;
  let text = new TextDecoder().decode(output.contents);
  if (!opts.inlineCompiler && runsUntranspiled(text)) text = `${BUN_PRAGMA}\n${text}`;
  if (compiler.section) text = `${text.endsWith("\n") ? text : `${text}\n`}${compiler.section}`;
  if (lazy) text = `${text.endsWith("\n") ? text : `${text}\n`}${lazy.line}`;
  const signatureLine = `${SIGNATURE_PREFIX}null;\n`;
  const at = text.indexOf(signatureLine);
  if (at < 0) throw new Error("internal: the bundle's signature line is missing");
  const unsigned = text.slice(0, at) + text.slice(at + signatureLine.length);
  let signed: BundleResult["signed"], final = new TextEncoder().encode(text);
  if (typeof key === "string") signed = { not: key };
  else {
    const signature = await signBundle(key, await sha256Hex(unsigned), tracers);
    final = new TextEncoder().encode(text.slice(0, at) + `${SIGNATURE_PREFIX}${JSON.stringify(signature)};\n` + text.slice(at + signatureLine.length));
    signed = { by: key.origin };
  }
  writeFileAtomic(output.path, final);
  return { outfile: resolve(outfile), bytes: final.length, tracers: Object.keys(embedded), signed };
}

/**
 * Bun runs a file that starts with this comment as it is, without its transpiler (pack/bundle.ts
 * gives every file of the package the same line). Without it, Bun transpiled the whole bundle on
 * every start unless its on-disk transpiler cache, under $HOME, had it: a cache that another user
 * owns when root runs `sudo -E bun x.bundle.js`, and that bin/tsbpf turns off for that reason.
 * Deno reads it as a comment.
 */
const BUN_PRAGMA = "// @bun";

/**
 * Whether the bundle runs the same without Bun's transpiler: plain ES2022 from esbuild, unless
 * its code names `require`, `__dirname` or `__filename` (a CommonJS dependency: esbuild's
 * `__require` shim), which Bun gives an ES module only by rewriting it.
 */
function runsUntranspiled(code: string): boolean {
  return !/(?<![.\w$])(require|__dirname|__filename)(?![\w$])/.test(code);
}

/**
 * JSON text with every character outside ASCII written as a \\u escape (the same value). One
 * such character anywhere (a "→" in the script's comments, embedded as its source) made the whole
 * file two-byte text for both runtimes: Bun and Deno keep an ASCII source as it is, but convert
 * any other to UTF-16, a copy of every byte (the compiler section's too) on every start.
 */
export function asciiJson(json: string): string {
  return json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The key named by --key, or the host's own; without --key, why there is none instead of failing. */
async function signingKey(file: string | undefined): Promise<SigningKey | string> {
  if (file !== undefined) return await readSigningKey(resolve(file));
  try {
    return await hostSigningKey();
  } catch (e) {
    if (e instanceof UntrustedKeyError) return e.message;
    throw e;
  }
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
