// The compile cache hands back programs only to the code that compiled them: a copy of tsbpf's
// sources whose compiler is edited in place (same inode, same size, as an editor writing in place
// does) compiles again, instead of loading what the code before the edit made. Until the key
// followed the code (tracer/code_version.ts), it followed a number bumped by hand.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { runCommand, runtimeCommand } from "./util.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SOURCES = ["btf", "build", "cli", "compiler", "elf", "export", "lang", "probes", "runtime", "spec", "tool", "tracer", "mod.ts", "kernel.ts", "package.json", "deno.json"];

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `tsbpf-${name}-`));
  dirs.push(d);
  return d;
}

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
