// An error thrown by a function tracer.every() runs, or a listener events.on() calls, is reported at the user's line. Bun calls in
// tail position without a frame (`() => t.c.print(5)`: the arrow's frame is gone when print
// throws), so before, Bun's report named no line of the script at all; now it names where the
// function was given, both when the script runs alone and under `tsbpf run`.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { commandLine } from "./cli_run.ts";

declare const Bun: unknown;
const MOD = new URL("../../mod.ts", import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-every-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const script = join(dir, "every.ts");
writeFileSync(script, `import { Count, comm, Tracer, tracepoint, type Str } from ${JSON.stringify(MOD)};
class T extends Tracer {
  c = new Count<Str<16>>();
  @tracepoint("raw_syscalls:sys_enter")
  on() {
    this.c.add(comm());
  }
}
const t = await new T().start();
t.every(50, () => t.c.print(5));
`);

function run(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status, stderr: r.stderr };
}

test("a callback's error run alone names the script's line", () => {
  const r = run(typeof Bun !== "undefined" ? [process.execPath, script] : [process.execPath, "run", "-A", "--quiet", script]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /print\(\) takes options/, r.stderr);
  assert.ok(r.stderr.includes(`${script}:10:`), r.stderr);
});

test("a callback's error under tsbpf run is one line at the script's line", () => {
  const r = run(commandLine(["run", script]));
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^TypeError: print\\(\\) takes options, e.g. print\\(\\{ top: 5 \\}\\), not 5 at ${script.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:10:\\d+ `, "m"), r.stderr);
});

const listener = join(dir, "listener.ts");
writeFileSync(listener, `import { Count, comm, RingBuf, Tracer, tracepoint, type Str } from ${JSON.stringify(MOD)};
interface E { c: Str<16> }
class T extends Tracer {
  c = new Count<Str<16>>();
  events = new RingBuf<E>(4096);
  @tracepoint("raw_syscalls:sys_enter")
  on() {
    this.events.submit({ c: comm() });
  }
}
const t = await new T().start();
t.events.on(() => t.c.print(5));
`);

test("a listener's error names the script's line, alone and under tsbpf run", () => {
  const alone = run(typeof Bun !== "undefined" ? [process.execPath, listener] : [process.execPath, "run", "-A", "--quiet", listener]);
  assert.notEqual(alone.status, 0);
  assert.ok(alone.stderr.includes(`${listener}:12:`), alone.stderr);
  const r = run(commandLine(["run", listener]));
  assert.equal(r.status, 1, r.stderr);
  assert.ok(r.stderr.includes(`takes options, e.g. print({ top: 5 }), not 5 at ${listener}:12:`), r.stderr);
});
