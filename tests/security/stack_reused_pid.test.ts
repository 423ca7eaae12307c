// A user stack keeps its process's pid, and is named when printed: maybe long after it was
// read, once the process has exited and its pid is another's. Another user who spawns processes
// until the pid comes round again had an old stack of theirs, or of whoever had the pid, named
// with the new process's code. Shown in a PID namespace of the test's own, where the fixture
// gives the first process's pid to nobody's next process on purpose.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { runCommand } from "../kernel/util.ts";
import { isBun, ROOT } from "./attacker.ts";

test("a stack read before its pid was another process's is not named with that process's code", async () => {
  const fixture = new URL("./fixtures/stack_reused_pid.ts", import.meta.url).pathname;
  const runtime = isBun ? [process.execPath, "run", fixture] : [process.execPath, "run", "-A", "--quiet", "--config", `${ROOT}deno.json`, fixture];
  const run = runCommand("unshare", ["--pid", "--fork", "--mount-proc", ...runtime], {});
  assert.equal(await run.exited, 0, run.output());
  const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
  assert.ok(r.sameAddress, `the second process's code is elsewhere (the test's setup failed): ${run.stdout()}`);
  assert.equal(r.namedThen, "first_function+0", `the first process's stack was not named (the test's setup failed): ${run.stdout()}`);
  assert.equal(r.own, "other_function+0", `the second process's own stack was not named (the test's setup failed): ${run.stdout()}`);
  assert.equal(r.named, "first_function+0", `a stack named before its pid was reused is named anew: ${run.stdout()}`);
  assert.notEqual(r.unnamed, "other_function+0", `a stack of the first process is named with the second's code: ${run.stdout()}`);
});
