// The in-process lifecycle (docs/lifecycle.md): however a tracer's process ends, it ends within
// a bound, with the documented status, and leaves none of its own programs, maps or links in
// the kernel (checked by the ids it held, from /proc/PID/fdinfo).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { catchesSigint, runCommand, type Running, runScript, waitFor } from "../kernel/util.ts";
import { cpuTicks, type KernelObjects, objectsOf, released, sleeps } from "./kernel_objects.ts";

declare const Bun: unknown;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

/** `tsbpf ARGS` on this test's runtime, in one process (one-liners run in the tsbpf process). */
function tsbpf(args: string[]): Running {
  const cmd = typeof Bun !== "undefined" ? [MAIN, ...args] : ["run", "-A", "--quiet", MAIN, ...args];
  return runCommand(process.execPath, cmd, { TSBPF_NO_CACHE: "1" });
}

/** Waits for `text` in the output (the tracer attached), then takes the ids of what the process holds. */
async function started(run: Running, text = "tracer started"): Promise<KernelObjects> {
  let exited = false;
  run.exited.then(() => (exited = true));
  assert.ok(await waitFor(() => exited || run.output().includes(text), 120000), `did not start: ${run.output()}`);
  assert.ok(!exited, `exited before it was signalled: ${run.output()}`);
  const held = objectsOf(run.pid);
  return held;
}

/** The status within `ms`, or "still running" (then it is killed). */
async function statusWithin(run: Running, ms: number): Promise<number | string> {
  const timeout = new Promise<string>((r) => setTimeout(() => r("still running"), ms));
  const status = await Promise.race([run.exited, timeout]);
  if (status === "still running") run.kill("SIGKILL");
  return status;
}

async function assertReleased(held: KernelObjects, run: Running): Promise<void> {
  assert.deepEqual(await released(held), [], `kernel objects left behind: ${run.output()}`);
}

for (const [signal, status] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  test(`a script with a setInterval timer ends on ${signal} with status ${status}, end() run, nothing left`, async () => {
    const run = runScript(fixture("set_interval.ts"), { TSBPF_NO_CACHE: "1" });
    const held = await started(run);
    assert.ok(held.progs.length === 1 && held.links.length === 1 && held.maps.length >= 2, `unexpected objects: ${JSON.stringify(held)}`);
    run.kill(signal);
    assert.equal(await statusWithin(run, 120_000), status, run.output());
    assert.match(run.output(), /end ran/);
    await assertReleased(held, run);
  });
}

test("what end() prints reaches the pipe in full before the process ends on SIGINT", async () => {
  const run = runScript(fixture("big_end.ts"), { TSBPF_NO_CACHE: "1" });
  await started(run);
  run.kill("SIGINT");
  assert.equal(await statusWithin(run, 120_000), 130, run.output().slice(-500));
  assert.equal(run.output().match(/^line \d+$/gm)?.length, 100000);
  assert.match(run.output(), /^line 99999$/m);
});

test("a script serving HTTP ends on SIGTERM with status 143, nothing left", async () => {
  // Deno needs --allow-net for the server.
  const args = typeof Bun !== "undefined" ? ["run", fixture("http_server.ts")] : ["run", "--allow-ffi", "--allow-net", fixture("http_server.ts")];
  const run = runCommand(process.execPath, args, { TSBPF_NO_CACHE: "1" });
  const held = await started(run);
  run.kill("SIGTERM");
  assert.equal(await statusWithin(run, 120_000), 143, run.output());
  await assertReleased(held, run);
});

for (const how of ["throw", "reject"]) {
  test(`an uncaught ${how === "throw" ? "exception" : "rejection"} in a timer after start() exits 1 and releases everything`, async () => {
    const run = runScript(fixture("timer_throws.ts"), { TSBPF_NO_CACHE: "1" }, [how]);
    const held = await started(run);
    assert.equal(await statusWithin(run, 120_000), 1, run.output());
    assert.match(run.output(), how === "throw" ? /user timer failed/ : /user promise failed/);
    await assertReleased(held, run);
  });
}

test("tracer.every() stops with the tracer: the script ends by itself", async () => {
  const run = runScript(fixture("every.ts"), { TSBPF_NO_CACHE: "1" });
  const held = await started(run);
  assert.equal(await statusWithin(run, 120_000), 0, run.output());
  const ticks = run.output().match(/^tick$/gm)?.length ?? 0;
  assert.equal(ticks, 3, `expected the 3 ticks before the stop, and none after it: ${run.output()}`);
  assert.match(run.output(), /end ran\n[^]*stopped/);
  await assertReleased(held, run);
});

