// The spec schema (spec/spec_schema.ts) must accept everything the compiler writes, or a
// cache hit silently becomes a recompile: every tool in examples/ and every fixture is compiled
// here and each spec validated. A new spec field fails this test until the schema knows it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { libc } from "../../runtime/ffi/mod.ts";
import { compile } from "../../compiler/mod.ts";
import { hostTarget } from "../../tracer/compile_target.ts";
import { validateSpecs } from "../../spec/spec_schema.ts";
import { ROOT } from "./attacker.ts";

await libc();

test("every spec the compiler writes for the tools and fixtures passes the schema", async () => {
  const target = await hostTarget();
  const files = [
    ...readdirSync(join(ROOT, "examples")).filter((n) => n.endsWith(".ts") && !n.startsWith("_")).map((n) => join(ROOT, "examples", n)),
    ...readdirSync(join(ROOT, "tests/fixtures")).filter((n) => n.endsWith(".ts")).map((n) => join(ROOT, "tests/fixtures", n)),
  ];
  let specs = 0;
  for (const file of files) {
    let compiled;
    try {
      compiled = compile(readFileSync(file, "utf8"), file, target, { orEveryClass: true });
    } catch {
      continue; // needs what only its run provides (a pid, a binary): not this test's business
    }
    // Through JSON, as the cache stores it.
    assert.doesNotThrow(() => validateSpecs(JSON.parse(JSON.stringify(compiled))), file);
    specs += compiled.length;
  }
  assert.ok(specs >= 20, `compiled ${specs} tracers`);
});
