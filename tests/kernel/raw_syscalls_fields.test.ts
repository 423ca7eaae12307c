// A syscall wildcard attached once to raw_syscalls whose handler reads an argument at another
// place in each syscall, or that only some syscalls have (args.filename: open's first argument,
// openat's second; read has none): the program finds it by the syscall's number and runs only in
// the syscalls that have it. What it counts must equal what one attachment per tracepoint counts.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Count, type i64, pid, ppid, probe, type ProbeName, str, type Str, tracepoint, Tracer, type TracepointArgs, type u32 } from "../../mod.ts";
import { objectsOf } from "../lifecycle/kernel_objects.ts";
import { tsbpf } from "./cli_run.ts";

let made: string | undefined;
const scratch = () => (made ??= mkdtempSync(join(tmpdir(), "tsbpf-raw-syscalls-fields-")));
after(() => made && rmSync(made, { recursive: true, force: true }));

const SYSCALLS = "/sys/kernel/tracing/events/syscalls";
const hasField = (name: string, field: string) => new RegExp(`field:[^;]* ${field};`).test(readFileSync(`${SYSCALLS}/${name.replace(/^tracepoint:syscalls:/, "")}/format`, "utf8"));

/** Every syscall entry with a filename, by name and file: one attachment. */
class Whole extends Tracer {
  files = new Count<[ProbeName, u32, Str<64>]>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_*")
  onEnter(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }

  override end(): void {}
}

