// A wildcard over many syscall tracepoints is attached once, to raw_syscalls (probes/
// tracepoint_syscalls.ts): what its handler sees must equal what one attachment per tracepoint
// sees. Both kinds run at once on the same child processes (a shell's loop, and a program making
// 32-bit syscalls, for which the kernel's syscalls:* events never fire) and their counts by
// probe(), syscall numbers and return values are compared name by name, for those children only
// (another test's child of this process may make a call between the two starts).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Count, pid, ppid, probe, type ProbeName, Sum, tracepoint, Tracer, type i64, type TracepointArgs, type u32 } from "../../mod.ts";
import { syscallNumber } from "../../probes/tracepoint_syscalls.ts";
import { objectsOf } from "../lifecycle/kernel_objects.ts";
import { tsbpf } from "./cli_run.ts";
import { le, staticProgram } from "./static_program.ts";

let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-raw-syscalls-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

/** Every syscall entry and exit of this process's children: one attachment each side. */
class AllSyscalls extends Tracer {
  calls = new Count<[ProbeName, u32]>();
  numbers = new Count<[ProbeName, i64, u32]>();
  returns = new Sum<[ProbeName, u32]>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_*")
  onEnter(args: TracepointArgs) {
    if (ppid() !== this.self) return;
    this.calls.add([probe(), pid()]);
    this.numbers.add([probe(), args.__syscall_nr, pid()]);
  }

  @tracepoint("syscalls:sys_exit_*")
  onExit(args: TracepointArgs) {
    if (ppid() !== this.self) return;
    this.calls.add([probe(), pid()]);
    this.returns.add([probe(), pid()], args.ret);
  }

  override end(): void {}
}

/** The same, for a few syscalls, each wildcard small enough to be attached per tracepoint. */
class SomeSyscalls extends Tracer {
  calls = new Count<[ProbeName, u32]>();
  numbers = new Count<[ProbeName, i64, u32]>();
  returns = new Sum<[ProbeName, u32]>();
  self: u32 = 0;

  // read, readahead, readlink, readlinkat, readv
  @tracepoint("syscalls:sys_enter_read*")
  onRead(args: TracepointArgs) {
    if (ppid() !== this.self) return;
    this.calls.add([probe(), pid()]);
    this.numbers.add([probe(), args.__syscall_nr, pid()]);
  }

  // write, writev: a 32-bit getpid is number 20, writev's on x86-64
  @tracepoint("syscalls:sys_enter_write*")
  onWrite(args: TracepointArgs) {
    if (ppid() !== this.self) return;
    this.calls.add([probe(), pid()]);
    this.numbers.add([probe(), args.__syscall_nr, pid()]);
  }

  // open, openat, openat2, open_by_handle_at, open_tree, open_tree_attr
  @tracepoint("syscalls:sys_enter_open*")
  onOpen(args: TracepointArgs) {
    if (ppid() !== this.self) return;
    this.calls.add([probe(), pid()]);
    this.numbers.add([probe(), args.__syscall_nr, pid()]);
  }

  @tracepoint("syscalls:sys_exit_read*")
  onReadExit(args: TracepointArgs) {
    if (ppid() !== this.self) return;
    this.calls.add([probe(), pid()]);
    this.returns.add([probe(), pid()], args.ret);
  }

  @tracepoint("syscalls:sys_exit_open*")
  onOpenExit(args: TracepointArgs) {
    if (ppid() !== this.self) return;
    this.calls.add([probe(), pid()]);
    this.returns.add([probe(), pid()], args.ret);
  }

  override end(): void {}
}

/**
 * A static x86-64 program that makes `calls` 32-bit syscalls (int 0x80) numbered 20 (getpid in
 * the i386 table; writev in the 64-bit one), then exits (64-bit exit).
 */
function int80Program(calls: number): Uint8Array {
  const code = [
    0xb9, ...le(calls, 4), // mov ecx, calls
    0xb8, 20, 0, 0, 0, // loop: mov eax, 20
    0xcd, 0x80, // int 0x80 (it keeps ecx)
    0xff, 0xc9, // dec ecx
    0x75, 0xf5, // jnz loop
    0xb8, 60, 0, 0, 0, // mov eax, 60 (exit)
    0x31, 0xff, // xor edi, edi
    0x0f, 0x05, // syscall
  ];
  return staticProgram(code);
}

