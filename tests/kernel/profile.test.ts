import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { formatRow, Profile, rows } from "../../examples/profile.ts";
import { buildC, cannotBuild, removeMade } from "./user_programs.ts";
import { links, runScript, waitFor } from "./util.ts";

after(removeMade);

// A busy loop in a function of its own, built with frame pointers so its user stack can be walked.
const SPIN = `
#include <unistd.h>
__attribute__((noinline)) void spin_here(volatile unsigned long *n) { for (;;) (*n)++; }
int main(void) { volatile unsigned long n = 0; spin_here(&n); return 0; }
`;
/** A process's user and system CPU time so far, in seconds (/proc/PID/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const skip = cannotBuild(["unistd.h"]) || false;
const program = skip ? "" : buildC("spinner", SPIN, ["-O1", "-fno-omit-frame-pointer"]);

test("profile -p: a busy loop's samples land under its own function, at about the asked rate", { skip }, async () => {
  const spinner = spawn(program, [], { stdio: "ignore" });
  const tracer = new Profile();
  tracer.targetPid = spinner.pid!;
  tracer.frequency = 199;
  tracer.end = () => {};
  try {
    await tracer.start({ exitOnError: false });
    const total = () => tracer.counts.entries().reduce((a, [, n]) => a + n, 0n);
    // Under load the spinner shares a CPU: wait for 60 samples (0.3 s of its CPU time at 199 Hz).
    assert.ok(await waitFor(() => total() >= 60n, 60_000), `only ${total()} samples of the busy loop`);
    const all = rows(tracer, { userOnly: true });
    assert.ok(all.every((r) => r.pid === spinner.pid && r.comm === "spinner"), "-p let another process through");
    const top = all[all.length - 1]; // the largest count comes last, as in bcc
    assert.ok(top.user?.some((f) => f === "spin_here"), `the busiest stack has no spin_here: ${top.user}`);
    assert.match(formatRow(top, { folded: true, userOnly: true }).join("\n"), /^spinner;(.*;)?spin_here \d+$/);
    assert.match(formatRow(top, { userOnly: true }).join("\n"), new RegExp(`^    spin_here.*\\n(.*\\n)*    -                spinner \\(${spinner.pid}\\)\\n        ${top.count}\\n$`));
  } finally {
    await tracer.stop();
    spinner.kill("SIGKILL");
  }
});

test("profile as a command: -f folded stacks of the busy loop for a 1 s duration", { skip }, async () => {
  const spinner = spawn(program, [], { stdio: "ignore" });
  await new Promise((r) => spinner.on("spawn", r));
  const cpuBefore = cpuSeconds(spinner.pid!);
  const run = runScript(new URL("../../examples/profile.ts", import.meta.url).pathname, {}, ["-f", "-F", "99", "-p", String(spinner.pid), "1"]);
  try {
    // The sampling window: from when its perf event link exists (seen within a poll) to the
    // tool's exit. In the VM lane's emulated guest a 1 s timer can fire half a second late.
    let exited = false;
    run.exited.then(() => (exited = true));
    await waitFor(() => exited || links(run.pid) > 0, 120000); // polls every 10 ms
    const attachedAt = performance.now() - 10;
    assert.equal(await run.exited, 0, run.output());
    const window = (performance.now() - attachedAt) / 1000;
    const lines = run.output().trim().split("\n");
    assert.ok(lines.length >= 1 && lines.every((l) => /^spinner;.* \d+$/.test(l)), run.output());
    assert.ok(lines.some((l) => /;spin_here /.test(l)), `no folded stack through spin_here:\n${run.output()}`);
    // The busy loop is sampled for the CPU time it got while the tool sampled: at most its CPU
    // time since it started (which includes the tool's start-up), and at most the window.
    const cpu = cpuSeconds(spinner.pid!) - cpuBefore;
    const samples = lines.reduce((a, l) => a + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
    assert.ok(samples >= 5 && samples <= 99 * Math.min(cpu, window) * 1.3 + 5, `${samples} samples at 99 Hz in a ${window.toFixed(2)} s window, the loop had ${cpu.toFixed(2)} s of CPU`);
  } finally {
    spinner.kill("SIGKILL");
  }
});

test("profile -h prints bcc's usage, a bad option exits 2", async () => {
  const help = runScript(new URL("../../examples/profile.ts", import.meta.url).pathname, {}, ["-h"]);
  assert.equal(await help.exited, 0);
  assert.match(help.output(), /^usage: profile [^]*?\n\nProfile CPU stack traces at a timed interval/);
  const bad = runScript(new URL("../../examples/profile.ts", import.meta.url).pathname, {}, ["-p", "1", "-L", "2"]);
  assert.equal(await bad.exited, 2);
  assert.ok(await waitFor(() => /-p and -L exclude each other/.test(bad.output()), 60_000), bad.output());
});
