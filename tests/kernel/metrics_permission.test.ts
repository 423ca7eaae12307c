// A tracer that serves metrics, run by Deno without --allow-net (the docs' `deno run --allow-ffi`
// plus what a tracer reads): a one-line message and status 1, not Deno's uncaught NotCapable
// with a stack of its own internals. Runs Deno whichever runtime runs this file.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const ROOT = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-metrics-permission-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("Deno without --allow-net: serving metrics stops with what to add, not an uncaught error", () => {
  const script = join(dir, "metrics.ts");
  writeFileSync(script, [
    `import { comm, Count, Tracer, tracepoint, type Str } from ${JSON.stringify(join(ROOT, "mod.ts"))};`,
    `class M extends Tracer {`,
    `  calls = new Count<Str<16>>();`,
    `  @tracepoint("syscalls:sys_enter_getppid")`,
    `  on() { this.calls.add(comm()); }`,
    `}`,
    `const t = await new M().start({ metrics: "127.0.0.1:0" });`,
    `await t.stop();`,
  ].join("\n"));
  const r = spawnSync(join(ROOT, "node_modules/.bin/deno"), ["run", "--allow-ffi", "--allow-read", "--allow-write", "--allow-env", script], {
    encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^Cannot serve metrics at 127\.0\.0\.1:0: Deno needs --allow-net$/m);
  assert.doesNotMatch(r.stderr, /Uncaught|NotCapable|ext:deno_node/);
});
