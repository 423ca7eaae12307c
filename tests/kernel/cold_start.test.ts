// What a cold start (a script not in the compile cache) reads and loads besides the compiler:
// each item here once cost tens of milliseconds of every new or edited script's launch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "./util.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

async function run(fixture: string): Promise<Record<string, unknown>> {
  const r = runScript(FIXTURES + fixture);
  const code = await r.exited;
  assert.equal(code, 0, r.output());
  return JSON.parse(r.stdout().trim().split("\n").at(-1)!);
}

test("compiling a tracepoint tracer with a RingBuf does not read the kernel's BTF", async () => {
  const out = await run("cold_compile.ts");
  // The compile itself worked and chose a ring buffer: the kernel has them (6.18).
  assert.equal(out.programs, 1);
  assert.equal(out.ringbuf, true);
  // Whether ring buffers exist is asked of the kernel, not looked up in a 5 MB BTF blob.
  assert.equal(out.btf, false);
});

test("compiling a tracepoint tracer loads the tracepoint probe kind only", async () => {
  const out = await run("cold_compile.ts");
  assert.equal(out.programs, 1);
  // The others (uprobes' ELF readers, kprobes' BTF lookups, USDT...) are for sources that use them.
  assert.deepEqual(out.kinds, ["tracepoint"]);
});

test("the kernel's BTF is mapped, not read, where the kernel allows it (6.14+)", async () => {
  const out = await run("cold_btf.ts");
  assert.equal(out.taskStruct, true, "the BTF was not parsed right");
  // Reading copied all of its 5-6 MB before the first lookup.
  assert.equal(out.mapped, true);
});
