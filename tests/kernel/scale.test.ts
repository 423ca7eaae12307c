// Handlers at size: many map operations, long switches, stack slots shared between values whose
// lives do not overlap, run in the kernel (BPF_PROG_TEST_RUN) and read back from JavaScript.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSource, handlersSource, load } from "./harness.ts";
import { HashMap } from "../../mod.ts";
import { CompileError } from "../../compiler/mod.ts";

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
    // `name` is last read inside the loop, before the update's key and value are written: the
    // next iteration reads it again, so those must not land on it.
    `    const name: Str<16> = comm();\n    for (let i = 0; i < 8; i++) { this.s.set(10 + i, name); this.m.set(200 + i, i); }\n    return 8;`,
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
    for (let i = 0; i < 8; i++) assert.equal(s.get(10 + i), comm, `iteration ${i}`);
  } finally {
    loaded.close();
  }
});

/** The one diagnostic compiling `source` gives, with the text at its position. */
function refusal(source: string) {
  try {
    compileSource(source);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    assert.equal(e.diagnostics.length, 1, e.message);
    const [d] = e.diagnostics;
    const line = source.split("\n")[d.line - 1];
    return { ...d, line: d.line, text: line, at: line.slice(d.column - 1) };
  }
  assert.fail("expected a compile error");
}

test("a chain of 50 000 `+ 1` is refused as too deep at the operator where it goes over, not with an internal error", () => {
  const d = refusal(handlersSource([`    const x = args[0] as u64;\n    return x${" + 1".repeat(50_000)};`]));
  assert.equal(d.code, "TSB1002");
  assert.match(d.message, /nests too deeply/);
  assert.equal(d.line, 8);
  assert.match(d.at, /^\+ 1 \+ 1/);
  assert.ok(d.column > 1000 * 4, `column ${d.column}: the chain is refused only once long`);
  assert.ok(d.hints.some((h) => /const/.test(h)));
});

test("20 000 nested parentheses and 5000 nested ifs are refused at their own position", () => {
  const parens = refusal(handlersSource([`    return ${"(".repeat(20_000)}1${")".repeat(20_000)};`]));
  assert.deepEqual([parens.code, parens.line], ["TSB1002", 7]);
  assert.match(parens.at, /^\(\(\(/);
  assert.ok(parens.column > 150, `column ${parens.column}`);
  const ifs = refusal(handlersSource([`    let x = args[0] as u32;\n${"    if (x > 1) {\n".repeat(5000)}      x = 7;\n${"    }\n".repeat(5000)}    return x;`]));
  assert.equal(ifs.code, "TSB1002");
  assert.ok(ifs.line > 100 && ifs.line < 5000, `line ${ifs.line}`);
  assert.match(ifs.text, /^ *if \(x > 1\) \{$/);
  assert.match(ifs.at, /^[({]/);
});

test("deep but accepted nesting compiles and computes: 1500 chained additions, 150 nested ifs, a 300-deep conditional chain", () => {
  const loaded = load(compileSource(handlersSource([
    `    const x = args[0] as u64;\n    return x${" + 1".repeat(1500)};`,
    `    let x = args[0] as u32;\n${"    if (x > 1) {\n".repeat(150)}      x = 7;\n${"    }\n".repeat(150)}    return x;`,
    // Each conditional's type is only known once both its arms are lowered; nested, that took exponential time.
    `    const x = args[0] as u32;\n    return ${Array.from({ length: 300 }, (_, i) => `x === ${i} ? ${i * 2} : `).join("")}1;`,
  ])));
  try {
    assert.equal(loaded.run("h0", [5n]), 1505);
    assert.equal(loaded.run("h1", [5n]), 7);
    assert.equal(loaded.run("h1", [1n]), 1);
    assert.equal(loaded.run("h2", [123n]), 246);
    assert.equal(loaded.run("h2", [299n]), 598);
    assert.equal(loaded.run("h2", [1000n]), 1);
  } finally {
    loaded.close();
  }
});

test("a 900-arm else-if chain, whose first arms end past a BPF jump's reach, loads and takes the right arm", () => {
  // Each arm ends with a jump past the chain: from the first arms that is over 32767
  // instructions, once encoded with a wrapped offset (a jump to the wrong place); now through
  // the jumps of later arms.
  const arms = Array.from({ length: 900 }, (_, i) => `${i ? "    else " : "    "}if (x === ${i}) { this.m.set(${i}, args[1] + ${i}); this.m.set(${i + 10000}, 1); }`).join("\n");
  const { spec, loaded } = tracer("  m = new HashMap<u32, u64>();", [`    const x = args[0] as u32;\n${arms}\n    this.m.set(5000, x);\n    return 0;`]);
  try {
    assert.ok(atob(spec.programs[0].insns).length / 8 > 32768, "the chain is longer than a jump reaches");
    const m = loaded.bind("m", new HashMap<number, bigint>());
    for (const arm of [0, 1, 450, 899]) loaded.run("h0", [BigInt(arm), 1000n]);
    assert.deepEqual(m.entries().sort((a, b) => a[0] - b[0]),
      [[0, 1000n], [1, 1001n], [450, 1450n], [899, 1899n], [5000, 899n], [10000, 1n], [10001, 1n], [10450, 1n], [10899, 1n]]);
  } finally {
    loaded.close();
  }
});
