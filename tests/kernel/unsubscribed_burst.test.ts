// A drain that found a buffer busy has the pump drain again at once, without a wait: only while
// drains still take events. After a listener that took a burst unsubscribed, the pump went on
// draining nothing, at once, forever (100 % CPU).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureReport } from "./util.ts";

test("after a listener takes a burst and unsubscribes, the pump goes quiet instead of draining again at once", async () => {
  const report = await fixtureReport<{ got: number; drains: number; next: boolean }>("unsubscribed_burst.ts");
  assert.equal(report.got, 60, "the burst was not delivered");
  assert.equal(report.next, true);
  // Quiet: a heartbeat's drain or two; draining at once again is thousands.
  assert.ok(report.drains <= 20, `the pump drained ${report.drains} times in a quiet second`);
});
