import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { describeExit, type Exit, ExitSnoop } from "../../examples/exitsnoop.ts";
import { runScript, waitFor } from "./util.ts";

type Event = Omit<Exit, "comm"> & { comm: string };

function exited(cmd: string, args: string[], signal?: NodeJS.Signals): Promise<number> {
  const child = spawn(cmd, args);
  if (signal) setTimeout(() => child.kill(signal), 100);
  return new Promise((r) => child.on("exit", () => r(child.pid!)));
}

test("exitsnoop reports an exit code, a fatal signal, the parent and the age", async () => {
  const tracer = await new ExitSnoop().start({ exitOnError: false });
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    const coded = await exited("/bin/sh", ["-c", "sleep 0.2; exit 3"]);
    const killed = await exited("/bin/sleep", ["10"], "SIGKILL");
    assert.ok(await waitFor(() => events.some((e) => e.pid === coded) && events.some((e) => e.pid === killed), 60_000), "no exit event for the children");
    const c = events.find((e) => e.pid === coded)!;
    assert.equal(c.code >> 8, 3);
    assert.equal(describeExit(c.code), "code 3");
    assert.equal(c.ppid, process.pid);
    assert.equal(c.tid, c.pid);
    assert.equal(c.comm, "sh");
    const age = Number(c.exit - c.start) / 1e9;
    assert.ok(age >= 0.15 && age < 5, `age ${age}s for a process that slept 0.2s`);
    const k = events.find((e) => e.pid === killed)!;
    assert.equal(describeExit(k.code), "signal 9 (KILL)");
    assert.equal(k.comm, "sleep");
  } finally {
    await tracer.stop();
  }
});

test("exitsnoop -x -p: only failures of one process, filtered in the kernel", async () => {
  const child = spawn("/bin/sh", ["-c", "read x; exit 7"], { stdio: ["pipe", "ignore", "ignore"] });
  const tracer = new ExitSnoop();
  tracer.failedOnly = true;
  tracer.targetPid = child.pid!;
  await tracer.start({ exitOnError: false });
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    await exited("/bin/true", []);
    await exited("/bin/false", []);
    child.stdin!.end("\n");
    await new Promise((r) => child.on("exit", r));
    // The target exits after the others: once its event is seen, theirs would have been (one
    // ring buffer, in order), however late events come.
    assert.ok(await waitFor(() => events.length > 0, 60_000), "no event for the target");
    assert.deepEqual(events.map((e) => [e.pid, e.code >> 8]), [[child.pid, 7]]);
  } finally {
    await tracer.stop();
  }
});

test("exitsnoop as a command prints bcc's columns", async () => {
  const run = runScript(new URL("../../examples/exitsnoop.ts", import.meta.url).pathname);
  try {
    assert.ok(await waitFor(() => run.output().includes("EXIT_CODE"), 60_000), `no header: ${run.output()}`);
    const pid = await exited("/bin/sh", ["-c", "exit 5"]);
    const line = new RegExp(`^sh +${pid} +${process.pid} +${pid} +\\d+\\.\\d\\d +code 5$`, "m");
    assert.ok(await waitFor(() => line.test(run.output()), 60_000), `no line for sh ${pid}:\n${run.output()}`);
    assert.match(run.output(), /^PCOMM +PID +PPID +TID +AGE\(s\) +EXIT_CODE/m);
  } finally {
    run.kill("SIGINT");
    assert.equal(await run.exited, 130);
  }
});
