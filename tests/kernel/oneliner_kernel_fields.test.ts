// A kernel struct's field in a one-liner has the type the kernel's BTF gives it, as in bpftrace:
// `count(curtask().comm)` counts by command name (a char[16] is a string key), `print` of it
// prints the name, a raw tracepoint's `a.prev.comm` likewise; before, the transform typed every
// field it could not see as a 64-bit number and the compiler refused the char array. And a
// misspelt call or probe function gets the nearest one-liner name ("did you mean").
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsbpf } from "./cli_run.ts";

// `-c` runs the command once the probes are attached; its exec is the one event counted.
const CMD = "/bin/true";

test("count(curtask().comm) is keyed by the command name", async () => {
  const r = await tsbpf(["-c", CMD, "-e", 'tracepoint("sched:sched_process_exec", () => count(curtask().comm))']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@\[true\]: 1$/m, r.stdout);
});

test("a kernel char array printed, and as a value map's key, is a string; an integer field beside it a number", async () => {
  const r = await tsbpf(["-c", CMD, "-e",
    'tracepoint("sched:sched_process_exec", () => { print(curtask().comm); $.ppid[curtask().comm] = curtask().real_parent.tgid; count(curtask().group_leader.comm, curtask().pid) })']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^true$/m, r.stdout);
  assert.match(r.stdout, /^@ppid\[true\]: \d+$/m, r.stdout);
  assert.match(r.stdout, /^@\[true, \d+\]: 1$/m, r.stdout);
});

test("a raw tracepoint's BTF-typed argument's char array is a string key", async () => {
  const r = await tsbpf(["-c", CMD, "-e", 'rawTracepoint("sched_process_exec", a => count(a.p.comm))']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@\[true\]: 1$/m, r.stdout);
});

test("a BTF tracepoint's argument (tpBtf, one parameter holding them by name) likewise", async () => {
  const r = await tsbpf(["-c", CMD, "-e", 'tpBtf("sched_process_exec", a => count(a.p.comm))']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@\[true\]: 1$/m, r.stdout);
});

test("a misspelt one-liner call or probe is answered with the nearest name", async () => {
  const call = await tsbpf(["-e", 'tracepoint("raw_syscalls:sys_enter", () => conut(comm()))']);
  assert.equal(call.status, 1);
  assert.match(call.stderr, /-e:1:44: error\[TSB1003\]: unknown function "conut"/, call.stderr);
  assert.match(call.stderr, /hint: did you mean "count"\?/, call.stderr);
  const probe = await tsbpf(["-e", 'tracepiont("raw_syscalls:sys_enter", () => count())']);
  assert.notEqual(probe.status, 0);
  assert.match(probe.stderr, /hint: did you mean "tracepoint"\?/, probe.stderr);
});

test("curtask() printed or counted is the task's kernel address, unsigned as a pointer field's (a.prev), not a negative number", async () => {
  const r = await tsbpf(["-c", CMD, "-e", 'tracepoint("sched:sched_process_exec", () => { print(curtask(), curtask().mm); count(curtask()) })']);
  assert.equal(r.status, 0, r.stderr);
  const printed = /^(-?\d+) (-?\d+)$/m.exec(r.stdout);
  assert.ok(printed, r.stdout);
  assert.ok(BigInt(printed[1]) >= 2n ** 63n, `curtask() printed as ${printed[1]}`);
  assert.ok(BigInt(printed[2]) >= 2n ** 63n, `curtask().mm printed as ${printed[2]}`);
  assert.match(r.stdout, new RegExp(`^@\\[${printed[1]}\\]: 1$`, "m"), r.stdout);
});
