// The modules `tsbpf plan` reviews: the script and every module of the script's own it imports
// (statically, or with import()/require() of a literal name), followed transitively; or, for a
// bundle made by `tsbpf build`, the sources the bundle embeds.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isRelative, TSBPF_INTERNAL, TSBPF_PUBLIC } from "../../compiler/capability_tables.ts";
import { type ImportSite, type ModuleScan, scanModule } from "../../compiler/capabilities.ts";
import type { PlannedModule } from "../../compiler/plan_user.ts";
import { ownPath } from "../../runtime/own_files.ts";

const root = ownPath("");
/** tsbpf's own modules: what they do is tsbpf's, not the script's (examples/ are scripts). */
const OWN = /^(runtime|tracer|spec|lang|compiler|probes|btf|elf|build|cli)\/|^(mod|helpers|types|kernel)\.ts$/;
/** A module bigger than this is not a script someone reviews by reading. */
const MAX_MODULE = 4 << 20;

export interface Module extends PlannedModule {
  source?: string;
}

/** The script and the modules it imports, each scanned once. */
export function followModules(script: string): Module[] {
  const out = new Map<string, Module>();
  const queue = [resolve(script)];
  while (queue.length) {
    const file = queue.shift()!;
    if (out.has(file)) continue;
    const source = readModule(file);
    if (typeof source !== "string") {
      out.set(file, { file, problem: source.problem });
      continue;
    }
    const scan = scanModule(source);
    out.set(file, { file, source, scan });
    for (const i of scan.imports) {
      if (!isRelative(i.specifier)) continue;
      const target = resolveModule(dirname(file), i.specifier);
      if (isOwn(target)) judgeOwnImport(scan, i, target.slice(root.length));
      else queue.push(target);
    }
  }
  return [...out.values()];
}

function isOwn(path: string): boolean {
  return path.startsWith(root) && OWN.test(path.slice(root.length));
}

/**
 * An import of tsbpf's own module by path: its public modules are "tsbpf"; the internal ones the
 * tools use are judged by export (capability_tables.ts); any other gives more than tracing.
 */
function judgeOwnImport(scan: ModuleScan, i: ImportSite, own: string): void {
  if (TSBPF_PUBLIC.has(own)) return;
  const at = { line: i.line, column: i.column };
  const table = TSBPF_INTERNAL[own];
  for (const { imported, local } of i.names) {
    const kind = table && imported !== undefined ? (table[imported] !== undefined ? table[imported] : table["*"]) : undefined;
    if (kind === null) continue;
    if (kind === "loads") {
      if (local && scan.usedAsValues.has(local)) scan.capabilities.push({ kind: "native code (FFI)", what: `tsbpf's ${own} ${imported} (its result is used: libc calls)`, ...at });
      continue;
    }
    scan.capabilities.push(kind
      ? { kind, what: `tsbpf's ${own} ${imported}`, ...at }
      : { kind: "unknown", what: `tsbpf's internal module ${own}${imported ? ` ${imported}` : ""} (not its public API; more than tracing)`, ...at });
  }
}

function readModule(file: string): string | { problem: string } {
  try {
    const st = statSync(file);
    if (!st.isFile()) return { problem: "imported, but not a regular file: cannot review it" };
    if (st.size > MAX_MODULE) return { problem: `imported, but ${st.size} bytes: too big to review` };
    return readFileSync(file, "utf8");
  } catch {
    return { problem: "imported, but cannot be read: cannot review it" };
  }
}

/** Where a relative specifier points, trying the extensions TypeScript imports leave out. */
function resolveModule(dir: string, specifier: string): string {
  const base = specifier.startsWith("file:") ? fileURLToPath(specifier) : resolve(dir, specifier);
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, `${base}.js`, `${base}/index.ts`, `${base}/mod.ts`];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? base;
}

const BUNDLE_PREFIX = "globalThis.__TSBPF_BUNDLE__ = ";
const SOURCES_PREFIX = "globalThis.__TSBPF_BUNDLE_SOURCES__ = ";

export interface BundleContents {
  tracers: { className: string; file: string; source: string }[];
  /** Every module of the script's own, as the builder embedded them (bundles since plan reads them). */
  sources?: { entry: string; modules: Record<string, string> };
  bytes: number;
}

/** The JSON after `prefix` on the line starting at `at`. */
function bannerJson(text: string, at: number, prefix: string): unknown {
  const end = text.indexOf("\n", at);
  const json = text.slice(at + prefix.length, end < 0 ? undefined : end).trim().replace(/;$/, "");
  try {
    return JSON.parse(json);
  } catch {
    throw new Error("the bundle's embedded sources are not valid JSON: it was damaged or edited");
  }
}

