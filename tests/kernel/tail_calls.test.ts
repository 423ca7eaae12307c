// Tail calls: a ProgramArray filled with handler methods, and `jump(i)` in a handler. Dispatch
// by syscall number on raw_syscalls:sys_enter, from this process only: getppid runs one target,
// getpgrp another, every other syscall none (the caller goes on after the empty slot). Counts are
// checked exactly; stop() leaves none of the tracer's programs or maps (checked by id).
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { HashMap, kprobe, pid, ProgramArray, rawTracepoint, Tracer, type u32, type u64 } from "../../mod.ts";
import { hasKprobes } from "../../runtime/features.ts";
import { libc, SYS } from "../../runtime/ffi/mod.ts";
import { objectsOf, released } from "../lifecycle/kernel_objects.ts";
import { docSnippet, runSnippet } from "./doc_snippets.ts";
import { tsbpf } from "./cli_run.ts";
import { rmSync, writeFileSync } from "node:fs";

const c = await libc();
/** The VM lane shares the host's root read-only: a doc's script cannot be written beside the tests there. */
const readOnlyRoot = !!process.env.TSBPF_IN_VM && "the VM lane's root is the host's, shared read-only (this host runs this test)";
const SYS_getpgrp = 111, SYS_getppid = 110;
const GETPGRP = 0, GETPPID = 1, FELL_THROUGH = 2, TARGETS_SEEN = 3, WENT_ON = 4;

class Dispatch extends Tracer {
  self: u32 = 0;
  counts = new HashMap<u32, u64>(8);
  bySyscall = new ProgramArray({ [SYS_getpgrp]: this.onGetpgrp, [SYS_getppid]: this.onGetppid });

  @rawTracepoint("sys_enter")
  onEnter(args: { id: number }) {
    if (pid() !== this.self) return;
    this.bySyscall.jump(args.id);
    // Reached only when the slot of args.id is empty.
    this.counts.add(FELL_THROUGH);
    if (args.id === SYS_getpgrp || args.id === SYS_getppid) this.counts.add(WENT_ON);
  }

  onGetpgrp(args: { id: number }) {
    if (args.id === SYS_getpgrp) this.counts.add(GETPGRP);
    this.counts.add(TARGETS_SEEN);
  }

  onGetppid(args: { id: number }) {
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
  await t.start({ exitOnError: false, reportLoss: false, stats: true });
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
    // The kernel counts a run where it enters the first program: the targets' runs are the caller's.
    const stats = t.handlerStats();
    assert.deepEqual(stats.map((s) => s.handler), ["Dispatch.onEnter"]);
    assert.ok(stats[0].runs >= 500n, `onEnter ran ${stats[0].runs} times`);
  } finally {
    await t.stop();
  }
  assert.ok(held!.progs.length >= 3, `the caller and both targets were loaded: ${held!.progs}`);
  assert.deepEqual(await released(held!), []);
});

/** A target that jumps into itself: the kernel stops the chain at MAX_TAIL_CALL_CNT. */
class Loop extends Tracer {
  self: u32 = 0;
  runs = new HashMap<u32, u64>(4);
  again = new ProgramArray([this.onLoop]);

  @rawTracepoint("sys_enter")
  onEnter(args: { id: number }) {
    if (pid() !== this.self || args.id !== SYS_getppid) return;
    this.again.jump(0);
  }

  onLoop() {
    this.runs.add(0);
    this.again.jump(0);
    // Reached once per event: when the kernel refuses the next tail call.
    this.runs.add(1);
  }
}

test("a chain of tail calls stops after 33 (MAX_TAIL_CALL_CNT since 5.17) and the refused jump falls through", async () => {
  const t = new Loop();
  t.self = process.pid;
  t.end = () => {};
  await t.start({ exitOnError: false, reportLoss: false });
  try {
    for (let i = 0; i < 10; i++) c.syscall(SYS.getppid);
    assert.equal(t.runs.get(0), 10n * 33n, "33 tail calls per event");
    assert.equal(t.runs.get(1), 10n, "one refused jump per event");
  } finally {
    await t.stop();
  }
});

