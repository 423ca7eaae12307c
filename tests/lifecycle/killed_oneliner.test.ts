// A one-liner runs a generated script; with no cache directory to keep it in (no HOME nor
// XDG_CACHE_HOME: a unit, cron), it is written to a private temporary directory, removed when
// the one-liner ends. A SIGKILL (or any signal whose default action ends the process) runs
// nothing, so that directory was left behind in TMPDIR for good: it is removed as soon as the
// tracer has started, the last time the script's file is read.
import { after as afterAll, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand, waitFor } from "../kernel/util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "tsbpf-killed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const signal of ["SIGKILL", "SIGUSR1"] as const) {
  test(`one-liner without a cache directory, ended by ${signal} once attached: its script's temporary directory is gone`, async () => {
    const own = mkdtempSync(join(dir, "tmp-"));
    const runtime = typeof Bun !== "undefined" ? [process.execPath, MAIN] : [process.execPath, "run", "-A", "--quiet", MAIN];
    const run = runCommand("env", ["-u", "HOME", "-u", "XDG_CACHE_HOME", ...runtime, "-e", `tracepoint("syscalls:sys_enter_getppid", () => count())`], { TMPDIR: own, NO_COLOR: "1" });
    try {
      assert.ok(await waitFor(() => run.output().includes("Attaching 1 probe"), 300_000), run.output());
      process.kill(run.pid, signal);
      await run.exited;
      assert.deepEqual(readdirSync(own), [], "left in TMPDIR");
    } finally {
      run.kill("SIGKILL");
    }
  });
}
