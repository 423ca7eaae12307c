import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { CpuDist, report } from "../../examples/cpudist.ts";
import { waitFor } from "./util.ts";

test("cpudist -P -p: a busy loop sharing a CPU runs for time slices of milliseconds", async () => {
  const hogs = [0, 1].map(() => spawn("taskset", ["-c", "0", "sh", "-c", "while :; do :; done"], { stdio: "ignore" }));
  const tracer = new CpuDist();
  tracer.perProcess = true;
  tracer.end = () => {};
  try {
    await new Promise((r) => setTimeout(r, 50));
    tracer.targetPid = hogs[0].pid!;
    const started = Date.now();
    await tracer.start({ exitOnError: false });
    // How many runs, and how long, depends on what else shares CPU 0: wait for three long ones.
    const long = () => (tracer.byId.get(hogs[0].pid!) ?? []).filter((b) => b.low !== undefined && b.low >= 512n).reduce((a, b) => a + b.count, 0n);
    assert.ok(await waitFor(() => long() >= 3n, 60_000), `only ${long()} runs of the busy loop lasted more than 512 us`);
    const elapsedUs = BigInt(Date.now() - started) * 1000n;
    assert.deepEqual(tracer.byId.entries().map(([pid]) => pid), [hogs[0].pid], "-p let another process through");
    const s = tracer.summary.get()!;
    assert.ok(s.total > 1_000n && s.total <= elapsedUs, `${s.total} us on CPU in ${elapsedUs} us`);
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
