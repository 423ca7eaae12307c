// A -c command makes tsbpf adopt and reap the orphans of the command's processes: that must end
// with the command. In a process that goes on (Bun's test runner runs every file in one process;
// a script using the CLI's parts), children spawned afterwards are the runtime's to reap, and a
// reaper left behind took their status first (node:child_process failed with ECHILD).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { HeldCommand } from "../../cli/held_command.ts";

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
  const held = await HeldCommand.start(["sh", "-c", "exit 0"]);
  await held.end();
  const codes: (number | string)[] = [];
  for (let i = 0; i < 20; i++) codes.push(await exitCode(i % 7 + 1));
  assert.deepEqual(codes, Array.from({ length: 20 }, (_, i) => i % 7 + 1));
});
