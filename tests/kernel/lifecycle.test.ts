// Every way a tracer's process can end must leave no program of it in the kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { programsNamed, runScript, waitFor } from "./util.ts";

const SCRIPT = new URL("../../examples/execsnoop.ts", import.meta.url).pathname;

async function runUntilStarted(script = SCRIPT) {
  const run = runScript(script, { TSBPF_NO_CACHE: "1" });
  assert.ok(await waitFor(() => run.output().includes("FILENAME"), 20000), `tracer did not start: ${run.output()}`);
  return run;
}

for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGKILL", "SIGKILL"]] as const) {
  test(`${signal} ends execsnoop with status ${status} and leaves no program loaded`, async () => {
    const before = programsNamed("onExec").length;
    const run = await runUntilStarted();
    assert.ok(programsNamed("onExec").length > before, "the tracer's program is not loaded");
    run.kill(signal);
    assert.equal(await run.exited, status, run.output());
    assert.ok(await waitFor(() => programsNamed("onExec").length <= before), "program still loaded after exit");
  });
}

test("an exception in user code exits with status 1 and leaves no program loaded", async () => {
  const before = programsNamed("onExec").length;
  const run = await runUntilStarted(new URL("../fixtures/throws.ts", import.meta.url).pathname);
  assert.equal(await run.exited, 1, run.output());
  assert.match(run.output(), /user code failed/);
  assert.ok(await waitFor(() => programsNamed("onExec").length <= before), "program still loaded after the exception");
});

test("a script that stops its tracer and ends exits with status 0, nothing left loaded", async () => {
  const before = programsNamed("onExec").length;
  const run = await runUntilStarted(new URL("../fixtures/ends.ts", import.meta.url).pathname);
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.output(), /stopped/);
  assert.equal(programsNamed("onExec").length, before, "program still loaded after stop()");
});