test("a wildcard on every syscall entry and exit sees what one attachment per tracepoint sees", { skip: process.arch !== "x64" }, async () => {
  const before = objectsOf("self").links.length;
  const all = new AllSyscalls(), some = new SomeSyscalls();
  all.self = some.self = process.pid;
  await all.start({ exitOnError: false, reportLoss: false });
  const allLinks = objectsOf("self").links.length - before;
  await some.start({ exitOnError: false, reportLoss: false });
  try {
    // 360 sys_enter_* and as many sys_exit_* tracepoints, two attachments.
    assert.equal(allLinks, 2, "one link for each wildcard");
    const program = join(scratch(), "int80");
    writeFileSync(program, int80Program(50));
    chmodSync(program, 0o755);
    const workload = new Set<number>();
    for (let i = 0; i < 3; i++) {
      // A kernel without 32-bit syscalls (ia32_emulation off; this machine's) ends it with SIGSEGV.
      const r = spawnSync(program);
      assert.ok(r.status === 0 || r.signal === "SIGSEGV", `the 32-bit syscalls' program: ${r.error ?? r.signal ?? r.status}`);
      const sh = spawnSync("/bin/sh", ["-c", "for i in 1 2 3 4 5; do read x < /proc/self/stat; echo $x > /dev/null; done; readlink /proc/self/exe > /dev/null"]);
      assert.equal(sh.status, 0);
      workload.add(r.pid).add(sh.pid);
    }
    const ours = <K extends [string, ...unknown[]], V>(entries: [K, V][]) => entries.filter(([key]) => workload.has(Number(key.at(-1))));
    const names = new Set(ours(some.calls.entries()).map(([[n]]) => n));
    for (const name of ["tracepoint:syscalls:sys_enter_read", "tracepoint:syscalls:sys_enter_write", "tracepoint:syscalls:sys_enter_openat", "tracepoint:syscalls:sys_exit_read"]) {
      assert.ok(names.has(name), `the workload made no ${name}; got ${[...names].join(", ")}`);
    }
    for (const pid of workload) {
      for (const name of names) {
        assert.equal(all.calls.get([name, pid]), some.calls.get([name, pid]), `${name}, pid ${pid}: calls`);
        if (name.includes("sys_exit_")) assert.equal(all.returns.get([name, pid]), some.returns.get([name, pid]), `${name}, pid ${pid}: the sum of ret`);
      }
      // The 32-bit syscalls fire no syscalls:* event: the one attachment skips them too.
      assert.equal(all.calls.get(["tracepoint:syscalls:sys_enter_writev", pid]), some.calls.get(["tracepoint:syscalls:sys_enter_writev", pid]), "writev");
    }
    // __syscall_nr as the kernel's syscalls:* events give it, and the table's number of the name.
    const some_numbers = ours(some.numbers.entries());
    assert.ok(some_numbers.length >= 3);
    for (const [[name, nr, pid], n] of some_numbers) {
      assert.equal(all.numbers.get([name, nr, pid]), n, `${name} with number ${nr}, pid ${pid}`);
      assert.equal(BigInt(syscallNumber(name.replace(/^tracepoint:syscalls:sys_(enter|exit)_/, "")) ?? -1), nr, `${name}: the table's number`);
    }
    for (const [[name, nr]] of ours(all.numbers.entries())) {
      assert.equal(BigInt(syscallNumber(name.replace(/^tracepoint:syscalls:sys_enter_/, "")) ?? -1), nr, `${name}: the table's number`);
    }
  } finally {
    await Promise.all([all.stop(), some.stop()]);
  }
});

