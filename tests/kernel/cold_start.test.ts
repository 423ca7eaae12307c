// What a cold start (a script not in the compile cache) reads and loads besides the compiler:
// each item here once cost tens of milliseconds of every new or edited script's launch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { runCommand, runScript } from "./util.ts";
import { commandLine } from "./cli_run.ts";
import { KEEP_FILES } from "../../cli/oneliner/oneliner_cache.ts";

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

test("compiling kernel struct reads through an event class's raw tracepoint reads little of the kernel's BTF", async () => {
  const out = await run("cold_btf_compile.ts");
  assert.equal(out.programs, 1);
  // Hashing every name of vmlinux (~130k) for a handful of lookups cost a cold start 10-40 ms.
  assert.equal(out.indexedNames, 0);
  // Naming sched_wakeup's arguments decoded and rendered every __bpf_trace_* stub (2263 types here, 100-200 ms).
  assert.ok((out.decodedTypes as number) < (out.types as number) / 100, `${out.decodedTypes} of ${out.types} types decoded`);
});

test("a one-liner run again starts from its kept script, and behaves and reports errors as the first run did", { timeout: 120000 }, async () => {
  const cache = mkdtempSync(join(tmpdir(), "tsbpf-oneliner-"));
  try {
    // tests/run.sh turns the caches off; this test has its own.
    const env = { XDG_CACHE_HOME: cache, TSBPF_NO_CACHE: "", TSBPF_VERBOSE: "1", NO_COLOR: "1" };
    const once = async (oneLiner: string) => {
      const [cmd, ...args] = commandLine(["-e", oneLiner]);
      const r = runCommand(cmd, args, env);
      const status = await r.exited;
      const lines = (s: string) => s.split("\n").filter((l) => !l.startsWith("tsbpf: ") && !/^\s+at /.test(l)).join("\n");
      return { status, stdout: r.stdout(), stderr: lines(r.stderr()), kept: r.stderr().includes("as transformed before") };
    };
    const works = `begin(() => print("begun")); tracepoint("syscalls:sys_enter_getppid", () => count()); interval(1, () => exit())`;
    const first = await once(works), second = await once(works);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.kept, false);
    assert.equal(second.kept, true, second.stderr);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /^begun$/m);
    // A compile error is found after the transform: the kept script's positions still point into the one-liner.
    const wrong = `tracepoint("syscalls:sys_enter_openat", a => print(comm(), str(a.filenam)))`;
    const a = await once(wrong), b = await once(wrong);
    assert.equal(b.kept, true, b.stderr);
    assert.notEqual(b.status, 0);
    assert.match(b.stderr, /-e:1:66: error\[TSB1004\]: tracepoint syscalls:sys_enter_openat has no field "filenam"/);
    assert.equal(b.stderr.replace(/.*as transformed before.*\n?/, ""), a.stderr);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test("a new one-liner bounds its cache after its tracing, not on the way to attaching", { timeout: 120000 }, async () => {
  // Issue 20: listing and examining 300 files took a new one-liner's start 3-13 ms.
  const cache = mkdtempSync(join(tmpdir(), "tsbpf-oneliner-prune-"));
  try {
    const dir = join(cache, "tsbpf-oneliners");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const old = Date.now() / 1000 - 86400;
    for (let i = 0; i < KEEP_FILES + 44; i++) {
      const file = join(dir, `${(0x1000 + i).toString(16).padStart(16, "0")}.ts`);
      writeFileSync(file, "// an older one-liner's script\n", { mode: 0o600 });
      utimesSync(file, old, old);
    }
    const [cmd, ...args] = commandLine(["-e", `tracepoint("syscalls:sys_enter_getppid", () => count()); interval(1, () => exit())`]);
    const r = runCommand(cmd, args, { XDG_CACHE_HOME: cache, TSBPF_NO_CACHE: "", TSBPF_VERBOSE: "1", NO_COLOR: "1" });
    assert.equal(await r.exited, 0, r.output());
    const stderr = r.stderr();
    const attached = stderr.indexOf("Attaching 1 probe"), pruned = stderr.search(/removed \d+ old files from the one-liner cache/);
    assert.ok(attached >= 0 && pruned >= 0, stderr);
    assert.ok(pruned > attached, `the cache was pruned before the probe was attached:\n${stderr}`);
    assert.ok(readdirSync(dir).length <= KEEP_FILES, `${readdirSync(dir).length} files left`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
