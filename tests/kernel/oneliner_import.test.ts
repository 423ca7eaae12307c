// A one-liner's script (kept or new) is run in the command's own process. On Bun it is required
// there, on the main thread: a dynamic import() of a .ts file goes through Bun's module loader,
// which starts its own threads to read and transpile it (≈ 10 % of a warm one-liner's CPU). Seen
// by strace (-ff, one log per thread): which thread opened the script.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasStrace } from "./opened_files.ts";
import { commandLine } from "./cli_run.ts";

declare const Bun: unknown;

/** Runs the one-liner; the threads (by id) that opened a file of the one-liner cache, and the main thread's id. */
function scriptOpeners(oneliner: string, logs: string, cache: string): { openers: number[]; main: number; stdout: string } {
  const dir = mkdtempSync(join(logs, "run-"));
  const r = spawnSync("strace", ["-ff", "-qq", "-e", "trace=open,openat", "-o", join(dir, "thread"), ...commandLine(["-e", oneliner])], {
    encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: cache },
  });
  assert.equal(r.status, 0, r.stderr);
  const openers: number[] = [];
  let main = Infinity;
  for (const log of readdirSync(dir)) {
    const tid = Number(log.slice("thread.".length));
    const text = readFileSync(join(dir, log), "utf8");
    // The dynamic loader runs on the process's first thread only.
    if (/"\/etc\/ld\.so\.cache"/.test(text)) main = Math.min(main, tid);
    if (/tsbpf-oneliners\/[0-9a-f]{16}\.ts", [^)]*\) = \d+/.test(text)) openers.push(tid);
  }
  return { openers, main, stdout: r.stdout };
}

test("a one-liner's script is read by the command's main thread (Bun: required, not imported through the module loader)", { skip: (!hasStrace && "needs strace") || (typeof Bun === "undefined" && "Bun only: Deno's import is its own") }, () => {
  const oneliner = `begin(() => (print("hello"), exit()))`;
  // Made here, not at the top: Deno runs no after() hook in a file whose every test is skipped.
  const logs = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  const cache = mkdtempSync(join(tmpdir(), "tsbpf-cache-"));
  try {
    for (const run of ["new", "kept"]) {
      const { openers, main, stdout } = scriptOpeners(oneliner, logs, cache);
      assert.equal(stdout, "hello\n", run);
      assert.ok(openers.length > 0, `${run}: the script was opened`);
      assert.deepEqual([...new Set(openers)], [main], `${run}: the threads that opened the script: ${openers}, the main thread: ${main}`);
    }
  } finally {
    rmSync(logs, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
});
