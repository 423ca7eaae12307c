// Handlers at size: many map operations, long switches, stack slots shared between values whose
// lives do not overlap, run in the kernel (BPF_PROG_TEST_RUN) and read back from JavaScript.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSource, handlersSource, load } from "./harness.ts";
import { HashMap } from "../../mod.ts";

function tracer(fields: string, bodies: string[], extra = "") {
  const source = handlersSource(bodies, extra).replace("class T extends Tracer {\n", `class T extends Tracer {\n${fields}\n`);
  const spec = compileSource(source.replace(/^import \{ rawTracepoint/, "import { HashMap, rawTracepoint"));
  return { spec, loaded: load(spec) };
}

test("a 40-arm switch with a map update in every arm fits the stack and updates the right key", () => {
  const arms = Array.from({ length: 40 }, (_, i) => `      case ${i}: this.m.set(${i * 3}, args[1] + ${i}); break;`).join("\n");
  const { spec, loaded } = tracer("  m = new HashMap<u32, u64>();", [`    switch (args[0] as u32) {\n${arms}\n    }\n    return 0;`]);
  try {
    assert.ok(spec.programs[0].stackSize <= 16, `stack: ${spec.programs[0].stackSize} bytes`);
    const m = loaded.bind("m", new HashMap<number, bigint>());
    for (const arm of [0, 1, 17, 39]) loaded.run("h0", [BigInt(arm), 1000n]);
    assert.deepEqual(m.entries().sort((a, b) => a[0] - b[0]), [[0, 1000n], [3, 1001n], [51, 1017n], [117, 1039n]]);
  } finally {
    loaded.close();
  }
});

test("33 map updates in one handler share their key and value slots", () => {
  const body = Array.from({ length: 33 }, (_, i) => `    this.m.set(${i}, args[0] * ${i + 1});`).join("\n") + "\n    return 0;";
  const { spec, loaded } = tracer("  m = new HashMap<u32, u64>();", [body]);
  try {
    assert.ok(spec.programs[0].stackSize <= 16, `stack: ${spec.programs[0].stackSize} bytes`);
    const m = loaded.bind("m", new HashMap<number, bigint>());
    loaded.run("h0", [5n]);
    assert.equal(m.entries().length, 33);
    for (let i = 0; i < 33; i++) assert.equal(m.get(i), 5n * BigInt(i + 1));
  } finally {
    loaded.close();
  }
});

test("a value alive across many map updates, or across a loop of them, keeps its bytes", () => {
  const updates = Array.from({ length: 20 }, (_, i) => `    this.m.set(${100 + i}, ${i});`).join("\n");
  const { loaded } = tracer("  m = new HashMap<u32, u64>();\n  s = new HashMap<u32, Str<16>>();", [
    // `name` is written first and read last: the updates between must not land on it.
    `    const name: Str<16> = comm();\n${updates}\n    this.s.set(1, name);\n    return 0;`,
    `    const name: Str<16> = comm();\n    for (let i = 0; i < 8; i++) { this.m.set(200 + i, i); this.s.set(10 + i, name); }\n    this.s.set(2, name);\n    return 8;`,
  ]);
  try {
    const m = loaded.bind("m", new HashMap<number, bigint>());
    const s = loaded.bind("s", new HashMap<number, string>());
    loaded.run("h0");
    const comm = s.get(1);
    assert.ok(comm && comm.length > 0, `comm() read back: ${JSON.stringify(comm)}`);
    for (let i = 0; i < 20; i++) assert.equal(m.get(100 + i), BigInt(i));
    assert.equal(loaded.run("h1"), 8);
    for (let i = 0; i < 8; i++) assert.equal(m.get(200 + i), BigInt(i));
    for (let i = 0; i < 8; i++) assert.equal(s.get(10 + i), comm);
    assert.equal(s.get(2), comm);
  } finally {
    loaded.close();
  }
});
