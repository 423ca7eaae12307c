// A signal that interrupts the thread waiting in epoll for a quiet tracer's events (a profiler's,
// the script's own) is not an event: the pump does not wake, drain and wait again for each one,
// which under a steady stream of signals was a loop without a real wait. The event still comes.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc } from "../../runtime/ffi/mod.ts";
import { runCommand, runtimeCommand, waitFor } from "./util.ts";

const c = await libc();

test("signals that interrupt a quiet pump's epoll wait do not wake the pump; the next event is delivered", async () => {
  const script = new URL("../fixtures/interrupted_wait.ts", import.meta.url).pathname;
  const [cmd, ...args] = c.runtime === "deno" ? [process.execPath, "run", "-A", script] : runtimeCommand(script);
  const run = runCommand(cmd, args);
  let exited = false;
  run.exited.then(() => (exited = true));
  if (!(await waitFor(() => exited, 90000))) run.kill("SIGKILL");
  assert.equal(await run.exited, 0, `the fixture failed: ${run.output()}`);
  const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as { signals: number; waitsBegun: number; got: number };
  assert.equal(report.got, 1, "the event was not delivered");
  // The signals reached the process (else nothing was interrupted and the test shows nothing;
  // Deno's handler may see two that came close together as one).
  assert.ok(report.signals >= 10, `only ${report.signals} of 30 signals were handled: ${run.output()}`);
  // A heartbeat may come due meanwhile (a few waits); a wake per signal is 30 and more.
  assert.ok(report.waitsBegun <= 10, `the pump began ${report.waitsBegun} waits during 30 interrupting signals`);
});
