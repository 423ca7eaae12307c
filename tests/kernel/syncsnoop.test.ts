import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawn } from "node:child_process";
import { closeSync, fdatasyncSync, fsyncSync, openSync, unlinkSync, writeSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CALLS, SyncSnoop } from "../../examples/syncsnoop.ts";
import { waitFor } from "./util.ts";

// This file's own directory, made once a test needs it (a fixed name in /tmp could be another
// user's): Deno runs no after() hook of a file whose tests all skip.
let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-syncsnoop-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

type Event = { pid: number; fd: number; call: number; comm: string };

test("syncsnoop -p sees this process fsync and fdatasync a file, with its descriptor", async () => {
  const tracer = new SyncSnoop();
  tracer.targetPid = process.pid;
  await tracer.start({ exitOnError: false });
  const path = join(scratch(), "synced");
  const fd = openSync(path, "w");
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    writeSync(fd, "data");
    fsyncSync(fd);
    fdatasyncSync(fd);
    assert.ok(await waitFor(() => events.length >= 2, 60_000), `events: ${JSON.stringify(events.map((e) => [e.pid, CALLS[e.call], e.fd]))}`);
    assert.deepEqual(events.map((e) => [e.pid, CALLS[e.call], e.fd]), [[process.pid, "fsync", fd], [process.pid, "fdatasync", fd]]);
  } finally {
    closeSync(fd);
    unlinkSync(path);
    await tracer.stop();
  }
});

test("syncsnoop sees sync(1)", async () => {
  const tracer = await new SyncSnoop().start({ exitOnError: false });
  try {
    const events: Event[] = [];
    tracer.events.on((e) => events.push(e));
    const child = spawn("/bin/sync", []);
    await new Promise((r) => child.on("exit", r));
    assert.ok(await waitFor(() => events.some((e) => e.pid === child.pid), 60_000), "no event for sync(1)");
    const e = events.find((e) => e.pid === child.pid)!;
    assert.deepEqual([e.comm, CALLS[e.call], e.fd], ["sync", "sync", -1]);
  } finally {
    await tracer.stop();
  }
});
