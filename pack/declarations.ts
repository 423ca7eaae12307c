// The npm package's declarations (pack/emit.sh): tsc writes them to types/, away from the .ts
// sources, and keeps the sources' own specifiers ("./tracer.ts"). In a user's project, tsc (and
// an editor's tsserver) resolves "./tracer.ts" to the source itself, not its declaration, and
// then checks all of tsbpf with the user's compiler options: hundreds of errors that are not the
// user's. So each relative specifier is made to name the emitted JavaScript ("./tracer.js"),
// which TypeScript, Deno and editors all resolve to the declaration beside it (tracer.d.ts).
//
//   bun pack/declarations.ts DIR     (rewrites every .d.ts under DIR in place)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

// A relative specifier ending in a TypeScript extension, where a declaration names a module:
// `from "..."` (import and export), `import("...")` (inferred types) and a bare `import "..."`.
// A declaration named as such ("./kernel.d.ts") already is what it names, and stays.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"'\n]*?)(?<!\.d)\.(ts|mts|cts|tsx)\2/g;
const JS_EXTENSION: Record<string, string> = { ts: "js", mts: "mjs", cts: "cjs", tsx: "js" };

/** `text` (a declaration file) with its relative .ts specifiers naming the emitted .js instead. */
export function jsSpecifiers(text: string): string {
  return text.replace(SPECIFIER, (_all, lead: string, quote: string, path: string, ext: string) => `${lead}${quote}${path}.${JS_EXTENSION[ext]}${quote}`);
}

// Symbol.dispose and Symbol.asyncDispose (Tracer's `await using`) are in TypeScript's lib only
// from esnext.disposable on: a declaration that uses them names that lib, so that a project
// with target es2022 and no @types/node (which declares them too) still checks cleanly.
const DISPOSABLE = /\bSymbol\.(asyncDispose|dispose)\b/;
const DISPOSABLE_LIB = `/// <reference lib="esnext.disposable" />\n`;

/** `text` (a declaration file) naming the TypeScript lib it needs beyond the user's target. */
export function withLibReferences(text: string): string {
  return DISPOSABLE.test(text) && !text.includes(DISPOSABLE_LIB) ? DISPOSABLE_LIB + text : text;
}

/** Rewrites every .d.ts under `dir` (jsSpecifiers, withLibReferences); returns how many files changed. */
export function rewriteDeclarations(dir: string): number {
  let changed = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) changed += rewriteDeclarations(path);
    else if (entry.isFile() && entry.name.endsWith(".d.ts")) {
      const text = readFileSync(path, "utf8"), rewritten = withLibReferences(jsSpecifiers(text));
      if (rewritten === text) continue;
      writeFileSync(path, rewritten);
      changed++;
    }
  }
  return changed;
}

/**
 * What "tsbpf/kernel"'s types are until `sudo tsbpf types` has written kernel.d.ts (package.json
 * lists it after that file): a declaration that is no module, so that a user's tsc says
 * "File '.../types/no_kernel_types_yet__run_sudo_tsbpf_types.d.ts' is not a module" at the
 * import, naming the fix, where it would say TS7016 ("implicitly has an 'any' type") of
 * dist/kernel.js. The kernel's types differ per machine, so none can be shipped.
 */
export const KERNEL_TYPES_MISSING = "no_kernel_types_yet__run_sudo_tsbpf_types.d.ts";

export function writeKernelTypesPlaceholder(dir: string): void {
  writeFileSync(join(dir, KERNEL_TYPES_MISSING), [
    "// \"tsbpf/kernel\" has the running kernel's types once `sudo tsbpf types` has written them to",
    "// kernel.d.ts in this package (they differ per machine, so the package cannot ship them). Or",
    "// run `tsbpf types -o kernel.d.ts` in your project and import type { sock } from \"./kernel.d.ts\".",
    "",
  ].join("\n"));
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: pack/declarations.ts DIR");
  console.error(`pack/declarations.ts: ${rewriteDeclarations(dir)} declaration files made fit for users`);
  writeKernelTypesPlaceholder(dir);
  console.log(join(process.cwd(), dir, KERNEL_TYPES_MISSING));
}
