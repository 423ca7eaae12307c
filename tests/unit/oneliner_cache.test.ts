// A one-liner's generated script kept by its text (cli/oneliner/oneliner_cache.ts): used again only while
// the kernel answers the transform's questions as it did, and only as data of the expected form.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { libc } from "../../runtime/ffi/mod.ts";
import { transformOneLiner, type KernelQuery } from "../../cli/oneliner/oneliner.ts";
import { KEEP_BYTES, KEEP_FILES, oneLinerKey, prunePending, readOneLiner, recordingQuery, scriptName, writeOneLiner } from "../../cli/oneliner/oneliner_cache.ts";

await libc();
const cache = mkdtempSync(join(tmpdir(), "tsbpf-oneliner-cache-"));
// Removed once the tests have run: Deno's test runner runs no process "exit" listeners.
after(() => rmSync(cache, { recursive: true, force: true }));
/** Stands for mod.ts, whose export names the transform reads: the key has its identity. */
const MOD_FILE = join(cache, "mod.ts");
writeFileSync(MOD_FILE, "export { Tracer } from './tracer.ts';\n");

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
  const key = await oneLinerKey(TEXT, false, OPTIONS.modUrl, OPTIONS.runtimeUrl, MOD_FILE);
  return { key, script: await readOneLiner(key, TEXT, () => k, cache) };
}

