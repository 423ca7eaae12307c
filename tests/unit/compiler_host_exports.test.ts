// The compiler's bytecode (pack/bytecode.ts) gets the shared modules' exports through
// compilerHost(): an export added to one of them but not listed there breaks `npm pack`. Checked
// here, where it shows at once, for every module compilerHost names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compilerHost } from "../../tracer/compiler_host.ts";

test("compilerHost lists every value export of the modules it gives the compiler", async () => {
  for (const [path, given] of Object.entries(compilerHost())) {
    const mod = await import(new URL(`../../${path}`, import.meta.url).href);
    const missing = Object.keys(mod).filter((name) => !(name in given));
    assert.deepEqual(missing, [], `${path}: exports missing from tracer/compiler_host.ts`);
  }
});
