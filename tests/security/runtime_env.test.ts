// Bun and Deno take options from the environment that load code before any of tsbpf's: Bun's
// BUN_OPTIONS (e.g. --preload FILE) and BUN_INSPECT_PRELOAD, Node's NODE_OPTIONS (Deno honours
// --require FILE). sudo -E keeps them as it keeps HOME and XDG_CACHE_HOME, which the threat model
// counts as that user's: here nobody's module is named by each and root runs the tsbpf command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { asNobody, ROOT } from "./attacker.ts";

const CASES: [string, string, (file: string) => Record<string, string>][] = [
  ["bun", "BUN_OPTIONS=--preload", (f) => ({ BUN_OPTIONS: `--preload ${f}` })],
  ["bun", "BUN_INSPECT_PRELOAD", (f) => ({ BUN_INSPECT_PRELOAD: f })],
  ["deno", "NODE_OPTIONS=--require", (f) => ({ NODE_OPTIONS: `--require ${f}` })],
  ["bun", "NODE_OPTIONS=--require", (f) => ({ NODE_OPTIONS: `--require ${f}` })],
];

for (const [runtime, what, env] of CASES) {
  test(`the tsbpf command on ${runtime} loads no module named by a preserved ${what}`, { timeout: 60_000 }, () => {
    const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-runtime-env-"));
    chmodSync(shared, 0o755);
    const marker = `${shared}-ran`;
    try {
      const evil = join(shared, "nobody");
      mkdirSync(evil);
      chownSync(evil, 65534, 65534);
      const file = join(evil, "preload.cjs");
      asNobody(["sh", "-c", `printf 'require("node:fs").writeFileSync("${marker}", "ran");\\n' > ${file}`]);
      const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "--help"], {
        cwd: "/", env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: runtime, HOME: shared, NO_COLOR: "1", ...env(file) },
        encoding: "utf8", timeout: 30_000,
      });
      assert.equal(existsSync(marker), false, `root loaded nobody's ${file} through ${what}: ${r.stdout}${r.stderr}`);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /tsbpf/);
    } finally {
      rmSync(shared, { recursive: true, force: true });
      rmSync(marker, { force: true });
    }
  });
}

// Options of the engines themselves, from the environment, that name a path root then writes or
// reads: JavaScriptCore's (BUN_JSC_x, JSC_x: a JIT dump directory, a config file, a disk cache)
// and V8's under Deno (DENO_V8_FLAGS: --logfile). Here each names a directory of nobody's.
const WRITERS: [string, string, (dir: string) => Record<string, string>][] = [
  ["bun", "BUN_JSC_jitDumpDirectory", (d) => ({ BUN_JSC_useJITDump: "1", BUN_JSC_jitDumpDirectory: d })],
  ["bun", "JSC_jitDumpDirectory", (d) => ({ JSC_useJITDump: "1", JSC_jitDumpDirectory: d })],
  ["deno", "DENO_V8_FLAGS=--logfile", (d) => ({ DENO_V8_FLAGS: `--logfile=${d}/v8.log,--log-all` })],
  // Deno 2.9 wrote a coverage profile of every module the command loaded there, as root.
  ["deno", "DENO_COVERAGE_DIR", (d) => ({ DENO_COVERAGE_DIR: d })],
  // One no Bun has yet: any BUN_JSC_ name but tsbpf's own is dropped, not only those of Bun 1.4
  // (which refuses to start with a name it does not know: one that a later Bun reads as a path).
  ["bun", "BUN_JSC_ option of a later Bun", (d) => ({ BUN_JSC_useJITDump: "1", BUN_JSC_jitDumpDirectory: d, BUN_JSC_someLaterDumpDirectory: d })],
];

for (const [runtime, what, env] of WRITERS) {
  test(`the tsbpf command on ${runtime} writes no file where a preserved ${what} says`, { timeout: 60_000 }, () => {
    const shared = mkdtempSync(join(tmpdir(), "tsbpf-sec-engine-env-"));
    chmodSync(shared, 0o755);
    try {
      const evil = join(shared, "nobody");
      mkdirSync(evil, { mode: 0o777 });
      chownSync(evil, 65534, 65534);
      const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "--help"], {
        cwd: "/", env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, TSBPF_RUNTIME: runtime, HOME: shared, NO_COLOR: "1", ...env(evil) },
        encoding: "utf8", timeout: 30_000,
      });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.deepEqual(readdirSync(evil), [], `root wrote into nobody's ${evil} through ${what}`);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
}