test("a one-liner transformed once is found again, with the same script and positions", async () => {
  const { kernel: recording, asked } = recordingQuery(kernel(["sched:sched_switch", "sched:sched_wakeup"]));
  const script = await transformOneLiner(TEXT, { ...OPTIONS, kernel: recording });
  const { key, script: before } = await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]));
  assert.equal(before, undefined, "nothing is kept before the first run");
  writeOneLiner(key, script, asked, scriptName(TEXT), cache);
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
  const dir = join(cache, "tsbpf-oneliners");
  const file = readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => join(dir, f))[0];
  // (the kept script's own file is not written by writeOneLiner: runOneLiner writes it, checked, on use)
  const good = readFileSync(file, "utf8");
  try {
    const entry = JSON.parse(good);
    writeFileSync(file, JSON.stringify({ ...entry, positions: { segments: [{ line: "1" }], regions: [] } }), { mode: 0o600 });
    assert.equal((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script, undefined);
    writeFileSync(file, JSON.stringify({ ...entry, key: "0".repeat(32) }), { mode: 0o600 });
    assert.equal((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script, undefined);
    // The entry names the script root imports: only a file of the cache's own form beside it.
    for (const script of ["../../../tmp/x.ts", "/tmp/x.ts", "0123456789abcdef.js", `${"a".repeat(16)}.ts/..`]) {
      writeFileSync(file, JSON.stringify({ ...entry, script }), { mode: 0o600 });
      assert.equal((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script, undefined, script);
    }
  } finally {
    writeFileSync(file, good, { mode: 0o600 });
  }
});

test("an entry under this one-liner's name but transformed from another input is not used (the name is a short hash)", async () => {
  // The name is no digest: the entry holds what it was made from, and a hit compares it exactly.
  const dir = join(cache, "tsbpf-oneliners");
  const file = readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => join(dir, f))[0];
  const good = readFileSync(file, "utf8");
  try {
    assert.ok((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script, "the entry as written is used");
    const entry = JSON.parse(good);
    writeFileSync(file, JSON.stringify({ ...entry, input: String(entry.input).replace(TEXT, `tracepoint("sched:sched_switch", () => exit())`) }), { mode: 0o600 });
    assert.equal((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script, undefined);
  } finally {
    writeFileSync(file, good, { mode: 0o600 });
  }
});

test("the cache directory is bounded: old, surplus and oversized files go, nothing else there is touched", async () => {
  const home = mkdtempSync(join(tmpdir(), "tsbpf-oneliner-prune-"));
  const outside = mkdtempSync(join(tmpdir(), "tsbpf-oneliner-outside-"));
  try {
    const { kernel: recording, asked } = recordingQuery(kernel(["sched:sched_switch"]));
    const script = await transformOneLiner(TEXT, { ...OPTIONS, kernel: recording });
    const { key } = await kept(kernel(["sched:sched_switch"]));
    writeOneLiner(key, script, asked, scriptName(TEXT), home); // creates the private directory
    const dir = join(home, "tsbpf-oneliners");
    const hex = (i: number, width: number) => i.toString(16).padStart(width, "0");
    const now = Date.now() / 1000;
    const put = (name: string, ageDays: number, bytes = 10) => {
      writeFileSync(join(dir, name), "x".repeat(bytes), { mode: 0o600 });
      utimesSync(join(dir, name), now - ageDays * 86400, now - ageDays * 86400);
    };
    for (let i = 0; i < 20; i++) put(`${hex(i, 16)}.json`, 40); // past the age limit
    for (let i = 0; i < 300; i++) put(`${hex(0x1000 + i, 16)}.ts`, 1 + i / 1000); // more than the count limit, newest first
    writeFileSync(join(dir, `${hex(0xbeef, 16)}.json`), "");
    truncateSync(join(dir, `${hex(0xbeef, 16)}.json`), KEEP_BYTES + 1); // alone over the size limit
    put("notes.txt", 400); // not a name the cache writes
    writeFileSync(join(outside, "precious.ts"), "keep me");
    utimesSync(join(outside, "precious.ts"), now - 400 * 86400, now - 400 * 86400);
    symlinkSync(join(outside, "precious.ts"), join(dir, `${hex(0xdead, 16)}.ts`)); // a link: neither followed nor removed
    mkdirSync(join(dir, `${hex(0xd1, 16)}.ts`)); // a directory of a cache name: left alone

    // Issue 20: not on the start path (listing and examining 300 files took a new one-liner 3-13 ms):
    // the write only notes it, and the run prunes when its tracing has ended.
    writeOneLiner(key, script, asked, scriptName(TEXT), home);
    assert.equal(readdirSync(dir).length, 1 + 20 + 300 + 4, "a new entry pruned the directory on the start path");
    prunePending();
    const left = new Set(readdirSync(dir));
    assert.equal([...left].filter((n) => n.endsWith(".json") && n !== `${key.name}.json` && n.startsWith("0000")).length, 0, "entries older than the age limit remain");
    assert.ok(!left.has(`${hex(0xbeef, 16)}.json`), "a file over the size limit remains");
    assert.ok(left.has(`${key.name}.json`), "the entry just written was removed");
    const scripts = [...left].filter((n) => /^[0-9a-f]{16}\.ts$/.test(n) && n !== `${hex(0xdead, 16)}.ts` && n !== `${hex(0xd1, 16)}.ts`);
    assert.equal(scripts.length, KEEP_FILES - 1, `kept ${scripts.length} scripts beside the entry`);
    assert.ok(left.has(`${hex(0x1000, 16)}.ts`) && !left.has(`${hex(0x1000 + 299, 16)}.ts`), "the newest are kept, the oldest go");
    assert.ok(left.has("notes.txt") && left.has(`${hex(0xdead, 16)}.ts`) && left.has(`${hex(0xd1, 16)}.ts`), "something not the cache's own was removed");
    assert.equal(readFileSync(join(outside, "precious.ts"), "utf8"), "keep me", "a symlink was followed");
    put(`${hex(0x2000, 16)}.ts`, 50);
    prunePending();
    assert.ok(existsSync(join(dir, `${hex(0x2000, 16)}.ts`)), "pruned again without a new file written");
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test("an edited mod.ts (another set of exports) transforms the one-liner again", async () => {
  assert.ok((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script);
  const before = readFileSync(MOD_FILE, "utf8");
  try {
    writeFileSync(`${MOD_FILE}.new`, before + "export { RingBuf } from './ringbuf.ts';\n");
    renameSync(`${MOD_FILE}.new`, MOD_FILE);
    assert.equal((await kept(kernel(["sched:sched_switch", "sched:sched_wakeup"]))).script, undefined);
  } finally {
    writeFileSync(`${MOD_FILE}.new`, before);
    renameSync(`${MOD_FILE}.new`, MOD_FILE);
  }
});

test("a one-liner run again neither asks for mod's exports nor transforms: it gets the kept script's file", async () => {
  // Issue 20: a warm -e goes from its text to the kept script; the export names (an import and
  // a read of mod's source) and the transform are for a miss only.
  const home = mkdtempSync(join(tmpdir(), "tsbpf-oneliner-generate-"));
  try {
    const { generate } = await import("../../cli/oneliner/run_oneliner.ts");
    let asked = 0;
    const exportsOf = async () => {
      asked++;
      return new Set(Object.keys(await import("../../mod.ts")));
    };
    const text = `tracepoint("syscalls:sys_enter_getppid", () => count())`;
    const first = await generate(text, false, home, exportsOf);
    assert.equal(asked, 1, "a miss transforms, with mod's export names");
    assert.equal(first.file, undefined);
    const again = await generate(text, false, home, exportsOf);
    assert.equal(asked, 1, "a hit asked for mod's export names");
    assert.equal(again.source, first.source);
    // Not below the compile cache's directory (home/tsbpf), which Bun would list on every import of it.
    assert.match(again.file ?? "", new RegExp(`^${join(home, "tsbpf-oneliners")}/[0-9a-f]{16}\\.ts$`), "the kept script's file is beside the entry");
    assert.equal(again.name, first.name, "the same one-liner's script has the same name");
    assert.notEqual((await generate(`${text} `, false, home, exportsOf)).name, first.name, "another one-liner's script has another name");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("two scripts of one one-liner that differ never share a file name", async () => {
  // The file is written and then imported by path: under one name for two scripts (the same text
  // generated against another kernel's answers or another tsbpf's mod, in a cache dir of root's
  // that two tsbpf runs share), a run writing its script between another's write and import made
  // that one run a script it was not generated as. Named from its content, as before session 14.
  const homes = [mkdtempSync(join(tmpdir(), "tsbpf-oneliner-names-")), mkdtempSync(join(tmpdir(), "tsbpf-oneliner-names-"))];
  try {
    const { generate } = await import("../../cli/oneliner/run_oneliner.ts");
    const names = new Set(Object.keys(await import("../../mod.ts")));
    const text = `tracepoint("syscalls:sys_enter_getppid", () => count())`;
    const one = await generate(text, false, homes[0], async () => names);
    const other = await generate(text, false, homes[1], async () => new Set([...names, "u8", "u16"]));
    assert.notEqual(other.source, one.source, "the two scripts are the same (the test's setup failed)");
    assert.notEqual(other.name, one.name, "two scripts of the one-liner have the same file name");
  } finally {
    homes.forEach((h) => rmSync(h, { recursive: true, force: true }));
  }
});

test("a one-liner's script is named with no digest made, on its first run or later ones", async () => {
  // Issue 20: a SHA-256 of the script named its file: a cold one-liner's first WebCrypto call on
  // Deno (≈ 2.6 ms of its main thread at load), Bun's hasher (≈ 1.2 MB of peak memory); twice on
  // a first run (the entry's name for it, then the file's).
  const home = mkdtempSync(join(tmpdir(), "tsbpf-oneliner-digest-"));
  const subtle = crypto.subtle as unknown as { digest: (...a: unknown[]) => unknown };
  const bun = (globalThis as { Bun?: { CryptoHasher: new (...a: unknown[]) => object } }).Bun;
  const { digest } = subtle, hasher = bun?.CryptoHasher;
  let digests = 0;
  subtle.digest = function (this: unknown, ...a: unknown[]) {
    digests++;
    return digest.apply(this, a);
  };
  if (bun && hasher) {
    bun.CryptoHasher = class extends hasher {
      constructor(...a: unknown[]) {
        digests++;
        super(...a);
      }
    };
  }
  try {
    const { generate } = await import("../../cli/oneliner/run_oneliner.ts");
    const text = `tracepoint("syscalls:sys_enter_getpid", () => count())`;
    await generate(text, false, home);
    const again = await generate(text, false, home);
    assert.ok(again.file, "the second run found the kept script");
    assert.equal(digests, 0, "a digest was made to name the script");
  } finally {
    subtle.digest = digest;
    if (bun && hasher) bun.CryptoHasher = hasher;
    rmSync(home, { recursive: true, force: true });
  }
});

test("a kept one-liner's tracepoint fields are checked by their format's text, which is not parsed again", async () => {
  // Issue 20: parsing the format file on every warm start cost ≈ 1 ms; the same text gives the same fields.
  const text = `tracepoint("sched:sched_switch", a => print(a.prev_pid))`;
  let parsed = 0, format = "format A";
  const k: KernelQuery = {
    expand: () => [],
    tracepointFields: () => (parsed++, [{ name: "prev_pid", offset: 8, size: 4, signed: true, type: "pid_t" } as never]),
    tracepointFormatText: () => format,
  };
  const { kernel: recording, asked } = recordingQuery(k);
  const script = await transformOneLiner(text, { ...OPTIONS, kernel: recording });
  const key = await oneLinerKey(text, false, OPTIONS.modUrl, OPTIONS.runtimeUrl, MOD_FILE);
  writeOneLiner(key, script, asked, scriptName(text), cache);
  const transformParsed = parsed;
  assert.ok((await readOneLiner(key, text, () => k, cache))?.source === script.source, "the same format text is not a hit");
  assert.equal(parsed, transformParsed, "a hit parsed the format again");
  format = "format B";
  assert.equal(await readOneLiner(key, text, () => k, cache), undefined, "another format text is a hit");
});
