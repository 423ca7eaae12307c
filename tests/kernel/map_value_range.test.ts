// Keys and values written from JavaScript that do not fit the field's type (2 ** 32 + 5 for a u32,
// -1 for an unsigned field, 1.5, a bigint past 64 bits) are refused with an error naming the map,
// the field and the allowed range, instead of being cut to a different key or value.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "./util.ts";
import { compileSource, handlersSource, load } from "./harness.ts";
import { ArrayMap, HashMap } from "../../mod.ts";

const THIS_FILE = new URL(import.meta.url).pathname.split("/").pop()!;

function tracer() {
  const source = handlersSource(["    return this.m.get(args[0] as u32) as u32;"], "interface P { x: u8; y: i16 }\n")
    .replace("class T extends Tracer {\n", "class T extends Tracer {\n  m = new HashMap<u32, u64>();\n  s = new HashMap<i8, P>();\n  a = new ArrayMap<i64>(4);\n");
  return load(compileSource(source.replace(/^import \{ rawTracepoint/, "import { HashMap, ArrayMap, rawTracepoint")));
}

test("out-of-range or non-integer map keys and values from JavaScript are refused, not wrapped", () => {
  const t = tracer();
  try {
    const m = t.bind("m", new HashMap<number, bigint>());
    const s = t.bind("s", new HashMap<number, { x: number; y: number }>());
    const a = t.bind("a", new ArrayMap<bigint>(4));
    m.set(5, 55n);
    const refused = (what: string, fn: () => unknown, field: RegExp) => {
      assert.throws(fn, (e: Error) => {
        assert.equal(e.name, "MapValueError", `${what}: ${e.name}: ${e.message}`);
        assert.match(e.message, /\bm\b|\bs\b|\ba\b/, what);
        assert.match(e.message, field, what);
        // Thrown from the user's line: Bun shows the source of the first frame (`void`: a call in
        // tail position has no frame of its own under Bun, which has proper tail calls).
        const frames = (e.stack ?? "").split("\n").filter((l) => /^\s*at /.test(l));
        assert.ok(frames[0]?.includes(THIS_FILE), `${what}: first frame is not the caller's:\n${frames.slice(0, 4).join("\n")}`);
        return true;
      }, what);
    };
    refused("get(2**32 + 5)", () => void m.get(2 ** 32 + 5), /key.*0 to 4294967295/);
    refused("has(2**32 + 5)", () => void m.has(2 ** 32 + 5), /key/);
    refused("delete(-1)", () => void m.delete(-1), /key/);
    refused("set(1.5, 1n)", () => void m.set(1.5, 1n), /key/);
    refused("set(NaN, 1n)", () => void m.set(NaN, 1n), /key/);
    refused("set(1, 2n ** 64n)", () => void m.set(1, 2n ** 64n), /value.*18446744073709551615/);
    refused("set(1, -1n)", () => void m.set(1, -1n), /value/);
    refused("set(1, 0.5)", () => void m.set(1, 0.5 as unknown as bigint), /value/);
    refused("setBatch", () => void m.setBatch([[1, 1n], [2 ** 32, 1n]]), /key/);
    refused("deleteBatch", () => void m.deleteBatch([2 ** 40]), /key/);
    refused("add(2**32+5)", () => void m.add(2 ** 32 + 5), /key/);
    refused("struct field x: u8 = 256", () => void s.set(1, { x: 256, y: 0 }), /value\.x.*0 to 255/);
    refused("struct field y: i16 = -40000", () => void s.set(1, { x: 1, y: -40000 }), /value\.y.*-32768 to 32767/);
    refused("i8 key 128", () => void s.get(128), /key.*-128 to 127/);
    refused("i64 value 2n**63n", () => void a.set(0, 2n ** 63n), /value/);
    refused("index 2**32", () => void a.get(2 ** 32), /key|index/);
    refused("a string key", () => void m.get("5" as unknown as number), /key/);
    assert.equal(m.get(5), 55n, "the key 5 still reads");
    assert.equal(m.get(2 ** 32 - 1), undefined);
    assert.equal(m.size, 1, "nothing was written by the refused calls");
    a.set(1, -(2n ** 63n));
    assert.equal(a.get(1), -(2n ** 63n), "the i64 minimum fits");
    s.set(-128, { x: 255, y: -32768 });
    assert.deepEqual(s.get(-128), { x: 255, y: -32768 }, "the bounds themselves fit");
    m.set(7, 3 as unknown as bigint);
    assert.equal(m.get(7), 3n, "a number that fits a u64 is still taken");
  } finally {
    t.close();
  }
});

test("a tracer parameter that does not fit its type stops start(), naming it", { timeout: 60000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-param-range-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, "param.ts");
  writeFileSync(script, [
    `import { Tracer, tracepoint, pid, type u8 } from ${JSON.stringify(new URL("../../mod.ts", import.meta.url).pathname)};`,
    "class P extends Tracer {",
    "  limit: u8 = 0;",
    '  @tracepoint("sched:sched_process_exit")',
    "  onExit() {",
    "    if (pid() === this.limit) return;",
    "  }",
    "}",
    "const t = new P();",
    "t.limit = 300; // would be 44 in the kernel if cut to 8 bits",
    "await t.start();",
    'console.log("started");',
    "await t.stop();",
  ].join("\n"));
  const run = runCommand(process.execPath, [...(typeof (globalThis as { Deno?: unknown }).Deno === "undefined" ? [] : ["run", "-A"]), script]);
  const status = await run.exited;
  assert.notEqual(status, 0, run.output());
  assert.doesNotMatch(run.stdout(), /started/);
  assert.match(run.stderr(), /P\.limit must be an integer from 0 to 255, got 300/);
});
