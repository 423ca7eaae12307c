// While events flow, the event pump drains on a period: a ring buffer that holds far more than a
// period's events at the fastest rate a producer reaches is drained every 2 ms, half the wake-ups
// (each costs the process a few times what the drain of a few hundred events does: bench/NOTES.md,
// "Streaming, session 12"); a smaller buffer keeps 1 ms. Checked by the waits the pump sets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { START_GARBAGE_MS } from "../../runtime/maps/event_pump.ts";
import { fixtureReport } from "./util.ts";

async function flowingWaits(size: number): Promise<number[]> {
  const report = await fixtureReport<{ waits: number[]; got: number }>("flowing_waits.ts", 90000, [String(size)]);
  assert.equal(report.got, 250, "not every event was delivered");
  return report.waits.filter((ms) => ms !== START_GARBAGE_MS);
}

test("a flowing pump drains a 4 MiB ring buffer every 2 ms, never every 1 ms", async () => {
  const waits = await flowingWaits(4 * 1024 * 1024);
  assert.ok(waits.includes(2), `no 2 ms wait: ${waits.join(", ")}`);
  assert.ok(!waits.includes(1), `a 1 ms wait: ${waits.join(", ")}`);
});

test("a flowing pump drains a 256 KiB ring buffer every 1 ms", async () => {
  const waits = await flowingWaits(256 * 1024);
  assert.ok(waits.includes(1), `no 1 ms wait: ${waits.join(", ")}`);
});
