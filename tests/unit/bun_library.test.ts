// pack/bun_library.ts's rewrite of a source for Bun's CommonJS build: a CommonJS module may not
// name import.meta (JavaScriptCore then makes no bytecode, silently), and Bun's bundler would fix
// import.meta.url to the source's path at build time. The build itself: tests/kernel/bun_library.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withoutImportMeta } from "../../pack/bun_library.ts";

/** The rewrite, as one line without the final newline. */
const rewritten = async (source: string) => (await withoutImportMeta(source)).trim();

test("import.meta.url becomes the library file's URL, taken when it loads", async () => {
  const out = await rewritten(`export const ROOT = new URL("..", import.meta.url).href;`);
  assert.equal(out, `export const ROOT = new URL("..", require("tsbpf-bun-self").url).href;`);
});

test("import.meta.require, also behind a type assertion, becomes Bun's require", async () => {
  const typed = `const ffi = (import.meta as ImportMeta & { require?: (id: string) => unknown }).require?.("bun:ffi");`;
  assert.equal(await rewritten(typed), `const ffi = require?.("bun:ffi");`);
  assert.equal(await rewritten(`import.meta.require("bun:ffi")`), `require("bun:ffi");`);
});

test("import.meta.resolve becomes a resolve from the library file, as a file: URL", async () => {
  assert.equal(await rewritten(`url = import.meta.resolve(name);`), `url = require("tsbpf-bun-self").resolve(name);`);
});

test("import.meta.main is false: the library is no main module", async () => {
  assert.equal(await rewritten(`if (import.meta.main) void run();`), `if (false) void run();`);
});

test("every source the library holds keeps no import.meta in code", async () => {
  // The sources that name it today, rewritten: esbuild, asked for CommonJS, warns of any import.meta left in code.
  const { readFileSync } = await import("node:fs");
  const { transform } = await import("esbuild");
  const root = new URL("../..", import.meta.url).pathname;
  for (const file of ["runtime/own_files.ts", "runtime/ffi/mod.ts", "tracer/compiler_module.ts", "runtime/package_place.ts", "cli/main.ts", "build/bundle.ts"]) {
    const source = readFileSync(`${root}${file}`, "utf8");
    assert.match(source, /import\.meta/, `${file} no longer names import.meta: list another`);
    const { warnings } = await transform(await withoutImportMeta(source), { format: "cjs", logLevel: "silent" });
    assert.deepEqual(warnings.map((w) => w.text).filter((t) => /import\.meta/.test(t)), [], file);
  }
});

test("import.meta inside a string or a template's text is text, kept as it is (tsbpf build writes such code)", async () => {
  const source = [
    "const code = `await importBundleSection(import.meta.url, \"compiler\")`;",
    'const main = text.replaceAll("import.meta.main", "true");',
    "const url = `${import.meta.url}#x`;",
  ].join("\n");
  const out = await withoutImportMeta(source);
  assert.ok(out.includes("`await importBundleSection(import.meta.url, \"compiler\")`"), out);
  assert.ok(out.includes('replaceAll("import.meta.main", "true")'), out);
  assert.ok(out.includes('`${require("tsbpf-bun-self").url}#x`'), out);
});
