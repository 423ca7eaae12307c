import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { report, RunqLat } from "../../examples/runqlat.ts";
import { waitFor } from "./util.ts";

/** Two shell busy loops sharing CPU 0: each waits on the run queue while the other runs. */
function contention(ms: number): Promise<number[]> {
  const hogs = [0, 1].map(() => spawn("taskset", ["-c", "0", "timeout", `${ms / 1000}`, "sh", "-c", "while :; do :; done"], { stdio: "ignore" }));
  return Promise.all(hogs.map((h) => new Promise<number>((r) => h.on("exit", () => r(h.pid!)))));
}

test("runqlat -P -p: two busy loops on one CPU wait for each other for milliseconds", async () => {
  const tracer = new RunqLat();
  tracer.perProcess = true;
  tracer.end = () => {};
  const hogs = [0, 1].map(() => spawn("taskset", ["-c", "0", "sh", "-c", "while :; do :; done"], { stdio: "ignore" }));
  try {
    await new Promise((r) => setTimeout(r, 50));
    tracer.targetPid = hogs[0].pid!;
    await tracer.start({ exitOnError: false });
    // The other loop runs a time slice (milliseconds, more when other tasks share CPU 0)
    // before this one gets the CPU back: wait for three such waits.
    const long = () => (tracer.byId.get(hogs[0].pid!) ?? []).filter((b) => b.low !== undefined && b.low >= 512n).reduce((a, b) => a + b.count, 0n);
    assert.ok(await waitFor(() => long() >= 3n, 60_000), `only ${long()} waits of the busy loop were longer than 512 us`);
    assert.deepEqual(tracer.byId.entries().map(([pid]) => pid), [hogs[0].pid], "-p let another process through");
    const lines: string[] = [];
    report(tracer, { out: (l) => lines.push(l) });
    assert.deepEqual(lines.slice(0, 3), ["", `pid = ${hogs[0].pid}`, "     usecs               : count     distribution"]);
  } finally {
    await tracer.stop();
    hogs.forEach((h) => h.kill("SIGKILL"));
  }
});

test("runqlat -m: the whole machine's histogram in milliseconds", async () => {
  const tracer = new RunqLat();
  tracer.milliseconds = true;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    await contention(300);
    const buckets = tracer.dist.get()!;
    assert.ok(buckets.some((b) => b.low !== undefined && b.low >= 1n && b.count > 0n), `no wait of 1 ms or more: ${JSON.stringify(buckets, (_, v) => typeof v === "bigint" ? String(v) : v)}`);
    const lines: string[] = [];
    report(tracer, { out: (l) => lines.push(l) });
    assert.equal(lines[0], "     msecs               : count     distribution");
    assert.match(lines[1], /^ {9}0 -> 1 {10}: [1-9]\d* +\|\**\s*\|$/);
  } finally {
    await tracer.stop();
  }
});
