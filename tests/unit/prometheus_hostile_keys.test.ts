// /metrics with keys another local user controls: process names that are not UTF-8, and label
// values as long as a stack of fake frame pointers makes them. Every answer must be one that
// Prometheus takes (promtool check metrics, and no two series with the same labels, which
// promtool does not check but a scrape refuses), and bounded in size, with what was left out
// counted as a metric.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { exposition, MAX_LABEL_BYTES, type MetricSource } from "../../export/prometheus.ts";
import { parseAddress } from "../../export/metrics_server.ts";
import { decodeStr, encodeStr } from "../../runtime/maps/codec.ts";

const noPromtool = existsSync("/usr/bin/promtool") ? false : "Debian's promtool is not installed (bash tests/references.sh installs it)";

/** A source with one Count map keyed by `comm`, holding `rows`. */
function source(rows: [unknown, bigint][]): MetricSource {
  const field = { keyed: true, entries: () => rows };
  return { tracer: "Hostile", prefix: "hostile", maps: [{ spec: { name: "byComm", kind: "count" } as never, field: field as never }], lost: () => new Map(), dropped: () => new Map() };
}

/** A comm as the kernel hands it over: up to 16 bytes, NUL-terminated. */
function comm(bytes: number[]): string {
  const b = new Uint8Array(16);
  b.set(bytes);
  return decodeStr(b, 0, 16);
}

function checkAccepted(text: string): void {
  const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}\n${text.slice(0, 4000)}`);
  const series = text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.slice(0, l.lastIndexOf(" ")));
  const seen = new Set<string>();
  for (const s of series) {
    assert.ok(!seen.has(s), `two series with the same labels (Prometheus refuses the scrape): ${s}`);
    seen.add(s);
  }
}

test("process names that are not UTF-8 stay different names, and different series at /metrics", { skip: noPromtool }, () => {
  const ff = comm([0x61, 0xff]), fe = comm([0x61, 0xfe]);
  assert.notEqual(ff, fe, "two names of different bytes decoded to one string");
  // What a name is in the kernel comes back when it is written into a key (map lookups, delete).
  const bytes = new Uint8Array(16);
  encodeStr(ff, bytes, 0, 16);
  assert.deepEqual([...bytes.subarray(0, 3)], [0x61, 0xff, 0]);
  // Valid UTF-8 decodes as before.
  assert.equal(comm([0xc3, 0xa9, 0x74, 0xc3, 0xa9]), "été");
  // A name that spells the escape itself, and one with a backslash, must not meet the bytes' escape.
  const text = exposition([source([[ff, 1n], [fe, 2n], ["a\\xff", 3n], ["a\\", 4n], ['q"\n', 5n], ["\ud800x", 6n]])], { maxSeries: 10_000, host: "h" }).text;
  checkAccepted(text);
  assert.match(text, /^hostile_by_comm_total\{key="a\\\\xff"\} 1$/m);
  assert.match(text, /^hostile_by_comm_total\{key="a\\\\xfe"\} 2$/m);
  assert.match(text, /^hostile_by_comm_total\{key="a\\\\\\\\xff"\} 3$/m);
});

test("a label value longer than MAX_LABEL_BYTES keeps its start and a hash of the whole, and is counted", { skip: noPromtool }, () => {
  const long = (c: string) => `${"x".repeat(MAX_LABEL_BYTES)}${c}`;
  const { text, shortened } = exposition([source([[long("a"), 1n], [long("b"), 2n], [long("é").replace(/x/g, "é"), 3n]])], { maxSeries: 10_000, host: "h" });
  checkAccepted(text);
  const values = [...text.matchAll(/^hostile_by_comm_total\{key="([^"]*)"\} \d$/gm)].map((m) => m[1]);
  assert.equal(values.length, 3);
  for (const v of values) assert.ok(new TextEncoder().encode(v).length <= MAX_LABEL_BYTES, `a label value of ${v.length} chars`);
  assert.equal(new Set(values).size, 3, "two long values with the same start became one series");
  assert.equal(shortened.get("hostile_by_comm_total"), 3);
  assert.match(text, /^tsbpf_metrics_label_values_shortened\{metric="hostile_by_comm_total"\} 3$/m);
});

test("the answer is bounded by maxBytes: the series past it are left out and counted", { skip: noPromtool }, () => {
  const rows: [unknown, bigint][] = [];
  for (let i = 0; i < 2000; i++) rows.push([`${i}`.padEnd(3000, "y"), BigInt(i)]);
  const maxBytes = 1024 * 1024;
  const { text, cut } = exposition([source(rows)], { maxSeries: 10_000, maxBytes, host: "h" });
  assert.ok(new TextEncoder().encode(text).length <= maxBytes, `${text.length} chars for a ${maxBytes}-byte limit`);
  checkAccepted(text);
  const kept = text.split("\n").filter((l) => l.startsWith("hostile_by_comm_total{")).length;
  assert.ok(kept > 100, `only ${kept} series kept`);
  assert.equal(cut.get("hostile_by_comm_total"), 2000 - kept);
  assert.match(text, new RegExp(`^tsbpf_metrics_series_cut\\{metric="hostile_by_comm_total"\\} ${2000 - kept}$`, "m"));
});

test("--metrics :PORT is refused with the two ways to say it: this machine only, or every interface", () => {
  assert.throws(() => parseAddress(":9435"), /give the host too: 127\.0\.0\.1:9435 for this machine only, 0\.0\.0\.0:9435 .*every interface/);
  assert.deepEqual(parseAddress("0.0.0.0:9435"), { host: "0.0.0.0", port: 9435 });
  assert.deepEqual(parseAddress("[::1]:9435"), { host: "::1", port: 9435 });
  assert.deepEqual(parseAddress("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
});
