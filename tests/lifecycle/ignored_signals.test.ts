// SIGHUP or SIGTERM ignored when tsbpf starts stays ignored (docs/lifecycle.md), as in a shell,
// nohup or sleep: `nohup tsbpf … &` survives the hangup, whether it comes before or after tsbpf's
// handlers are in place; SIGTERM still ends it. SIGINT is taken whatever it was, as bpftrace does:
// `tsbpf … &` in a script starts with SIGINT ignored, and `kill -INT` must still stop it normally.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readFileSync } from "node:fs";
import { runCommand, type Running, waitFor } from "../kernel/util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

/** `tsbpf ARGS` on this test's runtime, started with `trap` ignoring (sh's `trap '' HUP`, then exec). */
function tsbpfIgnoring(trap: "HUP" | "INT", args: string[]): Running {
  const runtime = typeof Bun !== "undefined" ? [process.execPath, MAIN] : [process.execPath, "run", "-A", "--quiet", MAIN];
  return runCommand("sh", ["-c", `trap '' ${trap}; exec "$@"`, "sh", ...runtime, ...args], { TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" });
}

/** Whether signal number `signo` is in the process's SigIgn mask. */
function ignoring(pid: number, signo: number): boolean {
  try {
    const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(signo - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}

async function stillRunningAfter(run: Running, ms: number): Promise<boolean> {
  return await Promise.race([run.exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);
}

const CASES: [string, string[], string][] = [
  ["a one-liner with probes", ["-e", 'tracepoint("syscalls:sys_enter_getpid", () => count(comm())); end(() => print("end ran"))'], "Attaching"],
  ["a one-liner without probes", ["-e", 'begin(() => print("started")); end(() => print("end ran"))'], "started"],
  ["tsbpf run", ["run", fixture("set_interval.ts")], "tracer started"],
];

for (const [what, args, ready] of CASES) {
  test(`${what} started with SIGHUP ignored (nohup) keeps ignoring it, before and after its handlers; SIGTERM ends it`, { timeout: 120_000 }, async () => {
    const run = tsbpfIgnoring("HUP", args);
    try {
      // As it starts, before any handler of ours (once sh has run its trap).
      assert.ok(await waitFor(() => ignoring(run.pid, 1), 60_000), "sh never ignored SIGHUP");
      run.kill("SIGHUP");
      let exited = false;
      run.exited.then(() => (exited = true));
      assert.ok(await waitFor(() => exited || run.output().includes(ready), 90_000), `did not start: ${run.output()}`);
      assert.ok(!exited, `ended by the SIGHUP sent as it started: ${run.output()}`);
      run.kill("SIGHUP");
      assert.ok(await stillRunningAfter(run, 1500), `ended by a SIGHUP it started ignoring: ${run.output()}`);
      run.kill("SIGTERM");
      assert.equal(await run.exited, 143, run.output());
      if (!args.includes("run")) assert.match(run.output(), /end ran/);
    } finally {
      run.kill("SIGKILL");
    }
  });
}

test("a one-liner started with SIGINT ignored (`tsbpf … &` in a script) is stopped by kill -INT as bpftrace is: end() runs, status 130", { timeout: 120_000 }, async () => {
  const run = tsbpfIgnoring("INT", CASES[0][1]);
  try {
    assert.ok(await waitFor(() => ignoring(run.pid, 2), 60_000), "sh never ignored SIGINT");
    let exited = false;
    run.exited.then(() => (exited = true));
    assert.ok(await waitFor(() => exited || run.output().includes("Attaching"), 90_000), `did not start: ${run.output()}`);
    run.kill("SIGINT");
    assert.equal(await run.exited, 130, run.output());
    assert.match(run.output(), /end ran/);
  } finally {
    run.kill("SIGKILL");
  }
});

test("tsbpf run started with SIGTERM ignored: SIGINT sent to its whole process group stops the child once: end() runs, status 130", { timeout: 120_000 }, async () => {
  // setsid: tsbpf leads its own process group, as under timeout(1); its child is in it, so a group signal reaches both.
  const runtime = typeof Bun !== "undefined" ? [process.execPath, MAIN] : [process.execPath, "run", "-A", "--quiet", MAIN];
  for (let round = 0; round < 3; round++) {
    const run = runCommand("setsid", ["sh", "-c", `trap '' TERM; exec "$@"`, "sh", ...runtime, "run", fixture("busy_end.ts")], { TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" });
    try {
      assert.ok(await waitFor(() => run.output().includes("tracer started"), 90_000), `did not start: ${run.output()}`);
      await new Promise((r) => setTimeout(r, 200)); // busy now
      process.kill(-run.pid, "SIGINT");
      assert.equal(await run.exited, 130, run.output());
      assert.match(run.output(), /^end ran$/m, `round ${round}: the child got the SIGINT twice and ended without end()`);
      assert.match(run.output(), /^after stopped$/m, `round ${round}: the child was cut short after stop`);
    } finally {
      run.kill("SIGKILL");
    }
  }
});
