// A syscall wildcard attached once to raw_syscalls (probes/tracepoint_syscalls.ts) decides which
// syscall fired by the number in the record. What a process puts in rax is not always a table's
// number: the kernel takes the low 32 bits (sign-extended) as the syscall, so a getpid with
// garbage above them is a getpid; x32's bit (0x40000000), -1, negative ints and numbers past the
// table are no syscall, for which no syscalls:* event fires. The one attachment must count these
// as the per-tracepoint attachments do, no more and no fewer.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Count, ppid, probe, type ProbeName, tracepoint, Tracer, type i64, type TracepointArgs, type u32 } from "../../mod.ts";
import { syscallNumber } from "../../probes/tracepoint_syscalls.ts";
import { objectsOf } from "../lifecycle/kernel_objects.ts";
import { le, staticProgram } from "./static_program.ts";

let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-raw-numbers-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

class AllSyscalls extends Tracer {
  calls = new Count<[ProbeName, i64]>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_*")
  onEnter(args: TracepointArgs) {
    if (ppid() === this.self) this.calls.add([probe(), args.__syscall_nr]);
  }

  @tracepoint("syscalls:sys_exit_*")
  onExit(args: TracepointArgs) {
    if (ppid() === this.self) this.calls.add([probe(), args.__syscall_nr]);
  }

  override end(): void {}
}

/** getpid, getppid, getpgrp, getpgid, getpriority: few enough to be attached one by one. */
class GetSyscalls extends Tracer {
  calls = new Count<[ProbeName, i64]>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_getp*")
  onEnter(args: TracepointArgs) {
    if (ppid() === this.self) this.calls.add([probe(), args.__syscall_nr]);
  }

  @tracepoint("syscalls:sys_exit_getp*")
  onExit(args: TracepointArgs) {
    if (ppid() === this.self) this.calls.add([probe(), args.__syscall_nr]);
  }

  override end(): void {}
}

/** What the program puts in rax before each syscall (39 getpid, 110 getppid), `times` each. */
const RAX = [
  39n, (1n << 32n) | 39n, 0xffff_ffff_0000_0000n | 110n, 0x4000_0000n | 39n, 0x8000_0000n | 39n, 0xffff_ffff_ffff_ffffn, 1000n, 0x7fff_ffffn,
];

/** A static x86-64 program that makes a syscall with each RAX value `times` times, then exits (60). */
function oddNumbersProgram(times: number): Uint8Array {
  const code: number[] = [];
  for (const rax of RAX) for (let i = 0; i < times; i++) code.push(0x48, 0xb8, ...le(rax, 8), 0x0f, 0x05); // movabs rax, imm64; syscall
  code.push(0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05); // mov eax, 60; xor edi, edi; syscall
  return staticProgram(code);
}

test("a syscall wildcard attached once counts odd syscall numbers as one attachment per tracepoint does", { skip: process.arch !== "x64" }, async () => {
  const before = objectsOf("self").links.length;
  const all = new AllSyscalls(), some = new GetSyscalls();
  all.self = some.self = process.pid;
  await all.start({ exitOnError: false, reportLoss: false });
  const allLinks = objectsOf("self").links.length - before;
  await some.start({ exitOnError: false, reportLoss: false });
  try {
    assert.equal(allLinks, 2, "the wildcards were not attached once each (raw_syscalls): this test would test nothing");
    const program = join(scratch(), "odd-numbers");
    writeFileSync(program, oddNumbersProgram(5));
    chmodSync(program, 0o755);
    const r = spawnSync(program);
    assert.equal(r.status, 0, `the program: ${r.error ?? r.signal ?? r.status}`);
    const got = some.calls.entries();
    // 39 and 39 with garbage above: getpid 10 times; 110 with ones above: getppid 5 times (the
    // runtime's child may make one more before its exec).
    const shown = JSON.stringify(got, (_, v) => (typeof v === "bigint" ? String(v) : v));
    assert.ok((some.calls.get(["tracepoint:syscalls:sys_enter_getpid", 39n]) ?? 0n) >= 10n, shown);
    assert.ok((some.calls.get(["tracepoint:syscalls:sys_exit_getppid", 110n]) ?? 0n) >= 5n, shown);
    for (const [key, n] of got) assert.equal(all.calls.get(key), n, `${key.join(" ")}`);
    const extra = all.calls.entries().filter(([[name, nr]]) => /sys_(enter|exit)_getp/.test(name) && some.calls.get([name, nr]) === undefined);
    assert.deepEqual(extra, [], "the one attachment counted what the per-tracepoint ones did not");
    // Every call the one attachment counted is a syscall:* event's, of that event's number: none of
    // the odd numbers reached the handler (as probe#N, or as a syscall their low bits name).
    for (const [[name, nr]] of all.calls.entries()) {
      assert.equal(BigInt(syscallNumber(name.replace(/^tracepoint:syscalls:sys_(enter|exit)_/, "")) ?? -1), nr, `${name} with number ${nr}`);
    }
  } finally {
    await Promise.all([all.stop(), some.stop()]);
  }
});
