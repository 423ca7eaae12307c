// On Bun the thread that waits in epoll_wait for a quiet tracer's events is a Worker. Where no
// thread can be started (a container's pids limit reached), the Worker never runs and never
// reaches epoll_wait: the wait must fail rather than hang, so that the event pump drains on
// timers (events still arrive) and stop() returns. (Deno itself aborts when it cannot start a
// thread: nothing tsbpf can catch.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { finished, runCommand, runtimeCommand } from "./util.ts";

declare const Bun: unknown;

/** A directory where a pids cgroup can be made (cgroup v1's pids hierarchy, or a cgroup2 root that hands pids down), or undefined. */
function pidsHierarchy(): string | undefined {
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    const [, dir, type, options] = line.split(" ");
    if (type === "cgroup" && options?.split(",").includes("pids")) return dir;
    if (type === "cgroup2" && readFileSync(`${dir}/cgroup.subtree_control`, "utf8").split(/\s+/).includes("pids")) return dir;
  }
  return undefined;
}

const hierarchy = pidsHierarchy();
const skip = typeof Bun === "undefined" ? "Bun only: Deno aborts when it cannot start a thread" : !hierarchy ? "no cgroup with the pids controller" : false;

test("no thread left for the epoll Worker: the quiet tracer's events still arrive and stop() returns", { skip }, async () => {
  const cgroup = join(hierarchy!, `tsbpf-no-threads-${process.pid}`);
  mkdirSync(cgroup);
  try {
    const [cmd, ...args] = runtimeCommand(new URL("../fixtures/no_threads_left.ts", import.meta.url).pathname);
    const run = runCommand(cmd, [...args, cgroup]);
    // A wait that never settles hangs the fixture: killed, it fails the test.
    assert.equal(await finished(run, 120_000), 0, run.output());
    const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!);
    assert.ok(report.refused > 0, `no thread was refused (the test shows nothing): ${run.output()}`);
    assert.equal(report.got, 20, run.output());
  } finally {
    writeFileSync(join(cgroup, "pids.max"), "max");
    rmdirSync(cgroup);
  }
});
