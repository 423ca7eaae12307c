// The processes a session waits for: -p's target and -c's command. Their end ends the tracers
// (bpftrace's -p does the same), and waiting for it costs an idle tracer nothing: it sleeps on
// the process's pidfd instead of looking at /proc every 20 ms (docs/lifecycle.md).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readdirSync, readFileSync } from "node:fs";
import { runCommand, type Running, waitFor } from "../kernel/util.ts";
import { cpuTicks, type KernelObjects, objectsOf, released, sleeps } from "./kernel_objects.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const PID_TARGET = new URL("./fixtures/pid_target.ts", import.meta.url).pathname;
/** A probe nothing fires while the test runs: the tracer is idle. */
const QUIET = 'tracepoint("syscalls:sys_enter_acct", () => printf("acct\\n"))';

function tsbpf(args: string[]): Running {
  const cmd = typeof Bun !== "undefined" ? [MAIN, ...args] : ["run", "-A", "--quiet", MAIN, ...args];
  return runCommand(process.execPath, cmd, { TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" });
}

const sleepers: Running[] = [];
after(async () => {
  for (const s of sleepers) s.kill("SIGKILL");
  await Promise.all(sleepers.map((s) => s.exited));
});
function sleeper(): Running {
  const s = runCommand("sleep", ["600"]);
  sleepers.push(s);
  return s;
}

/** Waits for `text`, then takes the ids of what the tracer's process holds. */
async function started(run: Running, text: string, pid = run.pid): Promise<KernelObjects> {
  let exited = false;
  run.exited.then(() => (exited = true));
  assert.ok(await waitFor(() => exited || run.output().includes(text), 120_000), `did not start: ${run.output()}`);
  assert.ok(!exited, `exited before its target: ${run.output()}`);
  // The probe is attached once the text is out; "Attaching" comes just before, so wait for the link.
  assert.ok(await waitFor(() => objectsOf(pid).links.length > 0, 60_000), `no link: ${run.output()}`);
  return objectsOf(pid);
}

/** The status within `ms`, or "still running" (then it is killed). */
async function statusWithin(run: Running, ms: number): Promise<number | string> {
  const timeout = new Promise<string>((r) => setTimeout(() => r("still running"), ms));
  const status = await Promise.race([run.exited, timeout]);
  if (status === "still running") run.kill("SIGKILL");
  return status;
}

/** The tracer's own process: `tsbpf run`'s child. */
function childOf(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return children ? Number(children.split(" ")[0]) : undefined;
  } catch {
    return undefined;
  }
}

test("a one-liner with -p ends once its target has exited, with status 0, nothing left", async () => {
  const target = sleeper();
  const run = tsbpf(["-p", String(target.pid), "-e", QUIET]);
  const held = await started(run, "Attaching");
  target.kill("SIGKILL");
  // Before: it traced a process that no longer existed until Ctrl-C.
  assert.equal(await statusWithin(run, 60_000), 0, run.output());
  assert.deepEqual(await released(held), [], run.output());
});

test("a script under tsbpf run -p ends once its target has exited, with status 0, after end()", async () => {
  const target = sleeper();
  const run = tsbpf(["-p", String(target.pid), "run", PID_TARGET]);
  let child: number | undefined;
  assert.ok(await waitFor(() => (child = childOf(run.pid)) !== undefined || run.output().includes("tracer started"), 120_000), run.output());
  const held = await started(run, "tracer started", child);
  target.kill("SIGKILL");
  assert.equal(await statusWithin(run, 60_000), 0, run.output());
  assert.match(run.output(), /end ran/);
  assert.match(run.output(), /stopped/);
  assert.deepEqual(await released(held), [], run.output());
});

for (const [what, option] of [["-c's command", "-c"], ["-p's target", "-p"]] as const) {
  test(`an idle one-liner sleeps while ${what} runs: it neither polls nor spins over 3 s`, async () => {
    const target = option === "-p" ? sleeper() : undefined;
    const run = tsbpf([option, target ? String(target.pid) : "sleep 600", "-e", QUIET]);
    await started(run, "Attaching");
    // The start's last collections and compilations settle first.
    await new Promise((r) => setTimeout(r, 2000));
    // Counted, not timed: a 20 ms poll of the process wakes it ≈ 50 times a second (70-100 were
    // seen, with 3 % of a core); the tracer alone, ≈ 0 once settled. 20 a second is the project's
    // idle target.
    const sleptBefore = sleeps(run.pid), ticksBefore = cpuTicks(run.pid), t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const woke = sleeps(run.pid) - sleptBefore, used = (cpuTicks(run.pid) - ticksBefore) / 100, elapsed = (Date.now() - t0) / 1000;
    run.kill("SIGINT");
    assert.equal(await statusWithin(run, 120_000), 130, run.output());
    assert.ok(woke < 20 * elapsed, `woke ${woke} times in ${elapsed.toFixed(1)} s while idle`);
    assert.ok(used / elapsed < 0.1, `used ${(100 * used / elapsed).toFixed(1)} % of a core while idle`);
  });
}

test("-p with a thread's id, not its process's, is refused with the process's id to give", async () => {
  // A runtime has threads besides its main one; any of them will do.
  const runtime = runCommand(process.execPath, typeof Bun !== "undefined" ? ["-e", "setTimeout(() => {}, 600_000)"] : ["eval", "setTimeout(() => {}, 600_000)"]);
  sleepers.push(runtime);
  let tid: number | undefined;
  assert.ok(await waitFor(() => (tid = threadOf(runtime.pid)) !== undefined, 30_000), "the runtime started no second thread");
  const run = tsbpf(["-p", String(tid), "-e", QUIET]);
  assert.equal(await statusWithin(run, 60_000), 1, run.output());
  assert.match(run.output(), new RegExp(`-p ${tid}: ${tid} is a thread of process ${runtime.pid}, not a process: give -p ${runtime.pid}`));
});

function threadOf(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number).find((t) => t !== pid);
  } catch {
    return undefined;
  }
}