/** The same for some of those syscalls, one attachment each: filename at 16 (open, execve, access, newstat, newlstat, chdir) and at 24 (openat, newfstatat, faccessat, statx). */
class Each extends Tracer {
  files = new Count<[ProbeName, u32, Str<64>]>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_enter_open")
  onOpen(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_openat")
  onOpenat(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_execve")
  onExecve(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_access")
  onAccess(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_faccessat")
  onFaccessat(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_newfstatat")
  onFstatat(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_newstat")
  onStat(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_newlstat")
  onLstat(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_chdir")
  onChdir(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }
  @tracepoint("syscalls:sys_enter_statx")
  onStatx(args: TracepointArgs) {
    if (ppid() === this.self) this.files.add([probe(), pid(), str(args.filename)]);
  }

  override end(): void {}
}

test("a syscall wildcard reading args.filename is attached once, runs in the syscalls that have it, and counts as one attachment each does", { skip: process.arch !== "x64" }, async () => {
  const before = objectsOf("self").links.length;
  const whole = new Whole(), each = new Each();
  whole.self = each.self = process.pid;
  await whole.start({ exitOnError: false, reportLoss: false });
  const wholeLinks = objectsOf("self").links.length - before;
  await each.start({ exitOnError: false, reportLoss: false });
  try {
    assert.equal(wholeLinks, 1, "one link for the wildcard");
    // Keys carry pid(): only the workload's are compared (another child of this test process,
    // left by another test, may make a call between the two tracers' starts).
    const pids = new Set<number>();
    for (let i = 0; i < 3; i++) {
      // The shell's own syscalls (its children's parent is not this process): builtins, then exec.
      const sh = spawnSync("/bin/sh", ["-c", "read x < /etc/hostname; test -e /nonexistent-tsbpf; cd /tmp; exec /bin/true"]);
      assert.equal(sh.status, 0, String(sh.stderr));
      pids.add(sh.pid);
    }
    const ours = <K extends [string, number, ...unknown[]]>(entries: [K, bigint][]) => entries.filter(([[, p]]) => pids.has(p));
    const wanted = ours(each.files.entries());
    const names = new Set(wanted.map(([[name]]) => name));
    for (const name of ["tracepoint:syscalls:sys_enter_openat", "tracepoint:syscalls:sys_enter_execve", "tracepoint:syscalls:sys_enter_chdir"]) assert.ok(names.has(name), `the workload made no ${name}; got ${[...names].join(", ")}`);
    assert.ok(wanted.some(([[name, , file]]) => name.endsWith("sys_enter_openat") && file === "/etc/hostname"), wanted.map(([k]) => k.join(" ")).join("; "));
    for (const [[name, p, file], n] of wanted) assert.equal(whole.files.get([name, p, file]), n, `${name} ${p} ${file}`);
    // Nothing from a syscall without a filename (read, close, ...), and the same counts for the names both have.
    const got = ours(whole.files.entries());
    for (const [[name]] of got) assert.ok(hasField(name, "filename"), `${name} has no filename`);
    for (const [[name, p, file], n] of got) if (names.has(name)) assert.equal(n, each.files.get([name, p, file]), `${name} ${p} ${file}`);
  } finally {
    await Promise.all([whole.stop(), each.stop()]);
  }
});

test("tsbpf -e: a syscall wildcard reading args.filename is one probe and counts as the matches one by one", { skip: process.arch !== "x64" }, async () => {
  const handler = `a => comm() == "cat" && count(probe(), str(a.filename))`;
  const script = await tsbpf(["--emit", "-e", `tracepoint("syscalls:sys_enter_*", ${handler})`]);
  assert.deepEqual(script.stdout.match(/@tracepoint\([^)]*\)/g), ['@tracepoint("syscalls:sys_enter_*")'], script.stdout + script.stderr);
  const run = async (oneliner: string) => {
    const r = await tsbpf(["-c", "cat /etc/hostname", "-e", oneliner]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\n").filter((l) => l.startsWith("@[tracepoint:syscalls:sys_enter_openat, /etc/")).sort();
  };
  const whole = await run(`tracepoint("syscalls:sys_enter_*", ${handler})`);
  const one = await run(`tracepoint("syscalls:sys_enter_openat", ${handler})`);
  assert.ok(one.includes("@[tracepoint:syscalls:sys_enter_openat, /etc/hostname]: 1"), one.join("\n"));
  assert.deepEqual(whole, one);
});

test("a syscall wildcard's argument of another type in other syscalls is an error naming the syscalls that have it", async () => {
  const script = join(scratch(), "flags.ts");
  writeFileSync(script, `import { Count, Tracer, tracepoint, type TracepointArgs, type u64 } from "tsbpf";

class Flags extends Tracer {
  flags = new Count<[u64]>();

  @tracepoint("syscalls:sys_enter_*")
  onEnter(args: TracepointArgs) {
    this.flags.add([args.flags]);
  }
}
await new Flags().start();
`);
  const r = await tsbpf(["-d", "1", "run", script]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /flags\.ts:8:26: error\[TSB1004\]: tracepoint syscalls:sys_enter_\* \(\d+ tracepoints, attached once to raw_syscalls:sys_enter\) has no field "flags"/);
  assert.match(r.stderr, /= hint: its fields are: __syscall_nr, and the arguments of each syscall\n/);
  assert.match(r.stderr, /= hint: "flags" is an argument of syscalls:sys_enter_\w+, .* \(\d+ in all\), not of one type in all: give the syscalls of each type a handler of their own/);
});

/** Every syscall entry and exit in one handler: the two sides attached once each, to raw_syscalls. */
class BothSides extends Tracer {
  calls = new Count<[ProbeName, u32, i64]>();
  self: u32 = 0;

  @tracepoint("syscalls:*")
  onSyscall(args: TracepointArgs) {
    if (ppid() === this.self) this.calls.add([probe(), pid(), args.__syscall_nr]);
  }

  override end(): void {}
}

/** The same for read and openat, one attachment each. */
class ReadOpen extends Tracer {
  calls = new Count<[ProbeName, u32, i64]>();
  self: u32 = 0;

  @tracepoint("syscalls:sys_e*_read")
  onRead(args: TracepointArgs) {
    if (ppid() === this.self) this.calls.add([probe(), pid(), args.__syscall_nr]);
  }
  @tracepoint("syscalls:sys_e*_openat")
  onOpenat(args: TracepointArgs) {
    if (ppid() === this.self) this.calls.add([probe(), pid(), args.__syscall_nr]);
  }

  override end(): void {}
}

test("@tracepoint(\"syscalls:*\") is attached twice, once to each of raw_syscalls' sides, and counts entries and exits as one attachment each does", { skip: process.arch !== "x64" }, async () => {
  const before = objectsOf("self").links.length;
  const both = new BothSides(), some = new ReadOpen();
  both.self = some.self = process.pid;
  await both.start({ exitOnError: false, reportLoss: false });
  const links = objectsOf("self").links.length - before;
  await some.start({ exitOnError: false, reportLoss: false });
  try {
    assert.equal(links, 2, "a link for each side");
    const pids = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const sh = spawnSync("/bin/sh", ["-c", "read x < /etc/hostname; read y < /proc/self/stat; exec /bin/true"]);
      assert.equal(sh.status, 0, String(sh.stderr));
      pids.add(sh.pid);
    }
    const ours = <K extends [string, number, ...unknown[]]>(entries: [K, bigint][]) => entries.filter(([[, p]]) => pids.has(p));
    const wanted = ours(some.calls.entries());
    const names = wanted.map(([[name]]) => name);
    for (const side of ["enter", "exit"]) for (const s of ["read", "openat"]) assert.ok(names.includes(`tracepoint:syscalls:sys_${side}_${s}`), `no ${side} of ${s}: ${names.join(", ")}`);
    for (const [[name, p, nr], n] of wanted) assert.equal(both.calls.get([name, p, nr]), n, `${name} ${p} ${nr}`);
    // Every entry has its exit (exit_group and execve aside: the first never returns, the second returns in the new program).
    const got = ours(both.calls.entries());
    const count = (name: string) => got.filter(([[n]]) => n === name).reduce((a, [, c]) => a + c, 0n);
    assert.ok(count("tracepoint:syscalls:sys_enter_close") > 0n);
    assert.equal(count("tracepoint:syscalls:sys_exit_close"), count("tracepoint:syscalls:sys_enter_close"));
    assert.equal(count("tracepoint:syscalls:sys_exit_read"), count("tracepoint:syscalls:sys_enter_read"));
  } finally {
    await Promise.all([both.stop(), some.stop()]);
  }
});

test("a handler reading a syscall argument by the number relies on its places, a fact that holds on this kernel and fails for other places", { skip: process.arch !== "x64" }, async () => {
  const { compile } = await import("../../compiler/mod.ts");
  const { hostTarget } = await import("../../tracer/compile_target.ts");
  const { brokenAssumption } = await import("../../tracer/assumptions.ts");
  const source = `import { Count, Tracer, str, tracepoint, type Str, type TracepointArgs } from "tsbpf";
class Files extends Tracer {
  files = new Count<[Str<64>]>();
  @tracepoint("syscalls:sys_enter_*") onEnter(args: TracepointArgs) { this.files.add([str(args.filename)]); }
}`;
  const [spec] = compile(source, "/tmp/files.ts", await hostTarget(), { className: "Files" });
  const fact = spec.assumptions!.find((a) => a.startsWith("syscall argument tracepoint syscalls:sys_enter_* filename "));
  assert.ok(fact, spec.assumptions!.join("\n"));
  assert.equal(await brokenAssumption(spec), undefined);
  // The probe's own fact lists no argument (hundreds of names): each read one is a fact of its own.
  assert.ok(spec.assumptions!.every((a) => !a.startsWith("probe ") || a.length < 4000), "the probe's fact stays short");
  const moved = fact.replace('"offset":16', '"offset":32');
  assert.notEqual(moved, fact);
  assert.equal(await brokenAssumption({ ...spec, assumptions: [moved] }), moved);
});
