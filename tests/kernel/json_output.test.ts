// JSON-lines output in bpftrace's `-f json` shape: each aggregation written by a handler and
// printed as JSON (parsed back and checked), printEvent, and the one switch on the command line
// (`tsbpf --json -e` and `tsbpf --json run`) with real tracepoints.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSource, handlersSource, load } from "./harness.ts";
import { Avg, Count, Histogram, LinearHistogram, Max, printEvent, setJsonOutput, Stats, Sum } from "../../mod.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

function tracer(fields: string, bodies: string[]) {
  const s = handlersSource(bodies).replace("class T extends Tracer {\n", `class T extends Tracer {\n${fields}\n`);
  return load(compileSource(s.replace(/^import \{ rawTracepoint/, "import { Count, Sum, Max, Avg, Stats, Histogram, LinearHistogram, rawTracepoint")));
}

test("aggregations print one JSON line each, in bpftrace's shape", () => {
  const t = tracer([
    "  c = new Count<[u32, Str<8>]>();", "  s = new Sum();", "  hi = new Max<u32>();", "  av = new Avg();", "  st = new Stats();",
    "  h = new Histogram();", "  hk = new Histogram<u32>();", "  lh = new LinearHistogram(0, 100, 10);", "  empty = new Count();",
  ].join("\n"), [
    "    const v = args[1] as i64; this.c.add([args[0] as u32, \"ab\"]); this.s.add(v); this.hi.add(args[0] as u32, v); this.av.add(v); this.st.add(v); this.h.add(v); this.hk.add(args[0] as u32, v); this.lh.add(v);",
  ]);
  try {
    const fields = {
      c: new Count<[number, string]>(), s: new Sum(), hi: new Max<number>(), av: new Avg(), st: new Stats(),
      h: new Histogram(), hk: new Histogram<number>(), lh: new LinearHistogram(0, 100, 10), empty: new Count(),
    };
    for (const [name, f] of Object.entries(fields)) t.bind(name, f);
    for (const [k, v] of [[1, 5], [1, 40], [2, -3], [1, 1000]]) t.run("h0", [BigInt(k), BigInt.asUintN(64, BigInt(v))]);
    const lines: string[] = [];
    for (const f of Object.values(fields)) f.print({ json: true, out: (l) => lines.push(l) });
    const parsed = lines.map((l) => JSON.parse(l));
    assert.deepEqual(parsed, [
      { type: "map", data: { "@c": { "2,ab": 1, "1,ab": 3 } } },
      { type: "map", data: { "@s": 1042 } },
      { type: "map", data: { "@hi": { "2": -3, "1": 1000 } } },
      { type: "stats", data: { "@av": 260 } },
      { type: "stats", data: { "@st": { count: 4, average: 260, total: 1042 } } },
      { type: "hist", data: { "@h": [
        { max: -1, count: 1 }, { min: 0, max: 0, count: 0 }, { min: 1, max: 1, count: 0 }, { min: 2, max: 3, count: 0 }, { min: 4, max: 7, count: 1 },
        { min: 8, max: 15, count: 0 }, { min: 16, max: 31, count: 0 }, { min: 32, max: 63, count: 1 }, { min: 64, max: 127, count: 0 },
        { min: 128, max: 255, count: 0 }, { min: 256, max: 511, count: 0 }, { min: 512, max: 1023, count: 1 },
      ] } },
      { type: "hist", data: { "@hk": { "2": [{ max: -1, count: 1 }], "1": [
        { min: 4, max: 7, count: 1 }, { min: 8, max: 15, count: 0 }, { min: 16, max: 31, count: 0 }, { min: 32, max: 63, count: 1 }, { min: 64, max: 127, count: 0 },
        { min: 128, max: 255, count: 0 }, { min: 256, max: 511, count: 0 }, { min: 512, max: 1023, count: 1 },
      ] } } },
      { type: "hist", data: { "@lh": [
        { max: -1, count: 1 }, { min: 0, max: 9, count: 1 }, { min: 10, max: 19, count: 0 }, { min: 20, max: 29, count: 0 }, { min: 30, max: 39, count: 0 },
        { min: 40, max: 49, count: 1 }, { min: 50, max: 59, count: 0 }, { min: 60, max: 69, count: 0 }, { min: 70, max: 79, count: 0 },
        { min: 80, max: 89, count: 0 }, { min: 90, max: 99, count: 0 }, { min: 100, count: 1 },
      ] } },
    ], "an empty map prints nothing");
    const text: string[] = [];
    setJsonOutput(true);
    try {
      fields.s.print({ out: (l) => text.push(l) });
    } finally {
      setJsonOutput(false);
    }
    fields.s.print({ out: (l) => text.push(l) });
    assert.deepEqual(text, ['{"type": "map", "data": {"@s": 1042}}', "@s: 1042"], "print() follows the output mode");
  } finally {
    t.close();
  }
});

test("printEvent: a JSON record in JSON mode, text otherwise; bigints stay exact", () => {
  const out: string[] = [];
  const e = { pid: 42, big: 18446744073709551615n, comm: "a\"b" };
  printEvent(e, (x) => `${x.pid} ${x.comm}`, (l) => out.push(l));
  setJsonOutput(true);
  try {
    printEvent(e, (x) => `${x.pid} ${x.comm}`, (l) => out.push(l));
  } finally {
    setJsonOutput(false);
  }
  assert.equal(out[0], '42 a"b');
  assert.equal(out[1], '{"type": "event", "data": {"pid": 42, "big": 18446744073709551615, "comm": "a\\"b"}}');
  assert.equal(JSON.parse(out[1]).data.pid, 42);
});

function tsbpf(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const cmd = typeof Bun !== "undefined" ? [process.execPath, MAIN, ...args] : [process.execPath, "run", "-A", "--quiet", MAIN, ...args];
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) => child.on("exit", (status) => (clearTimeout(timer), resolve({ status, stdout, stderr }))));
}

