// The terminal goes away (an ssh connection drops, a terminal window closes) while a tracer runs
// in it: the kernel hangs the terminal up and sends SIGHUP; the tracer stops as on SIGHUP, status
// 129, with end() run (docs/lifecycle.md). Deno's console.log throws once the terminal is gone
// (EIO), so end()'s printing turned the exit into an uncaught error, status 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { readFileSync } from "node:fs";
import { libcSync } from "../../runtime/ffi/mod.ts";
import { runCommand, waitFor } from "../kernel/util.ts";
import { objectsOf, released } from "./kernel_objects.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const SCRIPT = new URL("./fixtures/set_interval.ts", import.meta.url).pathname;
const runtime = typeof Bun !== "undefined" ? [process.execPath] : [process.execPath, "run", "-A", "--quiet"];
/** ioctl(2) request: hang up the terminal, as the kernel does when its other side closes. */
const TIOCVHANGUP = 0x5437;
const O_RDWR = 2, O_NOCTTY = 0o400;

const CASES: [string, string[]][] = [
  ["a script run by the runtime", [...runtime, SCRIPT]],
  ["a script under tsbpf run", [...runtime, MAIN, "run", SCRIPT]],
];

for (const [what, command] of CASES) {
  test(`${what} whose terminal hangs up stops as on SIGHUP, status 129, nothing left`, { timeout: 180_000 }, async () => {
    // script(1) gives the tracer a terminal of its own, whose session it leads (exec): the hangup's SIGHUP is for it.
    const line = ["exec", ...command].map((a) => `'${a}'`).join(" ");
    const run = runCommand("script", ["-qfec", line, "/dev/null"], { TSBPF_NO_CACHE: "1", SHELL: "/bin/sh", PATH: process.env.PATH ?? "/usr/bin:/bin" });
    try {
      let exited = false;
      run.exited.then(() => (exited = true));
      assert.ok(await waitFor(() => exited || run.output().includes("tracer started"), 120_000), run.output());
      assert.ok(!exited, run.output());
      const tracer = Number(readFileSync(`/proc/${run.pid}/task/${run.pid}/children`, "utf8").trim().split(" ")[0]);
      const holder = what.includes("tsbpf run") ? Number(readFileSync(`/proc/${tracer}/task/${tracer}/children`, "utf8").trim().split(" ")[0]) : tracer;
      const held = objectsOf(holder);
      assert.ok(held.links.length > 0, `no link held: ${run.output()}`);
      const c = libcSync();
      const terminal = c.open(`/proc/${tracer}/fd/0`, O_RDWR | O_NOCTTY);
      assert.ok(terminal >= 0, `cannot open the tracer's terminal: ${terminal}`);
      assert.equal(c.ioctl(terminal, TIOCVHANGUP, 0n), 0);
      c.close(terminal);
      // script -e reports the status of the tracer it runs.
      assert.equal(await run.exited, 129, run.output());
      assert.deepEqual(await released(held), [], run.output());
    } finally {
      run.kill("SIGKILL");
    }
  });
}