test("start({ handleSignals: false }) leaves SIGTERM to the script", async () => {
  const run = runScript(fixture("own_signals.ts"), { TSBPF_NO_CACHE: "1" });
  const held = await started(run);
  run.kill("SIGTERM");
  assert.equal(await statusWithin(run, 120_000), 3, run.output());
  assert.match(run.output(), /own shutdown\n[^]*end ran/);
  await assertReleased(held, run);
});

test("a one-liner with only begin() sleeps: it neither polls nor spins over 3 s, and SIGINT ends it with 130", async () => {
  const run = tsbpf(["-e", 'begin(() => print("waiting"))']);
  await started(run, "waiting");
  // Counted, not timed: a 2 ms poll wakes ≈ 1500 times in 3 s, a spin uses the whole core. The
  // bounds leave room for the runtime's own timers and a start-up's last collections on a loaded
  // machine (2.7 % of a core was seen); the bench's idle job measures the real figures.
  const sleptBefore = sleeps(run.pid), ticksBefore = cpuTicks(run.pid), t0 = Date.now();
  await new Promise((r) => setTimeout(r, 3000));
  const woke = sleeps(run.pid) - sleptBefore, used = (cpuTicks(run.pid) - ticksBefore) / 100, elapsed = (Date.now() - t0) / 1000;
  run.kill("SIGINT");
  assert.equal(await statusWithin(run, 120_000), 130, run.output());
  assert.ok(woke < 100 * elapsed, `woke ${woke} times in ${elapsed.toFixed(1)} s while idle`);
  assert.ok(used / elapsed < 0.1, `used ${(100 * used / elapsed).toFixed(1)} % of a core while idle`);
});

{
  const [signal, status] = ["SIGINT", 130] as const;
  test("a tracer whose JavaScript never yields ends on a second Ctrl-C (SIGINT), status 130, nothing left", async () => {
    // Its listeners cannot run: the second SIGINT ends the process by the signal's default action.
    const run = tsbpf(["-e", 'tracepoint("syscalls:sys_enter_getppid", () => { printf("x\\n"); }); begin(() => { print("spinning"); for (;;) {} })']);
    const held = await started(run, "spinning");
    assert.ok(held.progs.length >= 1 && held.links.length >= 1, `unexpected objects: ${JSON.stringify(held)}`);
    assert.ok(catchesSigint(run.pid), "no SIGINT handler to make one-shot");
    run.kill(signal);
    // The second only once the first is delivered (the one-shot handler gone): two sent while the
    // process waits for a CPU are one pending signal, and it would spin on.
    assert.ok(await waitFor(() => !catchesSigint(run.pid), 60_000), "the first SIGINT never reached it");
    run.kill(signal);
    const ended = await statusWithin(run, 120_000);
    // Ended by the signal itself: a shell reports it as 128+n, the same as an exit with that status.
    assert.ok(ended === status || ended === signal, `ended with ${ended}: ${run.output()}`);
    await assertReleased(held, run);
  });
}

test("exit() in a one-liner prints once under a fast event generator, and ends with 0", async () => {
  const generator = runScript(fixture("getpgid_loop.ts"), {}, ["60"]);
  try {
    assert.ok(await waitFor(() => generator.output().includes("generating"), 60000), generator.output());
    const run = tsbpf(["-e", 'tracepoint("syscalls:sys_enter_getpgid", a => { a.pid === 4242421 && printf("hit\\n"); exit(); })']);
    // It may end as soon as it attached: take the ids while it loads and runs.
    const held: KernelObjects = { progs: [], maps: [], links: [], perfFds: 0 };
    let exited = false;
    run.exited.then(() => (exited = true));
    while (!exited) {
      const now = objectsOf(run.pid);
      for (const k of ["progs", "maps", "links"] as const) held[k] = [...new Set([...held[k], ...now[k]])];
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.ok(held.progs.length, `no program seen while it ran: ${run.output()}`);
    assert.equal(await statusWithin(run, 120_000), 0, run.output());
    assert.equal(run.output().match(/^hit$/gm)?.length ?? 0, 1, run.output().slice(0, 2000));
    await assertReleased(held, run);
  } finally {
    generator.kill("SIGKILL");
    await generator.exited;
  }
});

for (const period of ["0", "-1", "1e-9", '"0ms"']) {
  test(`interval(${period}) in a one-liner is an error at its position, not a tight loop`, async () => {
    const run = tsbpf(["-e", `interval(${period}, () => print("x"))`]);
    assert.equal(await statusWithin(run, 120_000), 1, run.output());
    assert.match(run.output(), /^-e:1:10: error.*interval\(\)'s period must be from 1 ms/m);
    assert.doesNotMatch(run.output(), /^x$/m);
  });
}
