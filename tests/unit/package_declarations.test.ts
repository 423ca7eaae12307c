// The npm package's declarations (pack/declarations.ts): their relative specifiers name the
// emitted .js, so that a user's tsc resolves them to the declarations, never to tsbpf's .ts
// sources. The whole path (npm pack, tsc in a user's project) is .ci/pack-check.sh's.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { jsSpecifiers, rewriteDeclarations, withLibReferences } from "../../pack/declarations.ts";

const root = mkdtempSync(`${tmpdir()}/tsbpf-declarations-`);
after(() => rmSync(root, { recursive: true, force: true }));

test("relative .ts specifiers of imports, re-exports and import types name .js", () => {
  const before = [
    `export { Tracer, type StartOptions } from "./tracer/tracer.ts";`,
    `export * from '../lang/types.ts';`,
    `import type { Str } from "../../lang/types.ts";`,
    `import "./side_effect.ts";`,
    `export declare function f(): import("./maps/ringbuf.ts").RingBuf<number>;`,
    `export { x } from "./esm.mts";`,
    `export { y } from "./cjs.cts";`,
  ].join("\n");
  assert.equal(jsSpecifiers(before), [
    `export { Tracer, type StartOptions } from "./tracer/tracer.js";`,
    `export * from '../lang/types.js';`,
    `import type { Str } from "../../lang/types.js";`,
    `import "./side_effect.js";`,
    `export declare function f(): import("./maps/ringbuf.js").RingBuf<number>;`,
    `export { x } from "./esm.mjs";`,
    `export { y } from "./cjs.cjs";`,
  ].join("\n"));
});

test("packages, node: modules, declarations named as such and strings that are not specifiers stay", () => {
  const same = [
    `import { parseArgs } from "node:util";`,
    `import type { sock } from "tsbpf/kernel";`,
    `import type { K } from "./kernel.d.ts";`,
    `export declare const FILE: "./tracer.ts";`,
    `export declare const HELP = "import { cliOptions } from \\"./cli.ts\\"";`,
    `export { z } from "./already.js";`,
  ].join("\n");
  assert.equal(jsSpecifiers(same), same);
});

test("a declaration using Symbol.asyncDispose or Symbol.dispose names the esnext.disposable lib, once", () => {
  const tracer = `export declare class Tracer {\n    [Symbol.asyncDispose](): Promise<void>;\n}\n`;
  const referenced = withLibReferences(tracer);
  assert.equal(referenced, `/// <reference lib="esnext.disposable" />\n${tracer}`);
  assert.equal(withLibReferences(referenced), referenced);
  assert.match(withLibReferences(`export declare class Fd {\n    [Symbol.dispose](): void;\n}\n`), /^\/\/\/ <reference lib="esnext\.disposable" \/>\n/);
  const plain = `export declare const n: number;\n`;
  assert.equal(withLibReferences(plain), plain);
});

test("rewriteDeclarations rewrites the .d.ts files of a tree and nothing else", () => {
  mkdirSync(`${root}/types/tool`, { recursive: true });
  writeFileSync(`${root}/types/mod.d.ts`, `export * from "./tool/mod.ts";\n`);
  writeFileSync(`${root}/types/tool/mod.d.ts`, `export { a } from "../lang/a.ts";\n`);
  writeFileSync(`${root}/types/tool/plain.d.ts`, `export declare const n: number;\n`);
  writeFileSync(`${root}/types/tool/source.ts`, `export * from "./other.ts";\n`);
  assert.equal(rewriteDeclarations(`${root}/types`), 2);
  assert.equal(readFileSync(`${root}/types/mod.d.ts`, "utf8"), `export * from "./tool/mod.js";\n`);
  assert.equal(readFileSync(`${root}/types/tool/mod.d.ts`, "utf8"), `export { a } from "../lang/a.js";\n`);
  assert.equal(readFileSync(`${root}/types/tool/plain.d.ts`, "utf8"), `export declare const n: number;\n`);
  assert.equal(readFileSync(`${root}/types/tool/source.ts`, "utf8"), `export * from "./other.ts";\n`);
});

test("the package's declarations are emitted apart from the sources and named by package.json", () => {
  const tsconfig = JSON.parse(readFileSync(new URL("../../pack/tsconfig.json", import.meta.url), "utf8"));
  assert.equal(tsconfig.compilerOptions.declarationDir, "../types");
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const types = [pkg.types, ...Object.values(pkg.exports).flatMap((e) => typeof e === "object" && e !== null ? (e as { types?: string | string[] }).types : undefined)];
  for (const t of types.filter((t): t is string => t !== undefined && t !== "./kernel.d.ts")) assert.match(t, /^\.\/types\/.*\.d\.ts$/);
  assert.ok(pkg.files.includes("types/"));
});

test("before `sudo tsbpf types` has run, tsc's error on tsbpf/kernel names the command, not TS7016", async () => {
  const { spawnSync } = await import("node:child_process");
  const process = (await import("node:process")).default;
  const { writeKernelTypesPlaceholder } = await import("../../pack/declarations.ts");
  const project = `${root}/kernel-user`;
  const pkg = `${project}/node_modules/tsbpf`;
  mkdirSync(`${pkg}/dist`, { recursive: true });
  mkdirSync(`${pkg}/types`, { recursive: true });
  writeFileSync(`${pkg}/package.json`, readFileSync(new URL("../../package.json", import.meta.url)));
  writeFileSync(`${pkg}/dist/kernel.js`, "export {};\n");
  writeKernelTypesPlaceholder(`${pkg}/types`);
  writeFileSync(`${project}/package.json`, `{ "type": "module" }\n`);
  writeFileSync(`${project}/trace.ts`, `import type { sock } from "tsbpf/kernel";\nexport const port = (s: sock) => s.skc_num;\n`);
  const tsc = new URL("../../node_modules/typescript/lib/tsc.js", import.meta.url).pathname;
  // (pack-check.sh runs tsc with moduleResolution bundler too, on the packed package.)
  const check = (resolution: string) => {
    writeFileSync(`${project}/tsconfig.json`, JSON.stringify({ compilerOptions: { strict: true, module: resolution, moduleResolution: resolution, skipLibCheck: true, noEmit: true, types: [] }, files: ["trace.ts"] }));
    const runtimeArgs = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" ? [] : ["run", "-A"];
    return spawnSync(process.execPath, [...runtimeArgs, tsc, "-p", project], { encoding: "utf8", cwd: project });
  };
  const r = check("nodenext");
  assert.notEqual(r.status, 0, r.stdout);
  assert.doesNotMatch(r.stdout, /TS7016/, r.stdout);
  assert.match(r.stdout, /^trace\.ts\(1,27\): error TS\d+: .*run_sudo_tsbpf_types/m, r.stdout);
  // Once `tsbpf types` has written kernel.d.ts, that is what tsbpf/kernel's types are.
  writeFileSync(`${pkg}/kernel.d.ts`, "export interface sock { skc_num: number }\n");
  const written = check("nodenext");
  assert.equal(written.status, 0, written.stdout);
});
