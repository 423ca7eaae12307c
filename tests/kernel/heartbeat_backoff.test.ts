// The heartbeat that counts refused map updates slows down while it finds nothing (1, 2, 4, 8 s
// apart: an idle tracer whose maps count refused updates woke every second for it), and what
// comes after a long quiet spell is still delivered and reported: an event, the updates a full
// map refused (while the tracer runs), and their exact count at the end. Checked by what the
// tracer schedules and prints (tests/fixtures/heartbeat_backoff.ts), never by how long anything took.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { libc } from "../../runtime/ffi/mod.ts";
import { runCommand, runtimeCommand, waitFor } from "./util.ts";

const c = await libc();

interface Report {
  longestBeatMs: number;
  eventAfterQuiet: boolean;
  whileRunning: string | null;
  atEnd: string;
  expected: [number, number];
}

async function run(flags: string[]): Promise<Report> {
  const script = new URL("../fixtures/heartbeat_backoff.ts", import.meta.url).pathname;
  // It reads /proc/self/task/*/syscall: on Deno that needs more than --allow-ffi.
  const [cmd, ...args] = c.runtime === "deno" ? [process.execPath, "run", "-A", script] : runtimeCommand(script);
  const running = runCommand(cmd, [...args, ...flags]);
  let exited = false;
  running.exited.then(() => (exited = true));
  // Generous: a compile, a start, up to a minute of quiet and up to 30 s for the report.
  if (!(await waitFor(() => exited, 120_000))) running.kill("SIGKILL");
  assert.equal(await running.exited, 0, running.output());
  return JSON.parse(running.stdout().trim().split("\n").at(-1)!);
}

test("a quiet heartbeat slows down, and the refused updates and events after a long quiet spell are still reported and delivered, exactly counted at the end", async () => {
  // Both at once: a tracer with only maps, and one with a RingBuf too (the pump then waits in epoll).
  const [mapsOnly, withRing] = await Promise.all([run([]), run(["--ring"])]);
  for (const [name, r] of [["maps only", mapsOnly], ["with a RingBuf", withRing]] as const) {
    assert.ok(r.longestBeatMs >= 4000, `${name}: after a minute of quiet the heartbeat still comes every ${r.longestBeatMs} ms`);
    assert.match(r.whileRunning ?? "", new RegExp(`^tsbpf: ${r.expected[0]} updates to calls dropped: map full \\(16 entries\\)`), `${name}: refused updates not reported while running`);
    assert.match(r.atEnd, new RegExp(`^tsbpf: ${r.expected[1]} updates to calls dropped`), `${name}: the count at the end`);
  }
  assert.ok(withRing.eventAfterQuiet, "the event after the quiet spell was not delivered");
});