test("start({ pin }): the program array is pinned with the maps, so the targets keep running after the tracer's process lets go", async () => {
  const name = `tail-calls-${process.pid}`;
  const t = new Dispatch();
  t.self = process.pid;
  t.end = () => {};
  try {
    await t.start({ pin: name, exitOnError: false, reportLoss: false });
    const ours = objectsOf("self");
    await t.stop();
    // No fd of this process holds the tracer now: only the pins.
    for (let i = 0; i < 70; i++) c.syscall(SYS.getppid);
    const show = await tsbpf(["pinned", "show", name]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^@counts\\[${GETPPID}\\]: 70$`, "m"), show.stdout);
    const list = (await tsbpf(["pinned", "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l).data);
    const record = list.find((d) => d.name === name);
    assert.deepEqual(record.programs.map((p: { handler: string; probe: string }) => `${p.handler} ${p.probe}`).sort(), [
      "Dispatch.onEnter rawtracepoint:sys_enter", "Dispatch.onGetpgrp tail call from rawtracepoint:sys_enter", "Dispatch.onGetppid tail call from rawtracepoint:sys_enter",
    ]);
    assert.match(record.maps.find((m: { name: string }) => m.name === "bySyscall").layout, /^prog_array<u32, u32>, 112 entries/);
    assert.equal((await tsbpf(["pinned", "rm", name])).status, 0);
    // Every prog (the targets too), map and link the tracer had is gone with the pins.
    assert.ok(ours.progs.length >= 3 && ours.links.length >= 1, JSON.stringify(ours));
    assert.deepEqual(await released(ours), []);
  } finally {
    await tsbpf(["pinned", "rm", name]);
  }
});

/** Tail calls from a kprobe: compiled as a kprobe even where @kprobe would become fentry (the VM lane's kernels). */
class KprobeJump extends Tracer {
  self: u32 = 0;
  counts = new HashMap<u32, u64>(4);
  next = new ProgramArray([this.onTarget]);

  @kprobe("__x64_sys_getppid")
  onCall() {
    if (pid() !== this.self) return;
    this.next.jump(0);
    this.counts.add(1);
  }

  onTarget() {
    this.counts.add(0);
  }
}

test("a @kprobe handler jumps too: a kprobe program (not fentry) whose target is one", { skip: !hasKprobes() && "this kernel has no kprobes (CONFIG_KPROBES); the VM lane runs this test" }, async () => {
  const t = new KprobeJump();
  t.self = process.pid;
  t.end = () => {};
  await t.start({ exitOnError: false, reportLoss: false });
  try {
    for (let i = 0; i < 40; i++) c.syscall(SYS.getppid);
    assert.equal(t.counts.get(0), 40n, "the target ran once per call");
    assert.equal(t.counts.get(1) ?? 0n, 0n, "nothing after the jump ran");
  } finally {
    await t.stop();
  }
});

test("docs/tail_calls.md's script runs: every sys_enter counted by the target of its syscall or by the fallback", { skip: readOnlyRoot }, async () => {
  const source = docSnippet("tail_calls.md");
  assert.match(source, /new ProgramArray\(/);
  const run = await runSnippet(source);
  assert.equal(run.status, 0, run.output);
  for (const name of ["reads", "writes", "opens", "others"]) assert.match(run.output, new RegExp(`^@${name}: \\d+$`, "m"), run.output);
  assert.match(run.output, /^@others: [1-9]\d*$/m, run.output);
});

test("tsbpf plan and tsbpf dump of the doc's script: the program array, its targets, the tail call", { skip: readOnlyRoot }, async () => {
  const file = new URL(`../fixtures/.tail-calls-${process.pid}.ts`, import.meta.url).pathname;
  writeFileSync(file, docSnippet("tail_calls.md"));
  try {
    const plan = await tsbpf(["plan", file]);
    assert.equal(plan.status, 0, plan.stderr);
    assert.match(plan.stdout, /^    rawTracepoint sys_enter  →  onEnter\(\) at line \d+: /m);
    assert.match(plan.stdout, /^    tail call from rawTracepoint sys_enter  →  onOpenat\(\) at line \d+: /m);
    assert.match(plan.stdout, /^    handlers +program array \(tail calls\): 258 slots, 0 → onRead\(\), 1 → onWrite\(\), 257 → onOpenat\(\); /m);
    assert.match(plan.stdout, /^verdict: it only observes$/m);
    const dump = await tsbpf(["dump", file]);
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /^BySyscall\.onRead: tail-call target \(not attached\) of rawTracepoint sys_enter /m);
    // Under the jump's source line: the array's address in r2, then the helper call.
    assert.match(dump.stdout, /this\.handlers\.jump\(args\.id\);\n(?: +\d+: .*\n)*? +\d+: r2 = map\[handlers\] ll\n(?: +\d+: .*\n)*? +\d+: call bpf_tail_call#12\n/);
  } finally {
    rmSync(file, { force: true });
  }
});