test("tsbpf -e: a syscall wildcard whose handler takes no args is one probe, and counts as its matches expanded one by one do", { skip: process.arch !== "x64" }, async () => {
  const run = (oneliner: string) => tsbpf(["-c", "head -c 0 /etc/hostname", "-e", oneliner]);
  const script = await tsbpf(["--emit", "-e", `tracepoint("syscalls:sys_enter_*", () => comm() === "head" && count(probe()))`]);
  assert.equal(script.stdout.match(/@tracepoint\(/g)?.length, 1, script.stdout);
  assert.match(script.stdout, /@tracepoint\("syscalls:sys_enter_\*"\)/);
  const whole = await run(`tracepoint("syscalls:sys_enter_*", () => comm() === "head" && count(probe()))`);
  assert.equal(whole.status, 0, whole.stderr);
  const entries = readdirSync("/sys/kernel/tracing/events/syscalls").filter((n) => n.startsWith("sys_enter_")).length;
  assert.match(whole.stderr, new RegExp(`Attaching ${entries} probes`));
  // With args, each match is a handler of its own (today's one-liner); six open* tracepoints.
  const each = await run(`tracepoint("syscalls:sys_enter_open*", a => comm() === "head" && count(probe()))`);
  assert.equal(each.status, 0, each.stderr);
  const opens = (out: string) => out.split("\n").filter((l) => l.startsWith("@[tracepoint:syscalls:sys_enter_open")).sort();
  assert.ok(opens(each.stdout).some((l) => l.startsWith("@[tracepoint:syscalls:sys_enter_openat]: ")), each.stdout);
  assert.deepEqual(opens(whole.stdout), opens(each.stdout));
  assert.match(whole.stdout, /^@\[tracepoint:syscalls:sys_enter_read\]: \d+$/m);
});

test("tsbpf -e: a syscall wildcard whose handler reads only fields all matches share (args.ret) is one probe, and sums as its matches expanded one by one do", { skip: process.arch !== "x64" }, async () => {
  // cat fails to open a missing file (openat's ret is -ENOENT) and exits with 1, tsbpf with it.
  const run = async (pattern: string, handler: string) => {
    const r = await tsbpf(["-c", "cat /etc/hostname /nonexistent-tsbpf-raw-syscalls", "-e", `tracepoint("${pattern}", ${handler})`]);
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /error|warning/i);
    return r.stdout;
  };
  const handler = `(args) => { if (args.ret < 0) { $.failed[probe()] = count(); } $.ret[probe(), args.__syscall_nr] = sum(args.ret); }`;
  const script = await tsbpf(["--emit", "-e", `tracepoint("syscalls:sys_exit_*", ${handler})`]);
  assert.equal(script.stdout.match(/@tracepoint\(/g)?.length, 1, script.stdout);
  assert.match(script.stdout, /@tracepoint\("syscalls:sys_exit_\*"\)/);
  const whole = await run("syscalls:sys_exit_*", handler);
  // Six sys_exit_open* and five sys_exit_read*: few enough to be attached one by one.
  const opens = await run("syscalls:sys_exit_open*", handler), reads = await run("syscalls:sys_exit_read*", handler);
  const lines = (out: string, prefix: string) => out.split("\n").filter((l) => l.startsWith(prefix)).sort();
  assert.match(lines(opens, "@failed[tracepoint:syscalls:sys_exit_openat]: ").join(), /: [1-9]\d*$/, opens);
  assert.deepEqual(lines(whole, "@failed[tracepoint:syscalls:sys_exit_open"), lines(opens, "@failed[tracepoint:syscalls:sys_exit_open"));
  assert.deepEqual(lines(whole, "@ret[tracepoint:syscalls:sys_exit_open"), lines(opens, "@ret[tracepoint:syscalls:sys_exit_open"));
  assert.match(lines(reads, "@ret[tracepoint:syscalls:sys_exit_read, 0]: ").join(), /: [1-9]\d*$/, reads);
  assert.deepEqual(lines(whole, "@ret[tracepoint:syscalls:sys_exit_read"), lines(reads, "@ret[tracepoint:syscalls:sys_exit_read"));
  // A field that differs between the matches still makes one handler per match.
  const each = await tsbpf(["--emit", "-e", `tracepoint("syscalls:sys_enter_*", (args) => count(args.fd))`]);
  assert.ok((each.stdout.match(/@tracepoint\(/g)?.length ?? 0) > 8, each.stdout + each.stderr);
});

test("a wildcard's handler reading a field only some matches have is told which have it (attached one by one: open_by_handle_at has no filename)", async () => {
  const script = join(scratch(), "filenames.ts");
  writeFileSync(script, `import { Count, Tracer, tracepoint, str, type Str, type TracepointArgs } from "tsbpf";

class Opens extends Tracer {
  files = new Count<[Str<64>]>();

  @tracepoint("syscalls:sys_enter_open*")
  onEnter(args: TracepointArgs) {
    this.files.add([str(args.filename)]);
  }
}
await new Opens().start();
`);
  const r = await tsbpf(["-d", "1", "run", script]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /filenames\.ts:8:30: error\[TSB1004\]: tracepoint syscalls:sys_enter_open\* \(\d+ tracepoints\) has no field "filename"/);
  assert.match(r.stderr, /= hint: a wildcard's handler reads only the fields all its matches have at one place with one type; "filename" is a field of syscalls:sys_enter_\w+, .* \(\d+ in all\): give each a handler of its own, e\.g\. @tracepoint\("syscalls:sys_enter_\w+"\)/);
});

test("tsbpf plan says how many tracepoints a wildcard matches, and that a syscall wildcard is attached once", async () => {
  const script = join(scratch(), "plan_wildcards.ts");
  writeFileSync(script, `import { Count, Tracer, probe, tracepoint, type ProbeName, type TracepointArgs } from "tsbpf";

class Wildcards extends Tracer {
  calls = new Count<[ProbeName]>();

  @tracepoint("syscalls:sys_exit_*")
  onExit(args: TracepointArgs) {
    if (args.ret < 0) this.calls.add([probe()]);
  }

  @tracepoint("sched:sched_process_*")
  onProcess() {
    this.calls.add([probe()]);
  }
}
`);
  const r = await tsbpf(["plan", script]);
  assert.equal(r.status, 0, r.stderr);
  const exits = readdirSync("/sys/kernel/tracing/events/syscalls").filter((n) => n.startsWith("sys_exit_")).length;
  const processes = readdirSync("/sys/kernel/tracing/events/sched").filter((n) => n.startsWith("sched_process_")).length;
  assert.match(r.stdout, new RegExp(`^    tracepoint syscalls:sys_exit_\\* \\(${exits} tracepoints, attached once to raw_syscalls:sys_exit\\)  →  onExit\\(\\) at line 7`, "m"));
  assert.match(r.stdout, new RegExp(`^    tracepoint sched:sched_process_\\* \\(${processes} tracepoints\\)  →  onProcess\\(\\) at line 12`, "m"));
});

test("TSBPF_VERBOSE says a syscall wildcard is attached once, on a start from the compile cache too", async () => {
  const oneliner = `tracepoint("syscalls:sys_enter_*", () => pid() == 1 && count(probe()))`;
  for (let i = 0; i < 2; i++) {
    const r = await tsbpf(["-d", "0.1", "-e", oneliner], 60_000, undefined, { TSBPF_VERBOSE: "1" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^tsbpf: tracepoint syscalls:sys_enter_\*: \d+ tracepoints attached once, to raw_syscalls:sys_enter$/m, `start ${i + 1}: ${r.stderr}`);
  }
});

test("tsbpf -e: syscalls:* (every entry and exit) is two probes, each side attached once", { skip: process.arch !== "x64" }, async () => {
  const oneliner = `tracepoint("syscalls:*", () => count(probe()))`;
  const script = await tsbpf(["--emit", "-e", oneliner]);
  assert.deepEqual(script.stdout.match(/@tracepoint\([^)]*\)/g), ['@tracepoint("syscalls:sys_enter_*")', '@tracepoint("syscalls:sys_exit_*")'], script.stdout);
  const r = await tsbpf(["-c", "head -c 0 /etc/hostname", "-e", oneliner]);
  assert.equal(r.status, 0, r.stderr);
  const all = readdirSync("/sys/kernel/tracing/events/syscalls").filter((n) => /^sys_(enter|exit)_/.test(n)).length;
  assert.match(r.stderr, new RegExp(`Attaching ${all} probes`));
  assert.match(r.stdout, /^@\[tracepoint:syscalls:sys_enter_openat\]: [1-9]\d*$/m, r.stdout);
  assert.match(r.stdout, /^@\[tracepoint:syscalls:sys_exit_openat\]: [1-9]\d*$/m, r.stdout);
  // A handler reading ret, which the entries lack, is still a handler per match (each entry's an error).
  const ret = await tsbpf(["--emit", "-e", `tracepoint("syscalls:*", a => count(a.ret))`]);
  assert.ok((ret.stdout.match(/@tracepoint\(/g)?.length ?? 0) > 2, ret.stdout + ret.stderr);
});
