import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { statSync, writeFileSync, unlinkSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StatSnoop } from "../../examples/statsnoop.ts";
import { waitFor } from "./util.ts";

// This file's own directory, made once a test needs it (a fixed name in /tmp could be another
// user's): Deno runs no after() hook of a file whose tests all skip.
let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-statsnoop-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

type Event = { pid: number; ret: number; comm: string; path: string; ts: bigint };

test("statsnoop sees this process stat a file and fail on a missing one", async () => {
  const tracer = new StatSnoop();
  tracer.targetPid = process.pid;
  await tracer.start({ exitOnError: false });
  const file = join(scratch(), "stat");
  writeFileSync(file, "x");
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    statSync(file);
    assert.throws(() => statSync(`${file}.missing`));
    assert.ok(await waitFor(() => events.some((e) => e.path === file) && events.some((e) => e.path === `${file}.missing`), 60_000), `events: ${JSON.stringify(events.map((e) => e.path))}`);
    assert.equal(events.find((e) => e.path === file)!.ret, 0);
    assert.equal(events.find((e) => e.path === `${file}.missing`)!.ret, -2); // ENOENT
    assert.ok(events.every((e) => e.pid === process.pid));
  } finally {
    unlinkSync(file);
    await tracer.stop();
  }
});

test("statsnoop -x reports only failures, from stat(1) in a child", async () => {
  const tracer = new StatSnoop();
  tracer.failedOnly = true;
  await tracer.start({ exitOnError: false });
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    const missing = join(scratch(), "nope");
    const child = spawn("/bin/sh", ["-c", `stat ${missing}; stat -f ${missing}; stat /`], { stdio: "ignore" });
    await new Promise((r) => child.on("exit", r));
    assert.ok(await waitFor(() => events.filter((e) => e.path === missing).length >= 2, 60_000), `events: ${JSON.stringify(events.filter((e) => e.comm === "stat").map((e) => [e.path, e.ret]))}`);
    const mine = events.filter((e) => e.comm === "stat");
    assert.ok(mine.every((e) => e.ret < 0), "-x let a success through");
    assert.ok(!mine.some((e) => e.path === "/"), "stat / succeeded, yet was reported");
  } finally {
    await tracer.stop();
  }
});
