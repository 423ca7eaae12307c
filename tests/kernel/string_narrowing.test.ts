// A string stored into a shorter string (a Count<Str<8>> key, an event's Str<8> field, a shorter
// let) keeps its first N - 1 bytes and a NUL, whichever way it got there: `this.c.add(str(p))`
// always read only what fits, while the same string kept in a local first (`const s = str(p);
// this.c.add(s)`, a Str<256>) was a compile error. Both now store the same cut string.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSource, handlersSource, load } from "./harness.ts";
import { Count } from "../../mod.ts";

function keys(body: string): unknown[] {
  const source = handlersSource([body]).replace("class T extends Tracer {\n", "class T extends Tracer {\n  c = new Count<Str<8>>();\n")
    .replace(/^import \{ rawTracepoint/, "import { Count, rawTracepoint");
  const t = load(compileSource(source));
  try {
    t.run("h0", [0n]);
    return [...t.bind("c", new Count<string>()).entries()].map(([k]) => k);
  } finally {
    t.close();
  }
}

const LONG = "abcdefghijklmnop";

test("a longer string local as a shorter key keeps its first N - 1 bytes, as str() straight into the key does", () => {
  assert.deepEqual(keys(`    const s: Str<64> = "${LONG}";\n    this.c.add(s);`), ["abcdefg"]);
});

test("str(p) kept in a local (a Str<256>) and str(p) given to the key make the same key", () => {
  const direct = keys(`    this.c.add(str(curtask().comm));`);
  const local = keys(`    const s = str(curtask().comm);\n    this.c.add(s);`);
  assert.equal(direct.length, 1);
  assert.deepEqual(local, direct);
});

test("a longer string assigned to a shorter let is cut the same way", () => {
  assert.deepEqual(keys(`    const s: Str<64> = "${LONG}";\n    let short: Str<8> = "x";\n    short = s;\n    this.c.add(short);`), ["abcdefg"]);
});
