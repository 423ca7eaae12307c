// vfsstat needs kprobes or fentry: this host has neither, the VM lane (Debian's 6.1) runs it.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { closeSync, fsyncSync, openSync, readSync, rmSync, writeSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";
import { formatRates, HEADER, rates, VfsStat } from "../../examples/vfsstat.ts";
import { runScript, started, waitFor } from "./util.ts";

// This file's own directory, made once a test needs it (a fixed name in /tmp could be another
// user's): Deno runs no after() hook of a file whose tests all skip.
let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-vfsstat-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

const skip = hasKprobes() || hasFentry() ? false : "this kernel has neither kprobes (CONFIG_KPROBES) nor fentry; the VM lane runs this test";

/**
 * Creates a file, writes, fsyncs and reads it back `n` times: at least n reads, writes, fsyncs
 * and opens. (Not creates: open(O_CREAT) calls the file system's create directly; vfs_create()
 * is mknod's, as in bcc's vfsstat.)
 */
function fileWork(n: number): void {
  const path = join(scratch(), "io");
  for (let i = 0; i < n; i++) {
    rmSync(path, { force: true });
    const fd = openSync(path, "w+");
    writeSync(fd, "x");
    fsyncSync(fd);
    readSync(fd, Buffer.alloc(1), 0, 1, 0);
    closeSync(fd);
  }
  rmSync(path, { force: true });
}

test("vfsstat -p: this process's reads, writes, fsyncs and opens, per second", { skip }, async () => {
  const tracer = new VfsStat();
  tracer.targetPid = process.pid;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    fileWork(20);
    const counted = () => tracer.stats.get(3) ?? 0n; // FSYNC
    assert.ok(await waitFor(() => counted() >= 20n, 60_000), `${counted()} fsyncs counted for 20`);
    const r = rates(tracer, 2);
    for (const name of ["READ", "WRITE", "FSYNC", "OPEN"]) assert.ok(r.get(name)! >= 10, `${name}: ${r.get(name)}/s over 2 s for 20 calls`);
    assert.ok(r.get("FSYNC")! <= 10 + 1, `FSYNC: ${r.get("FSYNC")}/s: -p let other processes through`);
    assert.match(formatRates(r, "12:34:56"), /^12:34:56:  +\d+ +\d+ +1[01] +\d+ +\d+$/);
  } finally {
    await tracer.stop();
  }
});

test("vfsstat as a command: bcc's header and one line per interval", { skip }, async () => {
  const run = runScript(new URL("../../examples/vfsstat.ts", import.meta.url).pathname, {}, ["1", "3"]);
  assert.ok(await started(run, "CREATE/s"), `no header: ${run.output()}`);
  fileWork(5);
  const status = await run.exited;
  assert.equal(status, 0, run.output());
  const lines = run.output().trim().split("\n");
  assert.equal(lines[0], HEADER);
  assert.equal(HEADER, "TIME         READ/s  WRITE/s  FSYNC/s   OPEN/s CREATE/s");
  assert.equal(lines.length, 4, run.output());
  for (const l of lines.slice(1)) assert.match(l, /^\d\d:\d\d:\d\d:  +\d+ +\d+ +\d+ +\d+ +\d+$/);
});
