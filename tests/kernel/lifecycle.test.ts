// Every way a tracer's process can end must leave no program, map or link of it in the kernel.
// What the tracer holds is read by id from its /proc/PID/fdinfo while it runs and looked up by
// id after it ends: other sessions may run execsnoop (a program of the same name) meanwhile.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Running, runScript, runtimeCommand, waitFor } from "./util.ts";
import { KernelObjects, objectsOf, released } from "../lifecycle/kernel_objects.ts";
import { progInfoById } from "../../runtime/bpf.ts";
import process from "node:process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = new URL("../../examples/execsnoop.ts", import.meta.url).pathname;

async function runUntilStarted(script = SCRIPT) {
  const run = runScript(script, { TSBPF_NO_CACHE: "1" });
  // execsnoop prints its header (PCOMM ... ARGS) once attached; the fixtures print "tracer started".
  assert.ok(await waitFor(() => /ARGS|tracer started/.test(run.output()), 120000), `tracer did not start: ${run.output()}`);
  return run;
}

/** The tracer's own programs, maps and links, checked to include its execsnoop handler. */
function heldBy(run: Running): KernelObjects {
  const held = objectsOf(run.pid);
  const names = held.progs.map((id) => progInfoById(id)?.name);
  assert.ok(names.includes("onExec"), `the tracer holds no onExec program (it holds ${JSON.stringify(names)})`);
  assert.ok(held.maps.length > 0, "the tracer holds no map");
  return held;
}

/** The kernel frees a program after an RCU grace period: waits a while for all of `held` to go. */
async function assertReleased(held: KernelObjects, after: string) {
  assert.deepEqual(await released(held), [], `still in the kernel after ${after}`);
}

for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGKILL", "SIGKILL"]] as const) {
  test(`${signal} ends execsnoop with status ${status} and leaves no program loaded`, async () => {
    const run = await runUntilStarted();
    const held = heldBy(run);
    run.kill(signal);
    assert.equal(await run.exited, status, run.output());
    await assertReleased(held, signal);
  });
}

test("an exception in user code exits with status 1 and leaves no program loaded", async () => {
  const run = await runUntilStarted(new URL("../fixtures/throws.ts", import.meta.url).pathname);
  const held = heldBy(run);
  process.kill(run.pid, "SIGUSR1");
  assert.equal(await run.exited, 1, run.output());
  assert.match(run.output(), /user code failed/);
  await assertReleased(held, "the exception");
});

test("a script that stops its tracer and ends exits with status 0, nothing left loaded", async () => {
  const run = await runUntilStarted(new URL("../fixtures/ends.ts", import.meta.url).pathname);
  const held = heldBy(run);
  process.kill(run.pid, "SIGUSR1");
  assert.equal(await run.exited, 0, run.output());
  assert.match(run.output(), /stopped/);
  await assertReleased(held, "stop()");
});

test("without privileges, one line says which and the status is 1", async () => {
  const { spawnSync } = await import("node:child_process");
  const [cmd, ...args] = runtimeCommand(SCRIPT);
  // nobody's own home, for what the runtime caches there
  const home = mkdtempSync(join(tmpdir(), "tsbpf-nobody-home-"));
  chownSync(home, 65534, 65534);
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--", cmd, ...args], {
    env: { ...process.env, HOME: home, DENO_DIR: join(home, "deno"), TSBPF_NO_CACHE: "1" }, encoding: "utf8", timeout: 60000,
  });
  rmSync(home, { recursive: true, force: true });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^Permission denied: .* needs (root|CAP_BPF|CAP_PERFMON)/);
});
