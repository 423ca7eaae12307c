// Aggregations print exactly as bpftrace 0.17 prints them (tests/fixtures/bpftrace_*.txt were
// produced by bpftrace 0.17.0 from the programs named in each test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatKey, histogramRows, linearBucketLabel, log2BucketLabel, mapLabel } from "../../runtime/maps/print.ts";
import { setSymbolizer, Stack } from "../../runtime/maps/stacks.ts";
import { LinearHistogram } from "../../runtime/maps/aggregations.ts";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

/** The rows of one map in a bpftrace output: from its header to the next empty line. */
function section(text: string, header: string): string[] {
  const lines = text.split("\n");
  const start = lines.indexOf(header);
  assert.ok(start >= 0, `no "${header}" in the fixture`);
  const end = lines.indexOf("", start);
  return lines.slice(start + 1, end);
}

/** The bucket each value falls in, as the kernel side computes it. */
function log2Bucket(v: number): number {
  return v < 0 ? 0 : v === 0 ? 1 : 2 + Math.floor(Math.log2(v));
}

function counts(indexes: number[]): Map<number, bigint> {
  const m = new Map<number, bigint>();
  for (const i of indexes) m.set(i, (m.get(i) ?? 0n) + 1n);
  return m;
}

// bpftrace -e 'BEGIN { @h = hist(0); @h = hist(1); @h = hist(1); @h = hist(3); @h = hist(5); @h = hist(7);
//   @h = hist(100); @h = hist(1500); @h = hist(1500); @h = hist(-4); @h = hist(1048576); ... exit(); }'
test("power-of-two histogram rows match bpftrace's", () => {
  const values = [0, 1, 1, 3, 5, 7, 100, 1500, 1500, -4, 1048576];
  assert.deepEqual(histogramRows(counts(values.map(log2Bucket)), log2BucketLabel), section(fixture("bpftrace_hist.txt"), "@h: "));
});

// ... @l = lhist(5, 0, 100, 10); @l = lhist(55, ...); @l = lhist(-3, ...); @l = lhist(250, ...); @l = lhist(57, ...)
test("linear histogram rows match bpftrace's", () => {
  const bucket = (v: number) => (v < 0 ? 0 : v >= 100 ? 11 : 1 + Math.floor(v / 10));
  const rows = histogramRows(counts([5, 55, -3, 250, 57].map(bucket)), (i) => linearBucketLabel(i, 0, 100, 10));
  assert.deepEqual(rows, section(fixture("bpftrace_hist.txt"), "@l: "));
});

// ... @k = lhist(3000, 0, 4096, 1024): K suffixes on linear labels
test("linear histogram labels use K and M like bpftrace's", () => {
  const rows = histogramRows(counts([3]), (i) => linearBucketLabel(i, 0, 4096, 1024));
  assert.deepEqual(rows, section(fixture("bpftrace_hist.txt"), "@k: "));
});

// bpftrace's get_stack returns "" when the stack id cannot be looked up (-EFAULT: kstack in a
// uprobe or a user-mode sample has no kernel stack), so the key prints as `@[]`, not `@[\n]`.
test("a stack the kernel could not capture prints as nothing, as bpftrace prints it", () => {
  const none = new Stack("kernel", -14, 0, []);
  assert.equal(formatKey(none), "");
  assert.equal(mapLabel("", none, true), "@[]");
  assert.equal(mapLabel("k", [none, "bash"], true), "@k[, bash]");
  // The symbolizer is the process's: a tracer that ran earlier in this process (another test
  // file under `bun test`) installed the one that names kernel frames. This checks the layout.
  const installed = setSymbolizer((_kind, _pid, addresses) => addresses.map((a) => `0x${a.toString(16)}`));
  try {
    assert.equal(formatKey(new Stack("kernel", 3, 0, [0xffffffff81000000n, 0xffffffff81000010n])), "\n    0xffffffff81000000\n    0xffffffff81000010\n");
  } finally {
    setSymbolizer(installed);
  }
});

// lhist(v, 0, 2000, 300): 300 does not divide 2000, so the last whole-step bucket would end past
// the max, where the "[2000, ...)" bucket already starts: it holds 1800 to 1999 and says so
// (it was labelled [1800, 2100), and its JSON bounds said max 2099).
test("a linear histogram's partial last bucket ends at its max, in rows and in bounds", () => {
  const rows = histogramRows(counts([7, 8]), (i) => linearBucketLabel(i, 0, 2000, 300));
  assert.deepEqual(rows.map((r) => r.split(" ")[0] + " " + r.split(" ")[1]), ["[1800, 2000)", "[2000, ...)"]);
  const h = new LinearHistogram(0, 2000, 300) as unknown as { bounds(i: number): [bigint | undefined, bigint | undefined] };
  assert.deepEqual(h.bounds(7), [1800n, 2000n]);
  assert.deepEqual(h.bounds(6), [1500n, 1800n]);
  assert.deepEqual(h.bounds(8), [2000n, undefined]);
});
