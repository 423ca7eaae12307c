// Tail calls: a ProgramArray filled with handler methods, and `jump(i)` in a handler. Dispatch
// by syscall number on raw_syscalls:sys_enter, from this process only: getppid runs one target,
// getpgrp another, every other syscall none (the caller goes on after the empty slot). Counts are
// checked exactly; stop() leaves none of the tracer's programs or maps (checked by id).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { HashMap, pid, ProgramArray, rawTracepoint, Tracer, type u32, type u64 } from "../../mod.ts";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { objectsOf, released } from "../lifecycle/kernel_objects.ts";

const c = await libc();
const SYS_getpgrp = 111, SYS_getppid = 110;
const GETPGRP = 0, GETPPID = 1, FELL_THROUGH = 2, TARGETS_SEEN = 3, WENT_ON = 4;

class Dispatch extends Tracer {
  self: u32 = 0;
  counts = new HashMap<u32, u64>(8);
  bySyscall = new ProgramArray({ [SYS_getpgrp]: this.onGetpgrp, [SYS_getppid]: this.onGetppid });

  @rawTracepoint("sys_enter")
  onEnter(args: any) {
    if (pid() !== this.self) return;
    this.bySyscall.jump(args.id);
    // Reached only when the slot of args.id is empty.
    this.counts.add(FELL_THROUGH);
    if (args.id === SYS_getpgrp || args.id === SYS_getppid) this.counts.add(WENT_ON);
  }

  onGetpgrp(args: any) {
    if (args.id === SYS_getpgrp) this.counts.add(GETPGRP);
    this.counts.add(TARGETS_SEEN);
  }

  onGetppid(args: any) {
    if (args.id === SYS_getppid) this.counts.add(GETPPID);
    this.counts.add(TARGETS_SEEN);
  }
}

test("a ProgramArray dispatches by syscall number; an empty slot falls through; stop releases the programs and maps", async () => {
  assert.equal(SYS.getpgrp, SYS_getpgrp);
  assert.equal(SYS.getppid, SYS_getppid);
  const t = new Dispatch();
  t.self = process.pid;
  t.end = () => {};
  await t.start({ exitOnError: false, reportLoss: false });
  let held;
  try {
    held = objectsOf("self");
    const before = [0, 1, 2, 3, 4].map((i) => t.counts.get(i) ?? 0n);
    for (let i = 0; i < 300; i++) c.syscall(SYS.getpgrp);
    for (let i = 0; i < 200; i++) c.syscall(SYS.getppid);
    const after = [0, 1, 2, 3, 4].map((i) => t.counts.get(i) ?? 0n);
    assert.equal(after[GETPGRP] - before[GETPGRP], 300n, "getpgrp target");
    assert.equal(after[GETPPID] - before[GETPPID], 200n, "getppid target");
    assert.equal(after[TARGETS_SEEN] - before[TARGETS_SEEN], 500n, "a target runs only for its own syscall");
    assert.equal(after[WENT_ON] - before[WENT_ON], 0n, "after a tail call that ran, nothing of the caller runs");
    // Other syscalls of this process (the reads above among them) fall through; getpgrp/getppid never do.
    assert.ok(after[FELL_THROUGH] > 0n, "other syscalls fell through the empty slots");
  } finally {
    await t.stop();
  }
  assert.ok(held!.progs.length >= 3, `the caller and both targets were loaded: ${held!.progs}`);
  assert.deepEqual(await released(held!), []);
});
