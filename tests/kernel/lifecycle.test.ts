// Every way a tracer's process can end must leave no program of it in the kernel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { programsNamed, runScript, runtimeCommand, waitFor } from "./util.ts";
import process from "node:process";

const SCRIPT = new URL("../../examples/execsnoop.ts", import.meta.url).pathname;

async function runUntilStarted(script = SCRIPT) {
  const run = runScript(script, { TSBPF_NO_CACHE: "1" });
  // execsnoop prints its header (PCOMM ... ARGS) once attached; the fixtures print "tracer started".
  assert.ok(await waitFor(() => /ARGS|tracer started/.test(run.output()), 120000), `tracer did not start: ${run.output()}`);
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
  // The kernel frees a program after an RCU grace period; another session may run execsnoop meanwhile.
  assert.ok(await waitFor(() => programsNamed("onExec").length <= before), "program still loaded after stop()");
});

test("without privileges, one line says which and the status is 1", async () => {
  const { spawnSync } = await import("node:child_process");
  const [cmd, ...args] = runtimeCommand(SCRIPT);
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--", cmd, ...args], {
    env: { ...process.env, HOME: "/tmp", DENO_DIR: "/tmp/tsbpf-deno-nobody", TSBPF_NO_CACHE: "1" }, encoding: "utf8", timeout: 60000,
  });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^Permission denied: .* needs (root|CAP_BPF|CAP_PERFMON)/);
});
