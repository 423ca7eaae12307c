import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CpuDist, report } from "../../examples/cpudist.ts";

test("cpudist -P -p: a busy loop sharing a CPU runs for time slices of milliseconds", async () => {
  const hogs = [0, 1].map(() => spawn("taskset", ["-c", "0", "sh", "-c", "while :; do :; done"], { stdio: "ignore" }));
  const tracer = new CpuDist();
  tracer.perProcess = true;
  tracer.end = () => {};
  try {
    await new Promise((r) => setTimeout(r, 50));
    tracer.targetPid = hogs[0].pid!;
    await tracer.start({ exitOnError: false });
    await new Promise((r) => setTimeout(r, 500));
    const rows = tracer.byId.entries();
    assert.deepEqual(rows.map(([pid]) => pid), [hogs[0].pid], "-p let another process through");
    const runs = rows[0][1].reduce((a, b) => a + b.count, 0n);
    const long = rows[0][1].filter((b) => b.low !== undefined && b.low >= 512n).reduce((a, b) => a + b.count, 0n);
    assert.ok(runs >= 20n, `${runs} runs in 0.5 s`);
    assert.ok(long >= 10n, `only ${long} of ${runs} runs lasted more than 512 us`);
    const s = tracer.summary.get()!;
    assert.ok(s.total > 100_000n && s.total <= 600_000n, `${s.total} us on CPU in 0.5 s of sharing one CPU`);
    const lines: string[] = [];
    report(tracer, { out: (l) => lines.push(l), extension: true });
    assert.deepEqual(lines.slice(0, 3), ["", `pid = ${hogs[0].pid} sh`, "     usecs               : count     distribution"]);
    assert.match(lines.join("\n"), /\navg = \d+ usecs, total: \d+ usecs, count: \d+\n/);
  } finally {
    await tracer.stop();
    hogs.forEach((h) => h.kill("SIGKILL"));
  }
});

test("cpudist -O -m: a shell waiting for four 50 ms sleeps is off the CPU for 32 ms or more each time", async () => {
  const sh = spawn("sh", ["-c", "read x; sleep 0.05; sleep 0.05; sleep 0.05; sleep 0.05"], { stdio: ["pipe", "ignore", "ignore"] });
  const tracer = new CpuDist();
  tracer.offcpu = true;
  tracer.milliseconds = true;
  tracer.targetPid = sh.pid!;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    sh.stdin!.end("go\n");
    await new Promise((r) => sh.on("exit", r));
    const buckets = tracer.dist.get()!;
    // Each wait is a little over 50 ms (fork, exec and sleep); on a busy machine one may be split in two.
    const waits = buckets.filter((b) => b.low !== undefined && b.low >= 32n && b.low < 1024n).reduce((a, b) => a + b.count, 0n);
    assert.ok(waits >= 3n, `${waits} waits of 32 ms or more: ${buckets.map((b) => `${b.low}:${b.count}`)}`);
  } finally {
    await tracer.stop();
  }
});
