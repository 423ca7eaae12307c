// The code generator's optimisations (constant and copy propagation, narrowing to 32-bit
// operations, register allocation with spills) checked in the kernel: register pressure across
// helper calls, values rotating through variables, and seeded random programs with mutable
// variables of every width, compound assignments, branches, loops, ternaries, inlined function
// calls and struct fields, each compared with the language's reference semantics
// (compiler/semantics.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { compileSource, handlersSource, load, runBodies } from "./harness.ts";
import { prng } from "./expressions.ts";
import { FUNCTIONS, program } from "../unit/codegen_programs.ts";

const u64 = (v: bigint) => BigInt.asUintN(64, v);

test("more values live across helper calls than r6-r9 hold: spilled and reloaded", () => {
  const body = `
    const a = args[0] as u64; const b = args[1] as u64; const c = args[2] as u64;
    const d = a * 3n; const e = b + 7n; const f = c ^ 5n; const g = a + b; const h = b * c; const i = c - a; const j = a | c;
    const t1 = ktime();
    const k = d + e + f + g + h + i + j;
    const t2 = ktime();
    let s = k + a + b + c + d + e + f + g + h + i + j;
    s += t2 >= t1 ? 1n : 0n;
    return s;`;
  const [a, b, c] = [5n, 11n, 1000n];
  const d = u64(a * 3n), e = b + 7n, f = c ^ 5n, g = a + b, h = b * c, i = u64(c - a), j = a | c;
  const k = u64(d + e + f + g + h + i + j);
  const [got] = runBodies([body], [a, b, c]);
  assert.equal(got, Number(BigInt.asUintN(32, k + a + b + c + d + e + f + g + h + i + j + 1n)));
});

test("loop-carried values across helper calls", () => {
  const body = `
    let x: u64 = args[0] as u64; let y: u64 = 1; let z: u64 = 2; let w: u64 = 3; let v: u64 = 4; let u: u64 = 5;
    for (let i = 0; i < 5; i++) { const t = ktime(); x = x + y; y = y + z; z = z + w; w = w + v; v = v + u; u = u + (t > 0n ? 1n : 0n); }
    return x + y + z + w + v + u;`;
  let x = 7n, y = 1n, z = 2n, w = 3n, v = 4n, u = 5n;
  for (let i = 0; i < 5; i++) [x, y, z, w, v, u] = [x + y, y + z, z + w, w + v, v + u, u + 1n];
  const [got] = runBodies([body], [7n]);
  assert.equal(got, Number(BigInt.asUintN(32, x + y + z + w + v + u)));
});

test("variables rotated in a loop, and a function's arguments passed crosswise", () => {
  const rotate = `
    let a: u32 = args[0] as u32; let b: u32 = args[1] as u32; let c: u32 = args[2] as u32;
    for (let i = 0; i < 7; i++) { const t = a; a = b; b = c; c = t + 1; }
    return a * 1000000 + b * 1000 + c;`;
  const crosswise = `
    const a = args[0] as u32; const b = args[1] as u32;
    let s: u32 = 0;
    for (let i = 0; i < 3; i++) { s += clampx(b, a, s) + clampx(a, b, s); }
    return s;`;
  const extra = `function clampx(x: u32, lo: u32, hi: u32): u32 { if (x < lo) return lo; if (x > hi) return hi; return x; }`;
  let a = 1, b = 2, c = 3;
  for (let i = 0; i < 7; i++) [a, b, c] = [b, c, a + 1];
  const clampx = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);
  const cross = (a: number, b: number) => {
    let s = 0;
    for (let i = 0; i < 3; i++) s = (s + clampx(b, a, s) + clampx(a, b, s)) >>> 0;
    return s;
  };
  assert.deepEqual(runBodies([rotate, crosswise], [1n, 2n, 3n], extra), [(a * 1000000 + b * 1000 + c) >>> 0, cross(1, 2)]);
  assert.deepEqual(runBodies([crosswise], [10n, 20n], extra), [cross(10, 20)]);
});

// ------------------------------------------------------------------------------ random programs

const SEED = Number(process.env.TSBPF_CODEGEN_SEED ?? 7);
const COUNT = Number(process.env.TSBPF_CODEGEN_COUNT ?? 300);
test(`${COUNT} random programs with variables, branches, loops and struct fields agree with the reference (seed ${SEED})`, () => {
  const rand = prng(SEED);
  const mismatches: string[] = [];
  const BATCH = 20;
  for (let done = 0; done < COUNT; done += BATCH) {
    const progs = Array.from({ length: Math.min(BATCH, COUNT - done) }, (_, k) => program(rand, done + k));
    const loaded = load(compileSource(handlersSource(progs.map((p) => p.body), FUNCTIONS + progs.map((p) => p.extra).join(""))));
    try {
      progs.forEach((p, i) => {
        const args = [...p.args, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
        const lo = BigInt(loaded.run(`h${i}`, args));
        args[10] = 1n;
        const hi = BigInt(loaded.run(`h${i}`, args));
        const got = (hi << 32n) | lo;
        if (got !== p.expected) mismatches.push(`${p.extra}${p.body}\n  args ${p.args.join(", ")}\n  kernel ${got}, reference ${p.expected}`);
      });
    } finally {
      loaded.close();
    }
  }
  assert.equal(mismatches.length, 0, `${mismatches.length} mismatches, first ones:\n${mismatches.slice(0, 3).join("\n\n")}`);
});
