// Root's symbolizer caches what it read of each process (/proc/PID/maps, the frames it named).
// Once a process has exited its pid can be another's: another user who spawns processes until
// a pid comes round again must not have the new process's stacks named from the dead one's
// mappings. Shown in a PID namespace of the test's own, where the fixture gives the reaped
// process's pid to nobody's next process on purpose.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { runCommand } from "../kernel/util.ts";
import { isBun, ROOT } from "./attacker.ts";

test("a pid another process of nobody's takes is symbolized from that process's mappings, not the cached ones", async () => {
  const fixture = new URL("./fixtures/symbolize_reused_pid.ts", import.meta.url).pathname;
  const runtime = isBun ? [process.execPath, "run", fixture] : [process.execPath, "run", "-A", "--quiet", "--config", `${ROOT}deno.json`, fixture];
  const run = runCommand("unshare", ["--pid", "--fork", "--mount-proc", ...runtime], {});
  assert.equal(await run.exited, 0, run.output());
  const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
  assert.equal(r.second, r.first, `the pid was not reused (the test's setup failed): ${run.stdout()}`);
  assert.equal(r.before, r.firstExe, `the address was not in sleep's code (the test's setup failed): ${run.stdout()}`);
  assert.notEqual(r.expected, r.firstExe);
  assert.equal(r.after, r.expected ?? undefined, `nobody's new process was named from the mappings of the one that had its pid before: ${run.stdout()}`);
});
