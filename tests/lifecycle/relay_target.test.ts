// `tsbpf run` passes signals on to its child (cli/child_signals.ts), and the session ends a -c
// command whose holder has gone (cli/held_command.ts). Once such a process has exited and been
// reaped, its PID may be another process's: a signal sent in that moment must reach no one
// else, and the other process must not pass for it. Shown in a PID namespace of the test's own,
// where the fixtures give the reaped process's PID to a new process on purpose.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { runCommand } from "../kernel/util.ts";

declare const Bun: unknown;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

/** Runs a fixture in a new PID namespace; what it printed last, as JSON. */
async function inPidNamespace<T>(name: string): Promise<T> {
  const runtime = typeof Bun !== "undefined" ? [process.execPath, "run", fixture(name)] : [process.execPath, "run", "-A", "--quiet", fixture(name)];
  const run = runCommand("unshare", ["--pid", "--fork", "--mount-proc", ...runtime], {});
  assert.equal(await run.exited, 0, run.output());
  return JSON.parse(run.stdout().trim().split("\n").at(-1)!) as T;
}

test("a signal passed on after the child was reaped does not reach the process that took its PID", async () => {
  const result = await inPidNamespace<{ child: number; other: number; otherEnded: string }>("relay_reused_pid.ts");
  assert.equal(result.other, result.child, "the PID was not reused (the test's setup failed)");
  assert.equal(result.otherEnded, "alive", "the relay signalled the process that took its child's PID");
});

test("a -c command reaped by its holder is ended for the session, and ending it reaches no one", async () => {
  const result = await inPidNamespace<{ command: number; other: number; ended: boolean; otherEnded: string }>("held_reused_pid.ts");
  assert.equal(result.other, result.command, "the PID was not reused (the test's setup failed)");
  assert.equal(result.ended, true, "the session took the process that has the command's PID for the command");
  assert.equal(result.otherEnded, "alive", "the session ended the process that took the command's PID");
});
