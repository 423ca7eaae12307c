// `tsbpf run` passes signals on to its child (cli/child_signals.ts). Once the child has exited
// and been reaped, its PID may be another process's: a signal passed on in that moment (before
// the relay's listeners are gone) must reach no one else. Shown in a PID namespace of the test's
// own, where the fixture gives the child's PID to a new process on purpose.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { runCommand } from "../kernel/util.ts";

declare const Bun: unknown;
const FIXTURE = new URL("./fixtures/relay_reused_pid.ts", import.meta.url).pathname;

test("a signal passed on after the child was reaped does not reach the process that took its PID", async () => {
  const runtime = typeof Bun !== "undefined" ? [process.execPath, "run", FIXTURE] : [process.execPath, "run", "-A", "--quiet", FIXTURE];
  const run = runCommand("unshare", ["--pid", "--fork", "--mount-proc", ...runtime], {});
  assert.equal(await run.exited, 0, run.output());
  const result = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as { child: number; other: number; otherEnded: string };
  assert.equal(result.other, result.child, `the PID was not reused (the test's setup failed): ${run.output()}`);
  assert.equal(result.otherEnded, "alive", "the relay signalled the process that took its child's PID");
});
