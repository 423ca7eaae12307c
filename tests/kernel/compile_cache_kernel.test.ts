// The compile cache hands back a program only for the kernel and the code it was compiled for: what
// the kernel shows through files (a tracepoint's format, the kernel's build ID) is changed for one
// run by mounting another file over it in a mount namespace of that run's own (unshare), so the
// kernel and every other process keep the real ones; the code, by editing a copy of the sources.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Buffer } from "node:buffer";
import { runCommand, runtimeCommand } from "./util.ts";
import { buildIdOf } from "../../runtime/kernel_build_id.ts";

const FIXTURE = new URL("../fixtures/signal_fields.ts", import.meta.url).pathname;
const FORMAT = "/sys/kernel/tracing/events/signal/signal_generate/format";
const NOTES = "/sys/kernel/notes";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `tsbpf-${name}-`));
  dirs.push(d);
  return d;
}

/** Runs the fixture with its own compile cache; `over`: [file, what to show in its place] for this run. */
async function signalFields(cache: string, over?: [string, string]): Promise<{ sig: unknown; pid: unknown }> {
  // tests/run.sh turns the caches off; this test has its own.
  const env = { XDG_CACHE_HOME: cache, TSBPF_NO_CACHE: "", NO_COLOR: "1" };
  const command = runtimeCommand(FIXTURE);
  const [cmd, ...args] = over
    ? ["unshare", "-m", "--propagation", "private", "sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", over[1], over[0], ...command]
    : command;
  const r = runCommand(cmd, args, env);
  assert.equal(await r.exited, 0, r.output());
  return JSON.parse(r.stdout().trim().split("\n").at(-1)!);
}

test("a tracepoint whose fields moved (a module loaded at another version) is compiled again, not read at the old offsets", { timeout: 180000 }, async () => {
  const cache = tempDir("cache"), moved = join(tempDir("format"), "format");
  // sig and pid (4 bytes each) trade places: the program must read each at the other's offset.
  const real = readFileSync(FORMAT, "utf8");
  const swapped = real.replace(/(field:int sig;\s*offset:)8;/, "$136;").replace(/(field:pid_t pid;\s*offset:)36;/, "$18;");
  assert.notEqual(swapped, real, `the format of signal_generate is not the one this test knows:\n${real}`);
  writeFileSync(moved, swapped);
  const fields = { sig: "SIGWINCH", pid: "self" };
  assert.deepEqual(await signalFields(cache), fields);
  assert.deepEqual(await signalFields(cache), fields, "from the cache");
  assert.deepEqual(await signalFields(cache, [FORMAT, moved]), { sig: "self", pid: "SIGWINCH" });
  assert.deepEqual(await signalFields(cache), fields, "the real format again");
});

test("another build of the kernel under the same release and version does not reuse the programs compiled for this one", { timeout: 180000 }, async () => {
  const cache = tempDir("cache"), other = join(tempDir("notes"), "notes");
  const notes = readFileSync(NOTES);
  const id = buildIdOf(notes);
  assert.notEqual(id, "", "the kernel has no build ID note");
  notes[notes.indexOf(Buffer.from(id, "hex"))] ^= 0xff;
  assert.notEqual(buildIdOf(notes), id);
  writeFileSync(other, notes);
  const entries = () => readdirSync(join(cache, "tsbpf")).filter((f) => f.endsWith(".json")).length;
  await signalFields(cache);
  assert.equal(entries(), 1);
  await signalFields(cache, [NOTES, other]);
  assert.equal(entries(), 2, "the other build's start found this build's programs");
});

const ROOT = new URL("../../", import.meta.url).pathname;
const SOURCES = ["btf", "build", "cli", "compiler", "elf", "export", "lang", "probes", "runtime", "spec", "tool", "tracer", "mod.ts", "kernel.ts", "package.json", "deno.json"];

// A copy of the sources whose compiler is edited in place (same inode, same size, as an editor
// writing in place does) must compile again: the key follows the code (tracer/code_version.ts),
// where it followed a number bumped by hand.
const SCRIPT = `import { pid, RingBuf, Tracer, tracepoint, type u32 } from "./mod.ts";
class Calls extends Tracer {
  events = new RingBuf<{ pid: u32 }>();
  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() { this.events.submit({ pid: pid() }); }
}
const t = await new Calls().start();
await t.stop();
`;

test("a compiler edited in place, without anyone marking it, does not get the programs its earlier self compiled", { timeout: 240000 }, async () => {
  const copy = tempDir("sources"), cache = tempDir("cache");
  for (const name of SOURCES) cpSync(join(ROOT, name), join(copy, name), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
  writeFileSync(join(copy, "trace.ts"), SCRIPT);
  // tests/run.sh turns the caches off; this test has its own.
  const run = async () => {
    const [cmd, ...args] = runtimeCommand(join(copy, "trace.ts"));
    const r = runCommand(cmd, args, { XDG_CACHE_HOME: cache, TSBPF_NO_CACHE: "", NO_COLOR: "1" });
    assert.equal(await r.exited, 0, r.output());
  };
  // The names of the per-program loss counters each cached entry's programs write to.
  const lostMaps = () => readdirSync(join(cache, "tsbpf")).filter((f) => f.endsWith(".json")).map((f) => {
    const entry = JSON.parse(readFileSync(join(cache, "tsbpf", f), "utf8"));
    return entry.specs[0].maps.find((m: { kind: string }) => m.kind === "lost").name;
  }).sort();

  await run();
  assert.deepEqual(lostMaps(), ["__lost"]);
  await run();
  assert.deepEqual(lostMaps(), ["__lost"], "the second start took the first one's programs");

  // The compiler now names the counter otherwise: same length, so the file keeps its size and inode.
  const spec = join(copy, "spec", "tracer_spec.ts"), text = readFileSync(spec, "utf8");
  assert.ok(text.includes('LOST_MAP = "__lost"'), "spec/tracer_spec.ts no longer names LOST_MAP as this test expects");
  writeFileSync(spec, text.replace('LOST_MAP = "__lost"', 'LOST_MAP = "__lozt"'));
  await run();
  assert.deepEqual(lostMaps(), ["__lost", "__lozt"], "the edited compiler's start loaded the programs the code before the edit compiled");
});
