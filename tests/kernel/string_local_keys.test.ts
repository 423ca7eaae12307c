// A string local used as a map key (`const s: Str<64> = str(p); this.lines.add(s)`): str() reads up
// to the NUL and leaves the bytes after it as they were, so the same string with other bytes
// behind it was another key (bashreadline's "exit" counted once per shell, each on its own line).
// A string local is zeroed before a string is read into it, as a key built on the stack is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSource, handlersSource, load } from "./harness.ts";
import { Count } from "../../mod.ts";

function tracer(bodies: string[]) {
  const source = handlersSource(bodies).replace("class T extends Tracer {\n", "class T extends Tracer {\n  c = new Count<Str<64>>();\n")
    .replace(/^import \{ rawTracepoint/, "import { Count, rawTracepoint");
  return load(compileSource(source));
}

const LONG_A = "a".repeat(40), LONG_B = "b".repeat(40);

test("a string local set again from str(): the same string is the same key, whatever it held before", () => {
  const t = tracer([`    let s: Str<64> = "${LONG_A}";\n    if (args[0] === 1n) s = "${LONG_B}";\n    s = str(curtask().comm);\n    this.c.add(s);`]);
  try {
    t.run("h0", [0n]);
    t.run("h0", [1n]);
    const c = t.bind("c", new Count<string>());
    const keys = [...c.entries()].map(([k]) => k);
    assert.equal(keys.length, 1, `one comm, keys: ${JSON.stringify(keys)}`);
  } finally {
    t.close();
  }
});

/** The comm keys `read` (a local from str()) makes, run after runs that left long strings on the stack. */
function keysAfterLongStrings(read: string): unknown[] {
  const t = tracer([`    if (args[0] === 1n) { const long: Str<64> = "${LONG_A}"; this.c.add(long); }\n    if (args[0] === 2n) { const long: Str<64> = "${LONG_B}"; this.c.add(long); }\n    ${read}\n    this.c.add(s);`]);
  try {
    for (const a of [1n, 2n, 0n]) t.run("h0", [a]);
    const c = t.bind("c", new Count<string>());
    return [...c.entries()].map(([k]) => k).filter((k) => !/^(a+|b+)$/.test(String(k)));
  } finally {
    t.close();
  }
}

test("a string local first set from str() after a longer string used the same stack: one key", () => {
  // Each run leaves the long string in the first local's slot; the second local may be given
  // that slot or another one: either way its bytes after the NUL must not make another key.
  const keys = keysAfterLongStrings("const s: Str<64> = str(curtask().comm);");
  assert.equal(keys.length, 1, `one comm, keys: ${JSON.stringify(keys)}`);
});

test("an untyped local from str() (const s = str(p, 64)) used as a key after a longer string: one key", () => {
  const keys = keysAfterLongStrings("const s = str(curtask().comm, 64);");
  assert.equal(keys.length, 1, `one comm, keys: ${JSON.stringify(keys)}`);
});
