import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { histograms, report, RunqLen } from "../../examples/runqlen.ts";
import { runScript, waitFor } from "./util.ts";

/** Three shell busy loops on CPU 1: while one runs, two wait on that CPU's run queue. */
function hogs(): ChildProcess[] {
  return [0, 1, 2].map(() => spawn("taskset", ["-c", "1", "sh", "-c", "while :; do :; done"], { stdio: "ignore" }));
}

test("runqlen -C: three busy loops on CPU 1 make its run queue two tasks long", async () => {
  const tracer = new RunqLen();
  tracer.perCpu = true;
  tracer.end = () => {};
  const loops = hogs();
  try {
    await new Promise((r) => setTimeout(r, 100)); // taskset has become the loops
    await tracer.start({ exitOnError: false });
    const cpu1 = () => histograms(tracer).get(1) ?? new Map<number, bigint>();
    const total = () => [...cpu1().values()].reduce((a, n) => a + n, 0n);
    assert.ok(await waitFor(() => total() >= 50n, 60_000), `only ${total()} samples on CPU 1 at 99 Hz`);
    const waiting = [...cpu1()].filter(([len]) => len >= 2).reduce((a, [, n]) => a + n, 0n);
    // A sample finds one of the loops running and the other two queued. Another task holding
    // CPU 1 at that moment (a loaded machine) is sampled with its own group's queue, as in bcc:
    // on a busy machine only a part of the samples show the loops' queue (18 % seen while other
    // test suites and QEMU ran), so the check is that such samples exist at all.
    assert.ok(waiting >= 3n, `run queue lengths on CPU 1: ${JSON.stringify([...cpu1()].map(([l, n]) => [l, Number(n)]))}`);
    const lines: string[] = [];
    report(tracer, { out: (l) => lines.push(l) });
    const at = lines.indexOf("cpu = 1");
    assert.ok(at > 0, lines.join("\n"));
    assert.equal(lines[at + 1], "     runqlen       : count     distribution");
    assert.match(lines[at + 2], /^ {8}0 {10}: \d+ +\|[* ]{40}\|$/);
    assert.match(lines[at + 4], /^ {8}2 {10}: [1-9]\d* +\|\*+ *\|$/);
  } finally {
    await tracer.stop();
    loops.forEach((h) => h.kill("SIGKILL"));
  }
});

test("runqlen -O as a command: CPU 1's run queue is seen occupied, in bcc's format", async () => {
  const loops = hogs();
  const run = runScript(new URL("../../examples/runqlen.ts", import.meta.url).pathname, {}, ["-O", "-C", "1", "1"]);
  try {
    assert.equal(await run.exited, 0, run.output());
    const out = run.output();
    assert.match(out, /^Sampling run queue length\.\.\. Hit Ctrl-C to end\.\n/);
    const m = /^runqocc, CPU 1 +(\d+\.\d\d)%$/m.exec(out);
    // As in the test above: a sample that finds another group's task on CPU 1 reads that group's
    // queue, so on a busy machine only a part of them see the loops' (22 % of 1 s at 99 Hz seen in
    // a CI-like run beside eight other suites; ≈ 100 % on a quiet machine). Three samples' worth
    // is what the loops must show.
    assert.ok(m && Number(m[1]) >= 3, out);
    assert.match(out, /^runqocc, CPU 0 +\d+\.\d\d%$/m);
  } finally {
    loops.forEach((h) => h.kill("SIGKILL"));
  }
});
