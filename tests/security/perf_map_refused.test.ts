// Root's symbolizer refuses a perf map that is not a regular file of the process's user (a link
// anyone can put in /tmp), and says so once. It said so once per path for the tracer's whole
// life: the paths of every pid ever refused were kept, and the next process given a refused pid
// had its own refused file go unsaid. Shown in a PID namespace of the test's own, where the
// fixture gives the first process's pid to nobody's next process on purpose.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { runCommand } from "../kernel/util.ts";
import { isBun, ROOT } from "./attacker.ts";

test("a perf map refused for one process of nobody's is said again for the next process with its pid", async () => {
  const fixture = new URL("./fixtures/perf_map_refused_reused_pid.ts", import.meta.url).pathname;
  const runtime = isBun ? [process.execPath, "run", fixture] : [process.execPath, "run", "-A", "--quiet", "--config", `${ROOT}deno.json`, fixture];
  const run = runCommand("unshare", ["--pid", "--fork", "--mount-proc", ...runtime], {});
  assert.equal(await run.exited, 0, run.output());
  const r = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
  assert.equal(r.firstSaid, 1, `the first process's link was not refused (the test's setup failed): ${run.stdout()}`);
  assert.equal(r.said.length, 2, `the second process with pid ${r.pid} had its link refused without a word: ${run.stdout()}`);
  assert.match(r.said[1], new RegExp(`perf-${r.pid}\\.map.*symbolic link`));
});
