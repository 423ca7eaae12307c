// A tracer script run by Deno without --allow-ffi: one line that names the flag, status 1, not
// Deno's uncaught NotCapable with its stack. Needs no privileges: it fails before any syscall.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const DENO = join(ROOT, "node_modules/.bin/deno");

test("deno run without --allow-ffi: a tracer's start() says to add --allow-ffi, in one line", () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-deno-perm-"));
  try {
    const script = join(dir, "trace.ts");
    writeFileSync(script, `import { comm, Count, Tracer, tracepoint, type Str } from "${join(ROOT, "mod.ts")}";
class T extends Tracer {
  c = new Count<Str<16>>();
  @tracepoint("syscalls:sys_enter_openat")
  onOpen() { this.c.add(comm()); }
}
await new T().start();
`);
    const r = spawnSync(DENO, ["run", "--no-prompt", "--allow-read", script], { encoding: "utf8", env: { NO_COLOR: "1", PATH: "/usr/bin:/bin", HOME: dir } });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /--allow-ffi/);
    assert.doesNotMatch(r.stderr, /Uncaught|\bat /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