/**
 * Where the bundle's first banner line starts: a bundle begins with it, after at most a shebang,
 * `//` lines (Bun's `// @bun`) and blank lines, as the builder writes it. The same text anywhere
 * else (in a comment, a string, after code) sets nothing when the file runs: such a file is a
 * script, reviewed as one, not from sources its author put in a comment.
 */
function bannerStart(text: string): number | undefined {
  let at = 0;
  for (let i = 0; at < text.length && at <= 4096; i++) {
    if (text.startsWith(BUNDLE_PREFIX, at)) return at;
    const end = text.indexOf("\n", at);
    const line = text.slice(at, end < 0 ? undefined : end).trim();
    if (!(line === "" || line.startsWith("//") || (i === 0 && line.startsWith("#!")))) return undefined;
    if (end < 0) return undefined;
    at = end + 1;
  }
  return undefined;
}

/** The tracers a `tsbpf build` bundle embeds, or undefined when `text` is not a bundle. */
export function readBundle(text: string): BundleContents | undefined {
  const start = bannerStart(text);
  if (start === undefined) return undefined;
  const data = bannerJson(text, start, BUNDLE_PREFIX);
  const tracers: BundleContents["tracers"] = [];
  for (const [className, entry] of Object.entries(data as Record<string, unknown>)) {
    const e = entry as { spec?: { file?: unknown }; source?: unknown };
    if (typeof e?.source !== "string" || typeof e.spec?.file !== "string") throw new Error(`the bundle's entry for ${JSON.stringify(className)} has no source: it was damaged or edited`);
    tracers.push({ className, file: e.spec.file, source: e.source });
  }
  const next = text.indexOf("\n", start) + 1;
  let sources: BundleContents["sources"];
  if (next > 0 && text.startsWith(SOURCES_PREFIX, next)) {
    const s = bannerJson(text, next, SOURCES_PREFIX) as { entry?: unknown; modules?: unknown };
    const modules = s?.modules as Record<string, unknown> | undefined;
    if (typeof s?.entry !== "string" || !modules || typeof modules !== "object" || Object.values(modules).some((m) => typeof m !== "string")) {
      throw new Error("the bundle's embedded sources are damaged or edited");
    }
    sources = { entry: s.entry, modules: modules as Record<string, string> };
  }
  return { tracers, sources, bytes: text.length };
}

/**
 * The bundle's embedded sources as modules, followed from its entry: the tracers' sources as the
 * runtime compiles them, the other modules as the builder embedded them. Imports of modules the
 * bundle does not embed are listed as not reviewed.
 */
export function bundleModules(b: BundleContents): Module[] {
  const texts = new Map(Object.entries(b.sources?.modules ?? {}));
  const out = new Map<string, Module>();
  for (const t of b.tracers) {
    const other = texts.get(t.file);
    if (other !== undefined && other !== t.source) out.set(`${t.file} (second copy)`, { file: t.file, problem: "the bundle embeds two different copies of this module (it was edited): the tracer's copy is reviewed, the other is not" });
    texts.set(t.file, t.source);
  }
  const queue = b.sources ? [b.sources.entry, ...b.tracers.map((t) => t.file)] : b.tracers.map((t) => t.file);
  while (queue.length) {
    const file = queue.shift()!;
    if (out.has(file)) continue;
    const source = texts.get(file);
    if (source === undefined) {
      out.set(file, { file, problem: "imported, but its source is not in the bundle: cannot review it" });
      continue;
    }
    const scan = scanModule(source);
    out.set(file, { file, source, scan });
    for (const i of scan.imports) {
      if (!isRelative(i.specifier)) continue;
      const target = resolveIn(texts, dirname(file), i.specifier);
      // A bundle built elsewhere names tsbpf's modules by the builder's paths.
      const own = /(?:^|\/)((?:runtime|tracer|spec|lang|compiler|probes|btf|elf|build|cli)\/.+|(?:mod|helpers|types|kernel)\.ts)$/.exec(target);
      if (!texts.has(target) && (isOwn(target) || own)) judgeOwnImport(scan, i, isOwn(target) ? target.slice(root.length) : own![1]);
      else queue.push(target);
    }
  }
  return [...out.values()];
}

/** A relative import among the bundle's embedded modules, with the extensions TypeScript leaves out. */
function resolveIn(texts: Map<string, string>, dir: string, specifier: string): string {
  const base = specifier.startsWith("file:") ? fileURLToPath(specifier) : resolve(dir, specifier);
  return [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, `${base}.js`, `${base}/index.ts`, `${base}/mod.ts`].find((c) => texts.has(c)) ?? base;
}