test("tsbpf --json -e: printf records and the maps at the end, each line valid JSON", async () => {
  const r = await tsbpf(["--json", "-e", 'tracepoint("raw_syscalls:sys_enter", (a) => { $.calls = count(); $.ids = hist(a.id); $.by[pid()] = sum(1); printf("id %d\\n", 7); exit(); })']);
  assert.equal(r.status, 0, r.stderr);
  const records = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(records.some((x) => x.type === "printf" && x.data === "id 7\n"), r.stdout);
  const calls = records.find((x) => x.type === "map" && "@calls" in x.data);
  assert.ok(calls && calls.data["@calls"] >= 1, r.stdout);
  const ids = records.find((x) => x.type === "hist");
  assert.ok(Array.isArray(ids?.data["@ids"]) && ids.data["@ids"].every((b: { count: number }) => typeof b.count === "number"), r.stdout);
  const by = records.find((x) => x.type === "map" && "@by" in x.data);
  assert.ok(Object.keys(by.data["@by"]).every((k) => /^\d+$/.test(k)), r.stdout);
});

test("tsbpf --json -e: every stdout line is one JSON record, the attach line too (bpftrace's attached_probes)", async () => {
  const r = await tsbpf(["--json", "-d", "300ms", "-e", 'begin(() => print("began")); tracepoint("raw_syscalls:sys_enter", () => { $.n = count(); }); end(() => printf("done %d\\n", 1))']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  const records = lines.map((l) => {
    assert.doesNotThrow(() => JSON.parse(l), `not a JSON record: ${l}`);
    return JSON.parse(l);
  });
  assert.ok(records.every((x) => typeof x.type === "string" && "data" in x), r.stdout);
  assert.deepEqual(records.find((x) => x.type === "attached_probes"), { type: "attached_probes", data: { probes: 1 } }, `${r.stdout}\n${r.stderr}`);
  assert.ok(records.some((x) => x.type === "printf" && x.data === "began\n"), r.stdout);
  assert.ok(records.some((x) => x.type === "printf" && x.data === "done 1\n"), r.stdout);
  assert.doesNotMatch(r.stderr, /Attaching/, "the attach line is a record on stdout, not text");
});

test("tsbpf --json run: a script's events (printEvent) and its maps printed by the default end()", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-json-"));
  try {
    const script = join(dir, "writes.ts");
    writeFileSync(script, `import { Count, Histogram, printEvent, pid, RingBuf, tracepoint, Tracer, type TracepointArgs, type u32, type u64 } from "tsbpf";
import process from "node:process";
import { writeSync } from "node:fs";
interface Write { pid: u32; bytes: u64 }
class Writes extends Tracer {
  target: u32 = 0;
  calls = new Count<u32>();
  sizes = new Histogram();
  events = new RingBuf<Write>();
  @tracepoint("syscalls:sys_enter_write")
  onWrite(args: TracepointArgs) {
    if (pid() !== this.target || args.fd !== 2) return;
    this.calls.add(pid());
    this.sizes.add(args.count);
    this.events.submit({ pid: pid(), bytes: args.count });
  }
}
const t = new Writes();
t.target = process.pid;
await t.start();
t.events.on((e) => printEvent(e));
for (const s of ["a\\n", "bcd\\n", "efghij\\n"]) writeSync(2, s);
setTimeout(() => t.stop(), 300);
`);
    const r = await tsbpf(["--json", "run", script]);
    assert.equal(r.status, 0, r.stderr);
    const records = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const events = records.filter((x) => x.type === "event").map((x) => x.data.bytes);
    assert.deepEqual(events, [2, 4, 7], r.stdout);
    const calls = records.find((x) => x.type === "map");
    assert.deepEqual(Object.values(calls.data["@calls"]), [3], r.stdout);
    const sizes = records.find((x) => x.type === "hist");
    assert.deepEqual(sizes.data["@sizes"], [{ min: 2, max: 3, count: 1 }, { min: 4, max: 7, count: 2 }], r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
