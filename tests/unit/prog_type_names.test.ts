// The compiler names BPF program types by spec/prog_type.ts's constants, which runtime/bpf.ts
// loads with: a number written again in the compiler could drift from the one the loader uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ProgType } from "../../spec/prog_type.ts";
import { ProgType as LoaderProgType } from "../../runtime/bpf.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? files(path) : name.endsWith(".ts") ? [path] : [];
  });
}

test("the loader's program types are spec's", () => {
  assert.equal(LoaderProgType, ProgType);
  assert.equal(ProgType.TRACEPOINT, 5);
});

test("the compiler writes no program type as a number", () => {
  const found: string[] = [];
  for (const file of files("compiler")) {
    const text = readFileSync(join(ROOT, file), "utf8");
    const patterns = [
      /\/\*\*\s*BPF_PROG_TYPE_\w+\.?\s*\*\/\s*const \w+ = \d+/g, // a constant of its own
      /progType\s*[!=]==?\s*\d/g, // a comparison with a number
      /new Set\(\[\s*\d+[^\]]*\]\)[^\n]*\n?[^\n]*(?:progType|prog_type|program type)/gi, // a set of numbers for program types
      /(?:program types?|progType)[^\n]*\n[^\n]*new Set\(\[\s*\d/gi,
    ];
    for (const p of patterns) for (const m of text.matchAll(p)) found.push(`${file}: ${m[0].replace(/\s+/g, " ")}`);
  }
  assert.deepEqual(found, []);
});
