// start() without await: its result is a Promise, and using it as the tracer (its maps, its
// methods) must say so, at the user's line, instead of JavaScript's "undefined is not an object"
// or "is not a function" about a field the user can see declared.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "./util.ts";

const SCRIPT = new URL("../fixtures/start_not_awaited.ts", import.meta.url).pathname;

for (const use of ["events", "stop"]) {
  test(`using start()'s Promise as the tracer (.${use}) says to await start()`, { timeout: 120_000 }, async () => {
    const run = runScript(SCRIPT, { TSBPF_NO_CACHE: "1" }, [use]);
    const status = await run.exited;
    assert.equal(status, 1, run.output());
    assert.match(run.stderr(), new RegExp(`Forgot\\.start\\(\\) gives a Promise: \\.${use} is on the tracer it resolves to`), run.output());
    assert.match(run.stderr(), /await new Forgot\(\)\.start\(\)/, run.output());
  });
}
