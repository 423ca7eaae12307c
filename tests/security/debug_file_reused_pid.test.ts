// The symbolizer looks for a library's debug file inside the traced process's root, with its
// user's rights (debug_file_root.test.ts). Which process that is, is held from the mappings' read
// to the last candidate's open: if the process ends meanwhile and another user's process is
// given its pid, the rights of the one (a root process: root's) must not be used in the root of
// the other (nobody's container, where a link at the library's path leads into root's files).
// A race in a real tracer (the pid taken back in the microseconds between two candidates); here
// the fixture gives the pid to nobody's process on purpose, in a PID namespace of its own.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { runCommand } from "../kernel/util.ts";
import { isBun, ROOT, rootDir } from "./attacker.ts";

const PYTHON = "/usr/bin/python3";
const cleanup: string[] = [];
after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("a debug file is not looked up with a root process's rights inside the root of nobody's process given its pid", { timeout: 120_000, skip: !existsSync(PYTHON) && "no python3" }, async () => {
  // Root's library, readable by all; root's debug file for it, in a directory of root's alone.
  const dir = rootDir("debug-reused");
  cleanup.push(dir);
  chmodSync(dir, 0o755);
  const code = join(dir, "code"), secret = join(dir, "secret");
  mkdirSync(code, { mode: 0o755 });
  mkdirSync(secret, { mode: 0o700 });
  const made = spawnSync(PYTHON, [join(ROOT, "tests/security/fixtures/debug_pair.py"), `${code}/lib.so`, `${secret}/lib.debug`, "lib.debug", "rootsSecretName"], { encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  const fixture = join(ROOT, "tests/security/fixtures/debug_file_reused_pid.ts");
  const runtime = isBun ? [process.execPath, "run", fixture] : [process.execPath, "run", "-A", "--quiet", "--config", `${ROOT}deno.json`, fixture];
  const run = runCommand("unshare", ["--pid", "--fork", "--mount-proc", ...runtime, code, `${secret}/lib.debug`], {});
  assert.equal(await run.exited, 0, run.output());
  const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
  assert.equal(r.second, r.first, `the pid was not reused (the test's setup failed): ${run.stdout()}`);
  assert.ok(r.secretReachable, `root's file is not where nobody's link leads (the test's setup failed): ${run.stdout()}`);
  assert.equal(r.name, null, `the library was named from root's debug file, through nobody's link, with root's rights: ${run.stdout()}`);
});
