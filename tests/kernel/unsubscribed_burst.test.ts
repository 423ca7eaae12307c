// A drain that found a buffer busy has the pump drain again at once, without a wait: only while
// drains still take events. After a listener that took a burst unsubscribed, the pump went on
// draining nothing, at once, forever (100 % CPU).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc } from "../../runtime/ffi/mod.ts";
import { runCommand, runtimeCommand, waitFor } from "./util.ts";

const c = await libc();

test("after a listener takes a burst and unsubscribes, the pump goes quiet instead of draining again at once", async () => {
  const script = new URL("../fixtures/unsubscribed_burst.ts", import.meta.url).pathname;
  const [cmd, ...args] = c.runtime === "deno" ? [process.execPath, "run", "-A", script] : runtimeCommand(script);
  const run = runCommand(cmd, args);
  let exited = false;
  run.exited.then(() => (exited = true));
  if (!(await waitFor(() => exited, 90000))) run.kill("SIGKILL");
  assert.equal(await run.exited, 0, `the fixture failed: ${run.output()}`);
  const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as { got: number; drains: number; next: boolean };
  assert.equal(report.got, 60, "the burst was not delivered");
  assert.equal(report.next, true);
  // Quiet: a heartbeat's drain or two; draining at once again is thousands.
  assert.ok(report.drains <= 20, `the pump drained ${report.drains} times in a quiet second`);
});
