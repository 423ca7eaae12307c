// Every construct of the handler language, compiled, loaded through the verifier and run in
// the kernel with BPF_PROG_TEST_RUN; each asserts the value the handler computed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runBodies } from "./harness.ts";
import { CASES, FUNCTIONS } from "../unit/language_cases.ts";

test("each construct computes the documented value in the kernel", () => {
  const results = runBodies(CASES.map(([, body]) => "    " + body), [5n, BigInt.asUintN(64, -3n), 1000n, 0n], FUNCTIONS);
  const wrong = CASES.map(([what, , want], i) => [what, want >>> 0, results[i]] as const).filter(([, want, got]) => want !== got);
  assert.deepEqual(wrong, [], wrong.map(([w, want, got]) => `${w}: want ${want}, got ${got}`).join("\n"));
});

test("strings compare with literals, exactly or by prefix", async () => {
  const { readFileSync } = await import("node:fs");
  const me = readFileSync("/proc/thread-self/comm", "utf8").trim();
  const cases: [string, number][] = [
    [`return comm() === "${me}" ? 1 : 0;`, 1],
    [`return comm() !== "${me}" ? 1 : 0;`, 0],
    [`return comm() === "${me.slice(0, 14)}~" ? 1 : 0;`, 0],
    [`return comm().startsWith("${me.slice(0, 2)}") ? 1 : 0;`, 1],
    [`return comm().startsWith("~~") ? 1 : 0;`, 0],
    [`const c = comm(); return c === "${me}" && c.startsWith("${me[0]}") ? 1 : 0;`, 1],
    [`return curtask().comm === "${me}" ? 1 : 0;`, 1],
  ];
  const got = runBodies(cases.map(([b]) => "    " + b));
  assert.deepEqual(got, cases.map(([, want]) => want), cases.map(([b], i) => `${b} → ${got[i]}`).join("\n"));
});

test("a local holds a string literal: compared, reassigned, and copied into a longer string", async () => {
  const { readFileSync } = await import("node:fs");
  const me = readFileSync("/proc/thread-self/comm", "utf8").trim();
  const cases: [string, number][] = [
    [`const s = "abc"; return s === "abc" ? 1 : 0;`, 1],
    [`const s = "abc"; return s === "abd" ? 1 : 0;`, 0],
    [`let s = "ab"; s = "xyz"; return s === "xyz" && s !== "ab" ? 1 : 0;`, 1],
    [`let s = comm(); s = "x"; return s === "x" ? 1 : 0;`, 1],
    [`const t: Str<16> = pid() > 0 ? "a" : comm(); const u: Str<16> = pid() < 0 ? "a" : comm(); return t === "a" && u === "${me}" ? 1 : 0;`, 1],
    [`const s = "${me}"; const t: Str<64> = s; return t === "${me}" ? 1 : 0;`, 1],
  ];
  const got = runBodies(cases.map(([b]) => "    " + b));
  assert.deepEqual(got, cases.map(([, want]) => want), cases.map(([b], i) => `${b} → ${got[i]}`).join("\n"));
});

test("kernel pointer casts, functions taking kernel pointers, and the tracer's own methods", async () => {
  const { compileSource, handlersSource, load } = await import("./harness.ts");
  const source = handlersSource([
    "    const t = curtask() as unknown as task_struct; return t.tgid === pid() ? 1 : 0;",
    "    return parentOf(curtask()) === ppid() ? 1 : 0;",
    "    return this.twice(args[0] as u32) + this.counted();",
  ], "function parentOf(t: task_struct): u32 { return t.real_parent.tgid; }\n").replace("class T extends Tracer {\n", `class T extends Tracer {
  hits = new HashMap<u32, u64>();
  twice(x: u32): u32 { return x * 2; }
  counted(): u32 { this.hits.add(1, 1); return this.hits.get(1) as u32; }
`).replace("import { rawTracepoint,", "import { HashMap, rawTracepoint,");
  const loaded = load(compileSource(source));
  try {
    assert.deepEqual([loaded.run("h0"), loaded.run("h1"), loaded.run("h2", [21n]), loaded.run("h2", [21n])], [1, 1, 43, 44]);
  } finally {
    loaded.close();
  }
});

test("a ternary converts each arm to the arms' common type", async () => {
  const { runBodies: run } = await import("./harness.ts");
  // s: i32 and u: u32 have the common type u32, so s (-33) becomes 0xffffffdf in the first arm too.
  const got = run(["    const s = args[0] as i32; const u = args[1] as u32; const t = s < 2 ? s : u; return t >> 28;"], [BigInt.asUintN(64, -33n), 0n]);
  assert.deepEqual(got, [15]);
});

test("?? records which field it found absent, and that holds only where the field is absent", async () => {
  const { compileSource, handlersSource } = await import("./harness.ts");
  const { brokenAssumption } = await import("../../tracer/assumptions.ts");
  const spec = compileSource(handlersSource(["    const t = curtask(); return t.no_such_field ?? t.tgid;"]));
  assert.ok(spec.assumptions?.includes("no member struct task_struct.no_such_field"), String(spec.assumptions));
  assert.equal(await brokenAssumption(spec), undefined);
  const elsewhere = { ...spec, assumptions: [...spec.assumptions!, "no member struct task_struct.tgid"] };
  assert.equal(await brokenAssumption(elsewhere), "no member struct task_struct.tgid");
});

test("&& and || as statements run their right side only when JavaScript would", async () => {
  const { compileSource, handlersSource, load } = await import("./harness.ts");
  // args[0] is 5: each statement sets bit N of the result when its right side runs.
  const source = handlersSource([
    `    const a = args[0] as u32;
    a > 3 && this.hits.set(0, 1);
    a < 3 && this.hits.set(1, 1);
    a > 3 || this.hits.set(2, 1);
    a < 3 || this.hits.set(3, 1);
    a > 3 && (a == 4 || this.mark(4));
    (a == 5 && a > 1) && this.mark(5);
    this.hits.get(0) && this.mark(6);
    this.hits.get(1) && this.mark(7);
    let r: u32 = 0;
    for (let i = 0; i < 8; i++) if (this.hits.has(i)) r |= 1 << i;
    return r;`,
  ]).replace("class T extends Tracer {\n", `class T extends Tracer {
  hits = new HashMap<u32, u64>();
  mark(i: u32) { this.hits.set(i, 1); }
`).replace("import { rawTracepoint,", "import { HashMap, rawTracepoint,");
  const loaded = load(compileSource(source));
  try {
    assert.equal(loaded.run("h0", [5n]).toString(2), (0b1111001).toString(2));
  } finally {
    loaded.close();
  }
});
