// A -c command makes tsbpf adopt and reap the orphans of the command's processes: that must end
// with the command. In a process that goes on (Bun's test runner runs every file in one process;
// a script using the CLI's parts), children spawned afterwards are the runtime's to reap, and a
// reaper left behind took their status first (node:child_process failed with ECHILD).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { HeldCommand, ownChild } from "../../cli/held_command.ts";

/** The children of every thread of this process. */
function children(): number[] {
  return readdirSync("/proc/self/task").flatMap((task) => readFileSync(`/proc/self/task/${task}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number));
}

/** The child's status as its runtime reports it; the JS thread is held while the child ends, so that a SIGCHLD listener and the runtime's own reaping both have it waiting. */
function exitCode(code: number): Promise<number | string> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", `exit ${code}`], { stdio: "ignore" });
    child.on("error", (e) => resolve(`error: ${e.message}`));
    child.on("exit", (code, signal) => resolve(code ?? `signal ${signal}`));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  });
}

test("after a -c command has ended, the runtime reaps its own children: their statuses are theirs", { timeout: 120_000 }, async () => {
  // While a command is held, every other child of this process is taken for an orphan it adopted:
  // ended as a stray, and reaped (the tsbpf command notes its own, ownChild()). In Bun's runner,
  // earlier tests leave children running: noted here as this process's own, as the command notes
  // its own, or their statuses were taken (ECHILD in their exit handlers) after being ended.
  for (const pid of children()) ownChild(pid);
  const held = await HeldCommand.start(["sh", "-c", "exit 0"]);
  await held.end();
  const codes: (number | string)[] = [];
  for (let i = 0; i < 20; i++) codes.push(await exitCode(i % 7 + 1));
  assert.deepEqual(codes, Array.from({ length: 20 }, (_, i) => i % 7 + 1));
});
