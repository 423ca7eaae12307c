import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { type Kill, KillSnoop } from "../../examples/killsnoop.ts";
import { waitFor } from "./util.ts";

type Event = Omit<Kill, "comm"> & { comm: string };
const NO_SUCH_PID = 4194303; // above the default pid_max's range in practice; kill() fails with ESRCH

test("killsnoop reports a signal this process sends, with the target and the result", async () => {
  const tracer = new KillSnoop();
  tracer.targetPid = process.pid;
  await tracer.start({ exitOnError: false });
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    const child = spawn("/bin/sleep", ["10"]);
    await new Promise((r) => child.on("spawn", r));
    process.kill(child.pid!, "SIGTERM");
    await new Promise((r) => child.on("exit", r));
    try {
      process.kill(NO_SUCH_PID, 0);
    } catch { /* ESRCH is the point */ }
    assert.ok(await waitFor(() => events.some((e) => e.tpid === child.pid) && events.some((e) => e.tpid === NO_SUCH_PID), 60_000), `events: ${JSON.stringify(events)}`);
    const ok = events.find((e) => e.tpid === child.pid)!;
    assert.deepEqual([ok.pid, ok.sig, ok.ret], [process.pid, 15, 0]);
    const failed = events.find((e) => e.tpid === NO_SUCH_PID)!;
    assert.deepEqual([failed.sig, failed.ret], [0, -3]); // ESRCH
    assert.ok(events.every((e) => e.pid === process.pid), "another sender got through the -p filter");
  } finally {
    await tracer.stop();
  }
});

test("killsnoop -x -s: only failed kills of one signal", async () => {
  const tracer = new KillSnoop();
  tracer.targetPid = process.pid;
  tracer.failedOnly = true;
  tracer.signal = 10;
  await tracer.start({ exitOnError: false });
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    const child = spawn("/bin/sleep", ["10"]);
    await new Promise((r) => child.on("spawn", r));
    process.kill(child.pid!, 0); // succeeds, signal 0: filtered twice
    for (const sig of ["SIGUSR1", "SIGUSR2"] as const) {
      try {
        process.kill(NO_SUCH_PID, sig);
      } catch { /* ESRCH */ }
    }
    child.kill("SIGKILL");
    // A last failed SIGUSR1, after the kills the filter drops: once it is seen, they would have
    // been (one ring buffer, in order), however late events come.
    try {
      process.kill(NO_SUCH_PID, "SIGUSR1");
    } catch { /* ESRCH */ }
    assert.ok(await waitFor(() => events.length >= 2, 60_000), JSON.stringify(events));
    assert.deepEqual(events.map((e) => [e.tpid, e.sig, e.ret]), [[NO_SUCH_PID, 10, -3], [NO_SUCH_PID, 10, -3]]);
  } finally {
    await tracer.stop();
  }
});
