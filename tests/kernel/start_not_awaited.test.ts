// start() without await: its result is a Promise, and using it as the tracer (its maps, its
// methods) must say so, at the user's line, instead of JavaScript's "undefined is not an object"
// or "is not a function" about a field the user can see declared.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { runCommand, runScript } from "./util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const runtime = typeof Bun !== "undefined" ? [process.execPath] : [process.execPath, "run", "-A", "--quiet"];

const SCRIPT = new URL("../fixtures/start_not_awaited.ts", import.meta.url).pathname;

for (const [how, use] of [["", "events"], ["", "stop"], ["tsbpf run: ", "events"]]) {
  test(`${how}using start()'s Promise as the tracer (.${use}) says to await start()`, { timeout: 120_000 }, async () => {
    const env = { TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" };
    const run = how ? runCommand(runtime[0], [...runtime.slice(1), MAIN, "run", SCRIPT, use], env) : runScript(SCRIPT, env, [use]);
    const status = await run.exited;
    assert.equal(status, 1, run.output());
    assert.match(run.stderr(), new RegExp(`Forgot\\.start\\(\\) gives a Promise: \\.${use} is on the tracer it resolves to`), run.output());
    assert.match(run.stderr(), /await new Forgot\(\)\.start\(\)/, run.output());
  });
}
