// A listener's error is the script's: thrown as from any callback (it ends the process unless
// the script catches uncaught errors). A script that survives it still gets its next events:
// the event pump goes on, on both runtimes (timers on Bun, epoll on Deno).
import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "./util.ts";

test("after a listener's error that the script survives, the next events still arrive", async () => {
  const run = runScript(new URL("../fixtures/listener_throws.ts", import.meta.url).pathname);
  assert.equal(await run.exited, 0, run.output());
  const line = run.output().split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, run.output());
  const { got, caught } = JSON.parse(line);
  assert.ok(caught >= 1, `the listener's error was not thrown: ${run.output()}`);
  assert.equal(got, 4, "events stopped after the listener's error");
});
