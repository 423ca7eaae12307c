// Every map kind written by handlers in the kernel (BPF_PROG_TEST_RUN with chosen arguments)
// and read back from JavaScript, typed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSource, handlersSource, load } from "./harness.ts";
import { ArrayMap, Avg, Count, HashMap, Histogram, LinearHistogram, Max, Min, PerCpuArrayMap, PerCpuHashMap, Stats, Sum } from "../../mod.ts";

function tracer(fields: string, bodies: string[]) {
  const source = handlersSource(bodies, "interface Point { x: u32; y: i16; name: Str<8> }\n").replace("class T extends Tracer {\n", `class T extends Tracer {\n${fields}\n`);
  return load(compileSource(source.replace(/^import \{ rawTracepoint/, "import { HashMap, ArrayMap, PerCpuHashMap, PerCpuArrayMap, LruHashMap, Count, Sum, Min, Max, Avg, Stats, Histogram, LinearHistogram, rawTracepoint")));
}

test("HashMap: set, add, delete and has in the kernel; typed entries in JS", () => {
  const t = tracer("  m = new HashMap<u32, u64>();\n  p = new HashMap<[u32, Str<8>], Point>();", [
    "    const k = args[0] as u32; this.m.set(k, args[1]); this.m.add(k + 1, 5); this.m.add(k + 1); return this.m.has(k) ? 1 : 0;",
    "    this.m.delete(args[0] as u32); return this.m.has(args[0] as u32) ? 1 : 0;",
    "    this.p.set([args[0] as u32, \"abc\"], { x: 7, y: -2, name: \"pt\" }); const q = this.p.get([args[0] as u32, \"abc\"]); return q.x + (q.y as u32);",
    "    return this.m.get(args[0] as u32) as u32;",
  ]);
  try {
    const m = t.bind("m", new HashMap<number, bigint>());
    const p = t.bind("p", new HashMap<[number, string], { x: number; y: number; name: string }>());
    assert.equal(t.run("h0", [10n, 99n]), 1);
    assert.equal(t.run("h3", [10n]), 99);
    assert.equal(m.get(10), 99n);
    assert.equal(m.get(11), 6n);
    assert.deepEqual(m.entries().sort((a, b) => a[0] - b[0]), [[10, 99n], [11, 6n]]);
    assert.equal(t.run("h1", [10n]), 0);
    assert.equal(m.get(10), undefined);
    assert.equal(t.run("h2", [3n]), 5);
    assert.deepEqual(p.get([3, "abc"]), { x: 7, y: -2, name: "pt" });
    m.set(42, 1234n);
    assert.equal(t.run("h3", [42n]), 1234, "a value written from JS is read by the handler");
  } finally {
    t.close();
  }
});

test("ArrayMap and per-CPU maps", () => {
  const t = tracer("  a = new ArrayMap<i32>(4);\n  pa = new PerCpuArrayMap<u64>(2);\n  ph = new PerCpuHashMap<u16, u32>();", [
    "    this.a.set(args[0] as u32, args[1] as i32); this.pa.add(1, args[1]); this.ph.add(7, 3); return this.a.get(args[0] as u32) as u32;",
  ]);
  try {
    const a = t.bind("a", new ArrayMap<number>(4)), pa = t.bind("pa", new PerCpuArrayMap<bigint>(2)), ph = t.bind("ph", new PerCpuHashMap<number, number>());
    assert.equal(t.run("h0", [2n, BigInt.asUintN(64, -5n)]) | 0, -5);
    t.run("h0", [2n, 10n]);
    assert.deepEqual(a.values().slice(0, 4), [0, 0, 10, 0]);
    assert.equal(pa.sum(1), 5n);
    assert.equal(ph.sum(7), 6n);
    assert.equal(ph.get(7)!.length >= 1, true);
  } finally {
    t.close();
  }
});

test("aggregations merge what the kernel counted, per key", () => {
  const t = tracer([
    "  c = new Count<u32>();", "  n = new Count();", "  s = new Sum<u32>();", "  lo = new Min();", "  hi = new Max();",
    "  av = new Avg<u32>();", "  st = new Stats();", "  h = new Histogram<u32>();", "  lh = new LinearHistogram(0, 100, 10);",
  ].join("\n"), [
    "    const k = args[0] as u32; const v = args[1] as i64; this.c.add(k); this.n.add(); this.s.add(k, v); this.lo.add(v); this.hi.add(v); this.av.add(k, v); this.st.add(v); this.h.add(k, v); this.lh.add(v);",
  ]);
  try {
    const c = t.bind("c", new Count<number>()), n = t.bind("n", new Count()), s = t.bind("s", new Sum<number>());
    const lo = t.bind("lo", new Min()), hi = t.bind("hi", new Max()), av = t.bind("av", new Avg<number>()), st = t.bind("st", new Stats());
    const h = t.bind("h", new Histogram<number>()), lh = t.bind("lh", new LinearHistogram(0, 100, 10));
    const inputs: [number, number][] = [[1, 5], [1, 7], [2, -3], [1, 1000], [2, 64]];
    for (const [k, v] of inputs) t.run("h0", [BigInt(k), BigInt.asUintN(64, BigInt(v))]);
    assert.deepEqual(c.entries().sort(), [[1, 3n], [2, 2n]]);
    assert.equal(n.get(), 5n);
    assert.equal(s.get(1), 1012n);
    assert.equal(s.get(2), 61n);
    assert.equal(lo.get(), -3n);
    assert.equal(hi.get(), 1000n);
    assert.equal(av.get(1), 337n);
    assert.deepEqual(st.get(), { count: 5n, total: 1073n, average: 214n });
    assert.deepEqual(h.get(1)!.map((b) => [b.low, b.high, b.count]), [[4n, 8n, 2n], [512n, 1024n, 1n]]);
    assert.deepEqual(h.get(2)!.map((b) => [b.low, b.high, b.count]), [[undefined, 0n, 1n], [64n, 128n, 1n]]);
    assert.deepEqual(lh.get()!.map((b) => [b.low, b.high, b.count]), [[undefined, 0n, 1n], [0n, 10n, 2n], [60n, 70n, 1n], [100n, undefined, 1n]]);
    const lines: string[] = [];
    c.print({ out: (l) => lines.push(l) });
    assert.deepEqual(lines, ["@c[2]: 2", "@c[1]: 3"]);
    c.clear();
    assert.deepEqual(c.entries(), []);
  } finally {
    t.close();
  }
});
