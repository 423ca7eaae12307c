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

/** The tool run with `args` on `command` (tsbpf -c: only its calls are counted, and the table is printed when it exits). */
async function toolOn(command: string, args: string[]): Promise<{ status: number | string | null; stdout: string; stderr: string }> {
  const { tsbpf } = await import("./cli_run.ts");
  return tsbpf(["-c", command, "run", new URL("../../examples/syscount.ts", import.meta.url).pathname, ...args]);
}

test("syscount -L -m -e ENOENT --syscall openat: bcc's latency columns, for one call and one error only", async () => {
  const r = await toolOn("cat /nonexistent-tsbpf-a /nonexistent-tsbpf-b /etc/hostname", ["-L", "-e", "ENOENT", "--syscall", "openat"]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^SYSCALL +COUNT +TIME \(us\)\nopenat +([2-9]|\d\d+) +\d+\.\d{3}$/m, r.stdout);
  assert.doesNotMatch(r.stdout, /^(read|close|mmap)\b/m, "only openat is counted");
  const ms = await toolOn("cat /etc/hostname", ["-L", "-m", "-P"]);
  assert.equal(ms.status, 0, ms.stderr);
  // Keyed by pid and name: the held command is a shell until it runs cat, and its "sh" row may sort first.
  assert.match(ms.stdout, /^PID    COMM +COUNT +TIME \(ms\)$/m, ms.stdout);
  assert.match(ms.stdout, /^\d+ +cat +\d+ +\d+\.\d{6}$/m, ms.stdout);
});

test("syscount -l lists the calls; an unknown --syscall or -e errno says so", async () => {
  const list = await toolOn("true", ["-l"]);
  assert.match(list.stdout, /^read +write +open +close *$/m);
  const bad = await toolOn("true", ["--syscall", "nosuchcall"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout + bad.stderr, /Error: syscall 'nosuchcall' not found/);
  const badErrno = await toolOn("true", ["-e", "ENOTANERRNO"]);
  assert.equal(badErrno.status, 2);
  assert.match(badErrno.stderr, /couldn't map ENOTANERRNO to an errno/);
});

test("syscount -t TID counts one thread, -c PPID the children of a process, both in the kernel", async () => {
  const tracer = new SysCount();
  // The thread running this test's JavaScript (Deno's is not the process's first thread).
  const { readlinkSync } = await import("node:fs");
  tracer.targetTid = Number(readlinkSync("/proc/thread-self").split("/").pop());
  tracer.failedOnly = true;
  tracer.end = () => {};
  await tracer.start({ exitOnError: false });
  try {
    failedOpens(100);
    const opens = tracer.bySyscall.get(257n) ?? 0n;
    assert.ok(opens >= 100n && opens < 200n, `counted ${opens} failed openat() calls of the main thread, made 100`);
  } finally {
    await tracer.stop();
  }
  const children = new SysCount();
  children.targetPpid = process.pid;
  children.failedOnly = true;
  children.end = () => {};
  await children.start({ exitOnError: false });
  try {
    failedOpens(100);
    const { spawnSync } = await import("node:child_process");
    spawnSync("cat", ["/nonexistent-tsbpf-1", "/nonexistent-tsbpf-2", "/nonexistent-tsbpf-3"]);
    const opens = children.bySyscall.get(257n) ?? 0n;
    assert.ok(opens >= 3n && opens < 100n, `counted ${opens} failed openat() calls: cat's 3 (and its loader's), not this process's 100`);
  } finally {
    await children.stop();
  }
});

test("syscount's first line names the errno -e gives by number, leaves out -e 0 (no filter, as bcc) and names --syscall's call as bcc does", async () => {
  const byNumber = await toolOn("true", ["-e", "2", "-T", "3"]);
  assert.equal(byNumber.status, 0, byNumber.stderr);
  assert.match(byNumber.stdout, /^Tracing ENOENT syscalls, printing top 3\.\.\. Ctrl\+C to quit\.$/m);
  const none = await toolOn("true", ["-e", "0"]);
  assert.match(none.stdout, /^Tracing syscalls, printing top 10\.\.\. Ctrl\+C to quit\.$/m);
  const one = await toolOn("true", ["-x", "--syscall", "openat"]);
  assert.match(one.stdout, /^Tracing failed syscall 'openat'\.\.\. Ctrl\+C to quit\.$/m);
});
