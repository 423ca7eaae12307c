import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { openSync } from "node:fs";
import { SysCount } from "../../examples/syscount.ts";

/** n openat() calls that fail with ENOENT. */
function failedOpens(n: number) {
  for (let i = 0; i < n; i++) {
    try {
      openSync(`/nonexistent-tsbpf/${i}`, "r");
    } catch { /* the failure is the point */ }
  }
}

test("syscount counts this process's failed openat() calls, filtered in the kernel", async () => {
  const tracer = new SysCount();
  tracer.targetPid = process.pid;
  tracer.failedOnly = true;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    failedOpens(300);
    const opens = tracer.bySyscall.get(257n) ?? 0n; // openat is syscall 257 on x86-64
    assert.ok(opens >= 300n && opens < 400n, `counted ${opens} failed openat() calls, made 300`);
    const table = tracer.table(5);
    assert.match(table, /^SYSCALL +COUNT\nopenat +\d+/m);
  } finally {
    await tracer.stop();
  }
});

test("syscount -P counts per process with the process's pid and name", async () => {
  const tracer = new SysCount();
  tracer.perProcess = true;
  tracer.targetPid = process.pid;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    failedOpens(50);
    const rows = tracer.byProcess.entries();
    assert.ok(rows.length >= 1);
    assert.ok(rows.every(([[pid]]) => pid === process.pid), "a process other than the target was counted");
    assert.ok(rows.reduce((a, [, n]) => a + n, 0n) >= 50n);
  } finally {
    await tracer.stop();
  }
});
