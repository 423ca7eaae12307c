// A signal that interrupts the thread waiting in epoll for a quiet tracer's events (a profiler's,
// the script's own) is not an event: the pump does not wake, drain and wait again for each one,
// which under a steady stream of signals was a loop without a real wait. The event still comes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureReport } from "./util.ts";

test("signals that interrupt a quiet pump's epoll wait do not wake the pump; the next event is delivered", async () => {
  const report = await fixtureReport<{ signals: number; waitsBegun: number; got: number }>("interrupted_wait.ts");
  assert.equal(report.got, 1, "the event was not delivered");
  // The signals reached the process (else nothing was interrupted and the test shows nothing;
  // Deno's handler may see two that came close together as one).
  assert.ok(report.signals >= 10, `only ${report.signals} of 30 signals were handled`);
  // A heartbeat may come due meanwhile (a few waits); a wake per signal is 30 and more.
  assert.ok(report.waitsBegun <= 10, `the pump began ${report.waitsBegun} waits during 30 interrupting signals`);
});
