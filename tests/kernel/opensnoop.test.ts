import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { openSync, closeSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenSnoop, formatFlags } from "../../examples/opensnoop.ts";
import { waitFor } from "./util.ts";

// This file's own directory, made once a test needs it (a fixed name in /tmp could be another
// user's): Deno runs no after() hook of a file whose tests all skip.
let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-opensnoop-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

test("opensnoop sees a file this test opens, with its flags", async () => {
  const tracer = await new OpenSnoop().start({ exitOnError: false });
  try {
    const events: { pid: number; comm: string; flags: number; ret: number; filename: string }[] = [];
    tracer.events.on((e) => events.push(e));
    const path = join(scratch(), "opened");
    closeSync(openSync(path, constants.O_CREAT | constants.O_WRONLY | constants.O_TRUNC));
    assert.ok(await waitFor(() => events.some((e) => e.filename === path), 60_000), `no event for ${path}`);
    const e = events.find((x) => x.filename === path)!;
    assert.equal(e.pid, process.pid);
    assert.ok(e.flags & constants.O_CREAT, `flags ${formatFlags(e.flags)} lack O_CREAT`);
    assert.equal(e.flags & 3, constants.O_WRONLY);
    assert.ok(e.ret >= 0, `the open returned ${e.ret}, not a file descriptor`);
    // A failed open carries minus its errno, as opensnoop's ERR column shows it.
    const missing = `${path}-missing/x`;
    assert.throws(() => openSync(missing, constants.O_RDONLY));
    assert.ok(await waitFor(() => events.some((x) => x.filename === missing), 60_000), `no event for ${missing}`);
    assert.equal(events.find((x) => x.filename === missing)!.ret, -2); // ENOENT
  } finally {
    await tracer.stop();
  }
});

test("opensnoop -T -U -n NAME: bcc's TIME(s) and UID columns before PID, and only commands whose name holds NAME", async () => {
  const { tsbpf } = await import("./cli_run.ts");
  const tool = new URL("../../examples/opensnoop.ts", import.meta.url).pathname;
  const r = await tsbpf(["-c", "/usr/bin/head -c 0 /etc/hostname", "run", tool, "-T", "-U", "-n", "ea"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n").filter(Boolean);
  // bcc's "%-14s" and "%-6s" columns, printed without a separator before its own.
  assert.match(lines[0], /^TIME\(s\) {7}UID {3}PID +COMM +FD ERR PATH$/, r.stdout);
  const hostname = lines.find((l) => l.endsWith(" /etc/hostname"));
  assert.match(hostname ?? "", /^\d+\.\d{9} +0 +\d+ +head +\d+ +0 \/etc\/hostname$/, r.stdout);
  assert.ok(lines.slice(1).every((l) => / head +-?\d/.test(l)), `a command without "ea" in its name:\n${r.stdout}`);
});

test("opensnoop -u UID and -t TID filter in the kernel", async () => {
  // The events of one open by this thread, with the filters `set` chooses (stop() delivers what is left).
  const opened = async (set: (t: OpenSnoop) => void) => {
    const tracer = new OpenSnoop();
    set(tracer);
    const events: { filename: string; tid: number; uid: number }[] = [];
    await tracer.start({ exitOnError: false });
    const path = join(scratch(), `filtered-${events.length}-${Date.now()}`);
    try {
      tracer.events.on((e) => events.push(e));
      closeSync(openSync(path, constants.O_CREAT | constants.O_WRONLY));
      await waitFor(() => events.some((e) => e.filename === path), 2_000);
    } finally {
      await tracer.stop();
    }
    return events.filter((e) => e.filename === path);
  };
  const uid = process.getuid!();
  const mine = await opened((t) => ((t.byUid = true), (t.targetUid = uid)));
  assert.equal(mine.length, 1, "the open by this user was filtered out");
  assert.equal(mine[0].uid, uid);
  // The thread this test's opens run on (Deno's test runner's is not the process's first thread).
  const tid = mine[0].tid;
  assert.equal((await opened((t) => (t.targetTid = tid))).length, 1, "the open by this thread was filtered out");
  assert.deepEqual(await opened((t) => ((t.byUid = true), (t.targetUid = uid + 54321))), [], "an open by another user passed -u");
  assert.deepEqual(await opened((t) => (t.targetTid = tid + 1_000_000)), [], "an open by another thread passed -t");
});

test("opensnoop --print-uid is bcc's long name of -U; bcc's -d DURATION is pointed to tsbpf's -d, before the script", async () => {
  const { tsbpf } = await import("./cli_run.ts");
  const tool = new URL("../../examples/opensnoop.ts", import.meta.url).pathname;
  const r = await tsbpf(["-c", "/usr/bin/head -c 0 /etc/hostname", "run", tool, "--print-uid"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.split("\n")[0], /^UID {3}PID +COMM +FD ERR PATH$/, r.stdout);
  const d = await tsbpf(["run", tool, "-d", "5"]);
  assert.equal(d.status, 2, d.stderr);
  assert.match(d.stderr, /^opensnoop: error: Unknown option '-d': a duration is tsbpf's option, given before the script: tsbpf run -d 5 \S*opensnoop\.ts\n/, d.stderr);
  const long = await tsbpf(["run", tool, "--duration=2s"]);
  assert.equal(long.status, 2, long.stderr);
  assert.match(long.stderr, /tsbpf run -d 2s \S*opensnoop\.ts\n/, long.stderr);
});
