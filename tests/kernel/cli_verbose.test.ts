// `--verbose` shows the decisions TSBPF_VERBOSE=1 shows (runtime/verbose.ts: which form a probe
// took, what the caches did), as docs/cli.md and docs/language.md say, in the command itself
// (-e) and in the child that runs a script (tsbpf run). It gave only stack traces with errors.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const ROOT = join(import.meta.dirname!, "../..");
const TSBPF = join(ROOT, "bin/tsbpf");
const dir = mkdtempSync(join(tmpdir(), "tsbpf-verbose-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function tsbpf(...args: string[]) {
  const env: Record<string, string | undefined> = { ...process.env, TSBPF_NO_CACHE: "1" };
  delete env.TSBPF_VERBOSE;
  return spawnSync(TSBPF, args, { cwd: dir, encoding: "utf8", timeout: 240_000, env });
}

// A wildcard's compile always says how many tracepoints it matched and how it attaches them.
const SAID = /tsbpf: tracepoint syscalls:sys_enter_f\*: \d+ tracepoints, one program/;

test("--verbose with -e: the compile's decisions are shown", { timeout: 300_000 }, () => {
  const r = tsbpf("--verbose", "-d", "100ms", "-e", 'tracepoint("syscalls:sys_enter_f*", () => count(probe()))');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, SAID, r.stderr);
});

test("--verbose with run: the script's child shows them too", { timeout: 300_000 }, () => {
  const script = join(dir, "many.ts");
  writeFileSync(script, `import { ManySyscalls } from ${JSON.stringify(join(ROOT, "tests/lifecycle/fixtures/many_syscalls.ts"))};\nconst t = new ManySyscalls();\nawait t.start();\nawait t.stop();\n`);
  const r = tsbpf("--verbose", "run", script);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, SAID, r.stderr);
});
