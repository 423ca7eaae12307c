// Whole-map reads and writes through the kernel's batch commands (5.6+), checked against the
// key-by-key path on the same maps, and against what handlers see.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSource, handlersSource, load } from "./harness.ts";
import { ArrayMap, Count, HashMap, Histogram } from "../../mod.ts";
import { setBatchOps } from "../../runtime/maps/kernel_map.ts";
import { mapLookupBatch } from "../../runtime/bpf.ts";

function tracer(fields: string, bodies: string[]) {
  const s = handlersSource(bodies, "interface Point { x: u32; y: i16; name: Str<8> }\n").replace("class T extends Tracer {\n", `class T extends Tracer {\n${fields}\n`);
  return load(compileSource(s.replace(/^import \{ rawTracepoint/, "import { HashMap, ArrayMap, Count, Histogram, rawTracepoint")));
}

/** Runs `read` with batches, then key by key; returns both results. */
function bothWays<T>(read: () => T): [T, T] {
  const batched = read();
  setBatchOps(false);
  try {
    return [batched, read()];
  } finally {
    setBatchOps(true);
  }
}

const byKey = <K, V>(rows: [K, V][]) => rows.sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0));

test("the kernel has batch lookups for hash maps (so the batched path below is the one measured)", () => {
  const t = tracer("  m = new HashMap<u32, u64>(16);", ["    return 0;"]);
  try {
    const m = t.bind("m", new HashMap<number, bigint>(16));
    m.set(1, 2n);
    const fd = (m as unknown as { access: { fd: number } }).access.fd;
    const r = mapLookupBatch(fd, undefined, new Uint8Array(8), new Uint8Array(16 * 4), new Uint8Array(16 * 8), 16);
    assert.deepEqual(r, { count: 1, done: true });
  } finally {
    t.close();
  }
});

test("HashMap: setBatch of 10 000 entries, read back batched and key by key, seen by the handler", () => {
  const t = tracer("  m = new HashMap<u32, Point>(20000);", ["    return this.m.get(args[0] as u32).x;"]);
  try {
    const m = t.bind("m", new HashMap<number, { x: number; y: number; name: string }>(20000));
    const rows: [number, { x: number; y: number; name: string }][] = Array.from({ length: 10_000 }, (_, i) => [i * 7, { x: i, y: (i % 300) - 150, name: `p${i % 1000}` }]);
    m.setBatch(rows);
    assert.equal(t.run("h0", [7n * 4321n]), 4321, "the handler finds an entry written by the batch");
    const [batched, single] = bothWays(() => byKey(m.entries()));
    assert.equal(batched.length, 10_000);
    assert.deepEqual(batched, single);
    assert.deepEqual(batched, byKey(rows));
    assert.equal(m.deleteBatch([0, 7, 14, 3, 21]), 4, "deleteBatch counts the keys that were there (3 was not)");
    assert.equal(m.size, 9_996);
    assert.equal(m.get(21), undefined);
    assert.deepEqual(m.get(28), { x: 4, y: -146, name: "p4" });
    m.clear();
    assert.equal(m.size, 0);
  } finally {
    t.close();
  }
});

test("setBatch falls back to one by one and gives the same map", () => {
  const t = tracer("  m = new HashMap<u32, u64>(100);", ["    return 0;"]);
  try {
    const m = t.bind("m", new HashMap<number, bigint>(100));
    setBatchOps(false);
    try {
      m.setBatch([[1, 10n], [2, 20n]]);
      assert.equal(m.deleteBatch([2, 5]), 1);
    } finally {
      setBatchOps(true);
    }
    assert.deepEqual(m.entries(), [[1, 10n]]);
  } finally {
    t.close();
  }
});

test("aggregations: per-CPU values merged the same with and without batches; clear() empties them", () => {
  const t = tracer("  c = new Count<u32>();\n  h = new Histogram<u32>();\n  a = new ArrayMap<u64>(64);", [
    "    const k = args[0] as u32; this.c.add(k); this.h.add(k % 3, args[1]); this.a.set(k % 64, args[1]);",
  ]);
  try {
    const c = t.bind("c", new Count<number>()), h = t.bind("h", new Histogram<number>()), a = t.bind("a", new ArrayMap<bigint>(64));
    for (let i = 0; i < 3000; i++) t.run("h0", [BigInt(i % 1500), BigInt(i * 37)]);
    const [counts, countsSingle] = bothWays(() => byKey(c.entries()));
    assert.equal(counts.length, 1500);
    assert.ok(counts.every(([, n]) => n === 2n));
    assert.deepEqual(counts, countsSingle);
    const [hist, histSingle] = bothWays(() => h.format());
    assert.deepEqual(hist, histSingle);
    assert.equal(hist.filter((l) => l.startsWith("@h[")).length, 3);
    const [arr, arrSingle] = bothWays(() => a.entries());
    assert.equal(arr.length, 64);
    assert.deepEqual(arr, arrSingle);
    c.clear();
    assert.deepEqual(c.entries(), []);
    assert.ok(h.entries().length > 0, "clearing one map leaves the others");
  } finally {
    t.close();
  }
});
