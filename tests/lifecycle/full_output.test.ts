// A tracer whose output cannot be written (its file is on a full disk: /dev/full here) stops
// at its first failed write, says why on stderr and ends with status 74 (docs/lifecycle.md).
// Before, Bun's console.log dropped the output silently and the tracer ran on; Deno's threw,
// and the one-liner ended as an "internal error".
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { runCommand, waitFor } from "../kernel/util.ts";
import { type KernelObjects, objectsOf, released } from "./kernel_objects.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const PRINTER = new URL("./fixtures/full_printer.ts", import.meta.url).pathname;
const runtime = typeof Bun !== "undefined" ? [process.execPath] : [process.execPath, "run", "-A", "--quiet"];
const MESSAGE = /^tsbpf: cannot write the output: No space left on device \(ENOSPC\); tracing stopped/m;
const ENV = { TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" };

/** `command` with its stdout on /dev/full; exec keeps its pid, so its kernel objects can be read. */
function runToFullDisk(command: string[]) {
  const run = runCommand("bash", ["-c", 'exec "$@" >/dev/full', "bash", ...command], ENV);
  let exited = false;
  let status: number | string = "still running after 60 s, its output dropped";
  return {
    ...run,
    exited: () => exited,
    /** The exit status, or why there is none: the tracer ran on for 60 s (then it is killed). */
    status: async () => {
      run.exited.then((s) => ((exited = true), (status = s)));
      await waitFor(() => exited, 60_000);
      run.kill("SIGKILL");
      return status;
    },
  };
}

for (const [what, command] of [["a script run by the runtime", [...runtime, PRINTER]], ["tsbpf run", [...runtime, MAIN, "run", PRINTER]]]) {
  test(`${what} printing to a full disk stops, says why and ends with status 74, its kernel objects released`, { timeout: 120_000 }, async () => {
    const run = runToFullDisk(command as string[]);
    try {
      const status = await run.status();
      const held = /^held (.*)$/m.exec(run.stderr());
      assert.ok(held, run.output());
      const objects = JSON.parse(held[1]) as KernelObjects;
      assert.ok(objects.progs.length > 0, run.output());
      assert.equal(status, 74, run.output());
      assert.match(run.stderr(), MESSAGE);
      assert.doesNotMatch(run.stderr(), /internal error/);
      assert.deepEqual(await released(objects), []);
    } finally {
      run.kill("SIGKILL");
    }
  });
}

test("a one-liner (tsbpf -e) printing to a full disk stops, says why and ends with status 74, its kernel objects released", { timeout: 120_000 }, async () => {
  const c = await libc();
  // It prints on this test's own getppid() calls, made once its probe is attached.
  const run = runToFullDisk([...runtime, MAIN, "-e", `tracepoint("syscalls:sys_enter_getppid", () => { if (pid() == ${process.pid}) printf("%d\\n", pid()); })`]);
  try {
    let objects = objectsOf(run.pid);
    const ended = run.status();
    assert.ok(await waitFor(() => run.exited() || (objects = objectsOf(run.pid)).links.length + objects.perfFds > 0, 60_000), run.output());
    assert.ok(!run.exited(), run.output());
    const deadline = Date.now() + 60_000;
    while (!run.exited() && Date.now() < deadline) {
      c.syscall(SYS.getppid);
      await waitFor(() => run.exited(), 50);
    }
    const status = await ended;
    assert.equal(status, 74, run.output());
    assert.match(run.stderr(), MESSAGE);
    assert.doesNotMatch(run.stderr(), /internal error/);
    assert.ok(objects.progs.length > 0, run.output());
    assert.deepEqual(await released(objects), []);
  } finally {
    run.kill("SIGKILL");
  }
});

test("a tool (tsbpf run examples/syscount.ts) printing to a full disk stops at its first line, says why and ends with status 74", { timeout: 120_000 }, async () => {
  const run = runToFullDisk([...runtime, MAIN, "run", new URL("../../examples/syscount.ts", import.meta.url).pathname]);
  try {
    assert.equal(await run.status(), 74, run.output());
    assert.match(run.stderr(), MESSAGE);
    assert.doesNotMatch(run.stderr(), /internal error/);
  } finally {
    run.kill("SIGKILL");
  }
});
