// end() runs once the probes are detached, as bpftrace's END does: what it reads of the maps is
// what the maps printed after it hold, and two reads in it agree. A total printed in end() that
// differs from the map printed under it, or a ratio of two maps read a moment apart, is a wrong
// result. The machine is kept busy (dd making syscalls for the whole run), so a probe still
// attached while end() runs counts between its reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { runCommand } from "./util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

function tsbpf(args: string[]) {
  const cmd = typeof Bun !== "undefined" ? [MAIN, ...args] : ["run", "-A", "--quiet", MAIN, ...args];
  return runCommand(process.execPath, cmd, { NO_COLOR: "1", TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" });
}

// end() reads @n, waits 200 ms, reads it again; the maps are printed after it.
const ONE_LINER = 'tracepoint("raw_syscalls:sys_enter", () => $.n++); end(() => { const a = $.n; const t = Date.now(); while (Date.now() - t < 200) {} printf("end %d %d\\n", a, $.n); })';

test("a one-liner's end() reads the maps as they are printed after it: no probe counts once it runs", { timeout: 120_000 }, async () => {
  const dd = spawn("dd", ["if=/dev/zero", "of=/dev/null", "bs=1"], { stdio: "ignore" });
  try {
    const run = tsbpf(["-d", "1", "-e", ONE_LINER]);
    const status = await run.exited;
    assert.equal(status, 0, `${status}: ${run.stderr()}`);
    const out = run.stdout();
    const inEnd = /^end (\d+) (\d+)$/m.exec(out);
    const printed = /^@n: (\d+)$/m.exec(out);
    assert.ok(inEnd && printed, out);
    assert.ok(Number(inEnd[1]) > 1000, `dd's syscalls were not counted: ${out}`);
    assert.equal(inEnd[2], inEnd[1], `@n changed while end() ran: ${out}`);
    assert.equal(printed[1], inEnd[1], `the map printed after end() differs from what end() read: ${out}`);
  } finally {
    dd.kill("SIGKILL");
  }
});
