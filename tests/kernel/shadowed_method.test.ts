// A map field named as one of Tracer's methods (bpftrace's @start as `start = new HashMap()`) hides
// the method: `await new T().start()` failed with "start is not a function". The script ends
// instead with the field's file:line:col and what to rename.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const dir = mkdtempSync(`${tmpdir()}/tsbpf-shadowed-`);
after(() => rmSync(dir, { recursive: true, force: true }));
declare const Bun: unknown;

test("a field named start: the field's place and what to rename, not 'start is not a function'", () => {
  const file = `${dir}/trace.ts`;
  writeFileSync(file, `import { HashMap, Tracer, tracepoint, tid, ktime, type u32, type u64 } from "${MOD}";

class T extends Tracer {
  start = new HashMap<u32, u64>(1024);
  @tracepoint("syscalls:sys_enter_read")
  onRead() { this.start.set(tid(), ktime()); }
}
await new T().start();
`);
  const args = typeof Bun !== "undefined" ? [file] : ["run", "-A", "--quiet", file];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, "\\.")}:4:3: T\\.start: a field named "start" hides the tracer's start\\(\\) method; rename the field`));
  assert.doesNotMatch(r.stderr, /is not a function/);
});
