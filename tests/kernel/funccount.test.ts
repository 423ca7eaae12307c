// funccount: tracepoint patterns here; kernel function patterns (kprobe_multi, or one kprobe
// per function) in the VM lane, where the kernel has kprobes.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { closeSync, fsyncSync, openSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";
import { hasKprobes } from "../../runtime/features.ts";
import { countRows, countTable, funcCounter } from "../../examples/funccount.ts";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeCommand } from "./util.ts";

// This file's own directory, made once a test needs it (a fixed name in /tmp could be another
// user's): Deno runs no after() hook of a file whose tests all skip.
let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-funccount-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

await libc();
function work(n: number): void {
  const file = join(scratch(), "io");
  writeFileSync(file, "x");
  for (let i = 0; i < n; i++) {
    readFileSync(file);
    const fd = openSync(file, "r");
    fsyncSync(fd);
    closeSync(fd);
  }
}

test("funccount 't:syscalls:sys_enter_f*sync' -p PID counts each tracepoint of this process", async () => {
  const counter = funcCounter("t:syscalls:sys_enter_f*sync");
  const reads = funcCounter("t:syscalls:sys_enter_read*");
  counter.targetPid = reads.targetPid = process.pid;
  counter.end = reads.end = () => {};
  await counter.start({ exitOnError: false });
  await reads.start({ exitOnError: false });
  try {
    work(20);
    const fsyncs = counter.counts.get(["tracepoint:syscalls:sys_enter_fsync"]) ?? 0n;
    assert.ok(fsyncs >= 20n && fsyncs < 40n, `counted ${fsyncs} fsync calls, made 20`);
    assert.equal(counter.counts.get(["tracepoint:syscalls:sys_enter_fdatasync"]), undefined, "a call nobody made was counted");
    assert.ok((reads.counts.get(["tracepoint:syscalls:sys_enter_read"]) ?? 0n) >= 20n);
    const table = countTable(countRows(counter)).join("\n");
    assert.match(table, /^FUNC +COUNT\n(.*\n)*syscalls:sys_enter_fsync +\d+$/m);
  } finally {
    await counter.stop();
    await reads.stop();
  }
});

/** Runs funccount as a command, to its end. */
function funccount(...argv: string[]) {
  const [cmd, ...args] = runtimeCommand(new URL("../../examples/funccount.ts", import.meta.url).pathname);
  return spawnSync(cmd, [...args, ...argv], { encoding: "utf8", env: { ...process.env, TSBPF_NO_CACHE: "1" }, timeout: 120000 });
}

test("funccount as a command: -d ends it, with the table sorted, the most counted last", () => {
  // Its own syscalls: -p of the child is unknown here, so count every process's renames (rare) and writes (many).
  const r = funccount("-d", "1", "t:syscalls:sys_enter_*write");
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Tracing t:syscalls:sys_enter_\*write\.\.\. Hit Ctrl-C to end\.$/m);
  const rows = [...r.stdout.matchAll(/^syscalls:sys_enter_(\w*write) +(\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
  assert.ok(rows.some(([n]) => n === "write"), `no write(2) counted:\n${r.stdout}`);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1][1] <= rows[i][1], `not sorted:\n${r.stdout}`);
  assert.match(r.stdout, /Detaching\.\.\.\n?$/);
});

test("funccount with a kernel function pattern where the kernel has no kprobes: a clear error", { skip: hasKprobes() && "this kernel has kprobes (the VM lane runs the kprobe test)" }, () => {
  const r = funccount("-d", "1", "vfs_*");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /funccount\.ts:\d+:\d+: .*neither fentry nor kprobes/);
});
