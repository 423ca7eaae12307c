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
