// A one-liner's generated script kept by its text (cli/oneliner/oneliner_cache.ts): used again only while
// the kernel answers the transform's questions as it did, and only as data of the expected form.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { libc } from "../../runtime/ffi/mod.ts";
import { transformOneLiner, type KernelQuery } from "../../cli/oneliner/oneliner.ts";
import { oneLinerKey, readOneLiner, recordingQuery, writeOneLiner } from "../../cli/oneliner/oneliner_cache.ts";

await libc();
const cache = mkdtempSync(join(tmpdir(), "tsbpf-oneliner-cache-"));
process.on("exit", () => rmSync(cache, { recursive: true, force: true }));

const TEXT = `tracepoint("sched:sched_*", a => { $.n[comm()] = count(); print(a.prev_pid) })`;
const OPTIONS = {
  modUrl: "file:///tsbpf/mod.ts",
  runtimeUrl: "file:///tsbpf/cli/oneliner_runtime.ts",
  exports: new Set(["Tracer", "RingBuf", "Count", "tracepoint", "comm"]),
  pidFilter: false,
};
const kernel = (matches: string[]): KernelQuery => ({
  expand: () => matches,
  tracepointFields: () => [{ name: "prev_pid", offset: 8, size: 4, signed: true, type: "pid_t" } as never],
});

async function kept(k: KernelQuery) {
  const key = await oneLinerKey(TEXT, false, OPTIONS.modUrl, OPTIONS.runtimeUrl, OPTIONS.exports);
  return { key, script: await readOneLiner(key, TEXT, () => k, cache) };
}

test("a one-liner transformed once is found again, with the same script and positions", async () => {
  const { kernel: recording, asked } = recordingQuery(kernel(["sched:sched_switch", "sched:sched_wakeup"]));
  const script = transformOneLiner(TEXT, { ...OPTIONS, kernel: recording });
  const { key, script: before } = await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]));
  assert.equal(before, undefined, "nothing is kept before the first run");
  writeOneLiner(key, script, asked, cache);
  assert.ok(asked.some((a) => a.question[0] === "expand"), "the wildcard's expansion was recorded");
  const again = (await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script;
  assert.ok(again);
  assert.equal(again.source, script.source);
  assert.equal(again.probes, script.probes);
  for (let line = 1; line <= script.source.split("\n").length; line++) {
    for (const column of [1, 5, 20, 40]) assert.deepEqual(again.map(line, column, 3), script.map(line, column, 3));
  }
});

test("a kernel that answers otherwise (another match for the wildcard) transforms it again", async () => {
  assert.ok((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script);
  assert.equal((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup", "sched:sched_waking"]))).script, undefined);
});

test("an entry that is not of the expected form, or written for another key, is not used", async () => {
  const dir = join(cache, "tsbpf", "oneliners");
  const file = readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => join(dir, f))[0];
  const good = readFileSync(file, "utf8");
  try {
    const entry = JSON.parse(good);
    writeFileSync(file, JSON.stringify({ ...entry, positions: { segments: [{ line: "1" }], regions: [] } }), { mode: 0o600 });
    assert.equal((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script, undefined);
    writeFileSync(file, JSON.stringify({ ...entry, key: "0".repeat(32) }), { mode: 0o600 });
    assert.equal((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script, undefined);
  } finally {
    writeFileSync(file, good, { mode: 0o600 });
  }
});
