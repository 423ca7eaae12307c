// The event pump's first wait after start(): an event that comes just after the attach (a
// script's first event, bench/ "launch → first event") waits for the pump's first drain.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc } from "../../runtime/ffi/mod.ts";
import { START_GARBAGE_MS } from "../../runtime/maps/event_pump.ts";
import { runCommand, runtimeCommand, waitFor } from "./util.ts";

const c = await libc();

test("after start(), the event pump drains again within 1 ms (the shortest wait it makes), not on its idle period", async () => {
  const script = new URL("../fixtures/first_drain.ts", import.meta.url).pathname;
  const [cmd, ...args] = c.runtime === "deno" ? [process.execPath, "run", "-A", script] : runtimeCommand(script);
  const run = runCommand(cmd, args);
  let exited = false;
  run.exited.then(() => (exited = true));
  // Generous: a compile and a start.
  if (!(await waitFor(() => exited, 60000))) run.kill("SIGKILL");
  assert.equal(await run.exited, 0, `the fixture failed: ${run.output()}`);
  const report = JSON.parse(run.stdout().trim().split("\n").at(-1)!) as { waits: number[]; got: number };
  assert.equal(report.got, 1, "the event was not delivered");
  // start() also sets the one-off timer for the start's garbage: the drains' waits are the others.
  const drainWaits = report.waits.filter((ms) => ms !== START_GARBAGE_MS);
  assert.ok(drainWaits.length > 0, `start() set no wait for the next drain: ${run.output()}`);
  assert.equal(drainWaits[0], 1, `the first wait after start() was ${drainWaits[0]} ms (all: ${report.waits.join(", ")})`);
});
