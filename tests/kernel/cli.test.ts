// The tsbpf command, run as a user runs it (a child process on this test's runtime): help,
// errors, list, dump, types, build, run with -p/-c/-d, and the classic bpftrace one-liners of
// docs/cli.md exactly as written there, each with an event triggered and its output checked.
// Before those, the pure parts: the disassembler (against llvm-objdump), printf, the
// arguments, and the one-liner transform with its error positions.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { libc } from "../../runtime/ffi/mod.ts";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";
import { disassemble } from "../../spec/bpf/disasm.ts";
import { format, parseFormat } from "../../cli/oneliner/printf.ts";
import { parseDuration, splitCommand } from "../../cli/args.ts";
import { transformOneLiner } from "../../cli/oneliner/oneliner.ts";
import { CompileError } from "../../spec/diagnostics.ts";

await libc();
const ROOT = new URL("../..", import.meta.url).pathname;
const MAIN = join(ROOT, "cli/main.ts");
declare const Bun: unknown;
const kprobesHere = hasKprobes() || hasFentry();
const noKprobes = kprobesHere ? false : "this kernel has neither kprobes nor fentry; the VM lane runs this";
const inVm = !!process.env.TSBPF_IN_VM;

// ------------------------------------------------------------------ running the command

interface Result {
  status: number | string | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Runs once the probes are attached (stderr says "Attaching"); then Ctrl-C stops tsbpf. */
  trigger?: () => Promise<void> | void;
  /** A command prefix, e.g. setpriv to drop privileges. */
  prefix?: string[];
}

function commandLine(args: string[]): string[] {
  return typeof Bun !== "undefined" ? [process.execPath, MAIN, ...args] : [process.execPath, "run", "-A", "--quiet", MAIN, ...args];
}

function tsbpf(args: string[], options: RunOptions = {}): Promise<Result> {
  const [cmd, ...rest] = [...(options.prefix ?? []), ...commandLine(args)];
  const child: ChildProcess = spawn(cmd, rest, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...options.env } });
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return (async () => {
    if (options.trigger) {
      const attached = await Promise.race([waitUntil(() => stderr.includes("Attaching")), exited.then(() => false)]);
      if (attached) {
        await options.trigger();
        await new Promise((r) => setTimeout(r, 300));
        child.kill("SIGINT");
      }
    }
    const status = await exited;
    clearTimeout(timer);
    return { status, stdout, stderr };
  })();
}

async function waitUntil(cond: () => boolean, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

function noStack(r: Result): void {
  assert.doesNotMatch(r.stderr, /^\s+at /m, `a stack trace was printed:\n${r.stderr}`);
}

// ------------------------------------------------------------------ pure parts

// clang -O2 -target bpf -mcpu=v3 of a function using loads, atomics (add, or, fetch_xor, xchg,
// cmpxchg), ld_imm64, 32-bit moves, signed shifts, negation and branches; the expected text is
// llvm-objdump 14's listing, with large immediates in hex and branch targets as instruction numbers.
const CLANG_HEX = "791308000000000079141000000000007915000000000000b702000005000000db2100000000000018000000896745230000000001000000bf520000000000000f020000000000002505010064000000bf52000000000000bf25000000000000db51080040000000c7040000020000008704000000000000770300000300000057030000ffffff1fbf36000000000000db611000a1000000bf45000000000000db511800e1000000bf20000000000000db612000f1000000b4000000020000001d32010000000000b4000000030000002f2300000000000047040000010000003f43000000000000bf32000000000000370200000d000000270200000d0000001f230000000000000f530000000000007b312800000000009500000000000000";
const LLVM_LISTING = `0: r3 = *(u64 *)(r1 + 8)
1: r4 = *(u64 *)(r1 + 16)
2: r5 = *(u64 *)(r1 + 0)
3: r2 = 5
4: lock *(u64 *)(r1 + 0) += r2
5: r0 = 0x123456789 ll
7: r2 = r5
8: r2 += r0
9: if r5 > 100 goto +1 <11>
10: r2 = r5
11: r5 = r2
12: lock *(u64 *)(r1 + 8) |= r5
13: r4 s>>= 2
14: r4 = -r4
15: r3 >>= 3
16: r3 &= 0x1fffffff
17: r6 = r3
18: r6 = atomic_fetch_xor((u64 *)(r1 + 16), r6)
19: r5 = r4
20: r5 = xchg_64(r1 + 24, r5)
21: r0 = r2
22: r0 = cmpxchg_64(r1 + 32, r0, r6)
23: w0 = 2
24: if r2 == r3 goto +1 <26>
25: w0 = 3
26: r3 *= r2
27: r4 |= 1
28: r3 /= r4
29: r2 = r3
30: r2 /= 13
31: r2 *= 13
32: r3 -= r2
33: r3 += r5
34: *(u64 *)(r1 + 40) = r3
35: exit`;

test("disassembler: clang's BPF output reads as llvm-objdump prints it", () => {
  const bytes = new Uint8Array(CLANG_HEX.match(/../g)!.map((h) => parseInt(h, 16)));
  assert.equal(disassemble(bytes).map((l) => `${l.pc}: ${l.text}`).join("\n"), LLVM_LISTING);
});

test("disassembler: map loads by name, helpers by name, 32-bit jumps, unknown opcodes", () => {
  const insn = (code: number, dst: number, src: number, off: number, imm: number) => {
    const b = new Uint8Array(8), v = new DataView(b.buffer);
    v.setUint8(0, code), v.setUint8(1, (src << 4) | dst), v.setInt16(2, off, true), v.setInt32(4, imm, true);
    return [...b];
  };
  const bytes = new Uint8Array([
    ...insn(0x18, 1, 1, 0, 3), ...insn(0, 0, 0, 0, 0), // r1 = map[events] ll
    ...insn(0x85, 0, 0, 0, 1), // call 1
    ...insn(0x16, 2, 0, -2, 7), // if w2 == 7 goto -2
    ...insn(0xbc, 3, 4, 0, 0), // w3 = w4
    ...insn(0xff, 0, 0, 0, 0),
  ]);
  const text = disassemble(bytes, { mapAt: new Map([[0, "events"]]), helperName: (id) => (id === 1 ? "bpf_map_lookup_elem" : undefined) }).map((l) => l.text);
  assert.deepEqual(text.slice(0, 4), ["r1 = map[events] ll", "call bpf_map_lookup_elem#1", "if w2 == 7 goto -2 <2>", "w3 = w4"]);
  assert.match(text[4], /unknown opcode/);
});

test("printf: bpftrace's conversions, flags and widths", () => {
  const f = (fmt: string, ...v: (number | bigint | string)[]) => format(parseFormat(fmt), v);
  assert.equal(f("%s %d\n", "bash", 42), "bash 42\n");
  assert.equal(f("%-6s|%6d|%06d|%x|%X|%o|%u", "ab", -5, 42, 255, 255n, 8, -1), "ab    |    -5|000042|ff|FF|10|18446744073709551615");
  assert.equal(f("%c%c %% %lld %5.2s", 104, "i", 7n, "xyz"), "hi % 7    xy");
  assert.throws(() => parseFormat("%q"), /conversion tsbpf does not know/);
  // The conversion is named alone, and bpftrace's %r (a buf()'s bytes) says what tsbpf has instead.
  assert.throws(() => parseFormat("len %d: %-8r\n"), (e: Error) => e.message.startsWith(`printf format has a conversion tsbpf does not know, "%-8r" in "len %d: %-8r\\n"`) && /bpftrace's %r prints a buf\(\)/.test(e.message) && /str\(p, N\)/.test(e.message));
});

test("arguments: -c words, -d durations", () => {
  assert.deepEqual(splitCommand(`dd if=/dev/zero "of=/tmp/a b" bs='4 k' x\\ y`), ["dd", "if=/dev/zero", "of=/tmp/a b", "bs=4 k", "x y"]);
  assert.equal(parseDuration("5"), 5000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("2m"), 120_000);
  assert.throws(() => parseDuration("soon"), /duration like 5/);
  assert.throws(() => splitCommand(`ls 'x`), /unterminated/);
});

test("-c runs one program without a shell: a pipe, list, redirection or expansion written unquoted is an error, quoted it is a word", () => {
  for (const [command, what] of [["ls / | wc -l", "|"], ["true; ls", ";"], ["ls > /dev/null", ">"], ["cat < x", "<"], ["sleep 1 &", "&"], ["echo $HOME", "$HOME"], ["echo `id`", "`"]]) {
    assert.throws(() => splitCommand(command), (e: Error) => e.message.includes(`"${what}"`) && /without a shell/.test(e.message) && /sh -c/.test(e.message), command);
  }
  assert.deepEqual(splitCommand(`printf '%s|%s>' "a;b" \\& x\\$y`), ["printf", "%s|%s>", "a;b", "&", "x$y"]);
});

test("-c: a $ that a shell keeps as it is (not before a name, digit, {, ( or special parameter) is a word's character, not refused", () => {
  assert.deepEqual(splitCommand(`grep -c root$ /etc/passwd`), ["grep", "-c", "root$", "/etc/passwd"]);
  assert.deepEqual(splitCommand(`echo $ "a$" a$/b $% "$ x"`), ["echo", "$", "a$", "a$/b", "$%", "$ x"]);
  for (const [command, what] of [["echo $HOME", "$HOME"], ["echo ${x}", "${"], ["echo $(id)", "$("], ["echo $1", "$1"], ["echo $?", "$?"], ["echo \"a $HOME\"", "$HOME"], ["echo a$_b", "$_b"]]) {
    assert.throws(() => splitCommand(command), (e: Error) => e.message.includes(`"${what}"`) && /without a shell/.test(e.message), command);
  }
});

test("-c: a ~, a glob or a # that a shell would expand or read as a comment, written unquoted, is an error naming it; quoted or escaped it is a word", () => {
  for (const [command, what] of [["ls ~", "~"], ["ls ~/x", "~"], ["ls /etc/host*", "*"], ["ls /etc/hos?s", "?"], ["ls /dev/tty[0-9]", "["], ["true # comment", "#"]]) {
    assert.throws(() => splitCommand(command), (e: Error) => e.message.includes(`"${what}"`) && /without a shell/.test(e.message) && /expand|comment/.test(e.message) && /sh -c/.test(e.message), command);
  }
  assert.deepEqual(splitCommand(`echo '~' "*.ts" \\? a~b x#y [ -f x ] "#"`), ["echo", "~", "*.ts", "?", "a~b", "x#y", "[", "-f", "x", "]", "#"]);
});

const STUB = {
  modUrl: "file:///tsbpf/mod.ts",
  runtimeUrl: "file:///tsbpf/cli/oneliner_runtime.ts",
  exports: new Set(["Tracer", "RingBuf", "Count", "Histogram", "HashMap", "tracepoint", "kprobe", "kretprobe", "pid", "tid", "comm", "str", "ktime", "u8", "u32", "u64", "i64", "Str", "TracepointArgs"]),
  pidFilter: false,
  kernel: { expand: (_kind: string, pattern: string) => ["sched:sched_switch", "sched:sched_wakeup"].filter((n) => pattern === "sched:sched*" && n) },
};

test("one-liner transform: a tracer class, maps and print sites, user text copied as written", async () => {
  const { source, probes } = await transformOneLiner(`tracepoint("sched:sched*", a => { count(probe()); $.last[tid()] = ktime(); pid() > 1 && print("pid", pid(), str(a.x)) })`, STUB);
  assert.equal(probes, 2);
  assert.match(source, /^import \{ .*Count.*HashMap.*\} from "file:\/\/\/tsbpf\/mod.ts";$/m);
  assert.match(source, /^interface Print0 \{ _t: u64; v1: u32; v2: Str<256> \}$/m);
  assert.match(source, /^ {2}\$ = new Count<Str<64>>\(\);$/m);
  assert.match(source, /^ {2}\$last = new HashMap<u32, u64>\(\);$/m);
  assert.ok(source.includes(`  @tracepoint("sched:sched_switch")
  h0(a: TracepointArgs) {
    this.$.add("tracepoint:sched:sched_switch");
    this.$last.set(tid(), ktime());
    if (pid() > 1) { this._p0.submit({ _t: ktime(), v1: pid(), v2: str(a.x) }); }
  }`), source);
  assert.match(source, /@tracepoint\("sched:sched_wakeup"\)\n {2}h1\(a: TracepointArgs\) \{\n {4}this\.\$\.add\("tracepoint:sched:sched_wakeup"\);/);
  assert.equal(source.match(/new RingBuf/g)?.length, 1, "the expansions of one print() share its ring buffer");
});

test("one-liner transform: mistakes are reported at their place in the one-liner", async () => {
  const errors = async (text: string) => {
    try {
      await transformOneLiner(text, STUB);
    } catch (e) {
      if (e instanceof CompileError) return e.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
      throw e;
    }
    return [];
  };
  assert.deepEqual(await errors(`tracepoint("a:b", () => printf("%d %d", pid()))`), ["1:32 the format takes 2 values, 1 given"]);
  assert.deepEqual(await errors(`trace("a:b", () => 1)`), [`1:1 "trace" is not a probe`]);
  assert.deepEqual(await errors(`tracepoint("a:b", () => { $.x = count(); $.x[pid()] = 1 })`), ["1:42 @x is already a count() map; this uses it as a plain value map"]);
  assert.deepEqual(await errors(`tracepoint("nomatch*", () => count())`), [`1:12 no tracepoint matches "nomatch*"`]);
  assert.deepEqual(await errors(`tracepoint("a:b", () => { const n = count(); })`), ["1:37 count() is an action: use it as a statement (cond && count(...) to make it conditional)"]);
  assert.match((await errors(`tracepoint("a:b", () => count()) )`))[0], /^1:34 /);
});

// ------------------------------------------------------------------ the command: help and errors

test("every command has --help with examples, and exits 0", async () => {
  for (const args of [["--help"], ["run", "--help"], ["list", "--help"], ["dump", "--help"], ["types", "--help"], ["build", "--help"], ["help", "-e"]]) {
    const r = await tsbpf(args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stdout, /usage/);
    assert.match(r.stdout, /examples?:/, `${args.join(" ")} has no examples`);
  }
});

test("a bad argument is one line and status 2, never a stack trace", async () => {
  for (const [args, message] of [
    [["--frobnicate"], /^tsbpf: unknown option --frobnicate \(see: tsbpf --help\)$/],
    [["list", "-x"], /^tsbpf list: Unknown option '-x' \(see: tsbpf list --help\)$/],
    [["run"], /^tsbpf run: needs the script to run/],
    [["-p", "abc", "-e", "begin(() => 1)"], /^tsbpf: -p needs a process id, got "abc"/],
    [["-d", "soon", "-e", "begin(() => 1)"], /^tsbpf: -d needs a duration/],
    [["frob"], /^tsbpf: unknown command "frob"/],
    [["bild", "x.ts"], /^tsbpf: unknown command "bild": did you mean "build"\? \(see: tsbpf --help\)$/],
  ] as [string[], RegExp][]) {
    const r = await tsbpf(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr.trim(), message);
  }
  const missing = await tsbpf(["run", "/nonexistent/script.ts"]);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr.trim(), "tsbpf: No such script: /nonexistent/script.ts");
  // A tool's name as bcc or bpftrace users type it (opensnoop, opensnoop-bpfcc, opensnoop.bt) names tsbpf's tool of that name.
  for (const name of ["opensnoop", "opensnoop.ts", "opensnoop-bpfcc", "opensnoop.bt"]) {
    const tool = await tsbpf(["run", name]);
    assert.equal(tool.status, 1, tool.stderr);
    assert.match(tool.stderr.trim(), new RegExp(`^tsbpf: No such script: ${name.replace(".", "\\.")}; tsbpf's tool of that name: sudo tsbpf run \\S*examples/opensnoop\\.ts \\(tsbpf tools lists them\\)$`));
  }
  // A directory is not a script: tsbpf says so, not the runtime's module loader.
  const dir = await tsbpf(["run", "/etc"]);
  assert.equal(dir.status, 1);
  assert.equal(dir.stderr.trim(), "tsbpf: /etc is a directory, not a script: give the .ts file to run (tsbpf tools lists the tools)");
});

test("--verbose shows the stack trace", async () => {
  const r = await tsbpf(["--verbose", "run", "/nonexistent/script.ts"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /No such script/);
  assert.match(r.stderr, /^\s+at /m);
});

const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

test("without privileges: one line that says to run as root", { skip: !setpriv && "setpriv (util-linux) is not installed" }, async () => {
  const home = mkdtempSync(join(tmpdir(), "tsbpf-nobody-"));
  try {
    spawnSync("chmod", ["777", home]);
    const r = await tsbpf(["-e", `tracepoint("syscalls:sys_enter_openat", () => count())`], {
      prefix: [setpriv!, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"],
      env: { HOME: home, XDG_CACHE_HOME: home, DENO_DIR: join(home, "deno") },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /root/);
    noStack(r);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("a missing kernel feature: the error names it, at the probe, without a stack", { skip: kprobesHere && "this kernel has kprobes or fentry" }, async () => {
  const r = await tsbpf(["-e", `kprobe("vfs_read", () => count(comm()))`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^-e:1:8: error\[TSB1007\]: this kernel has neither fentry nor kprobes/);
  noStack(r);
});

// ------------------------------------------------------------------ list, dump, types, build

test("list: tracepoints with their fields, raw tracepoints, kernel functions, uprobes", async () => {
  const tp = await tsbpf(["list", "syscalls:sys_enter_openat", "-v"]);
  assert.equal(tp.status, 0, tp.stderr);
  assert.equal(tp.stdout, "tracepoint:syscalls:sys_enter_openat\n    int __syscall_nr\n    int dfd\n    const char * filename\n    int flags\n    umode_t mode\n");
  const glob = await tsbpf(["list", "tracepoint:syscalls:sys_enter_open*"]);
  assert.ok(glob.stdout.split("\n").includes("tracepoint:syscalls:sys_enter_openat"));
  assert.ok(glob.stdout.trim().split("\n").every((l) => /^tracepoint:syscalls:sys_enter_open/.test(l)), glob.stdout);
  const raw = await tsbpf(["list", "rawtracepoint:sched_switch", "-v"]);
  assert.match(raw.stdout, /^rawtracepoint:sched_switch\n(    .+\n)*    struct task_struct \* prev\n/);
  const fn = await tsbpf(["list", "kprobe:vfs_rea?", "-v"]);
  assert.match(fn.stdout, /^kprobe:vfs_read\n    struct file \* file\n    char \* buf\n    size_t count\n    loff_t \* pos\n    ssize_t retval\n$/);
  const up = await tsbpf(["list", "uprobe:/bin/bash:readline"]);
  assert.match(up.stdout, /^uprobe:\/bin\/bash:readline$/m);
});

test("dump: each handler's instructions under the TypeScript lines they came from", async () => {
  const r = await tsbpf(["dump", "examples/opensnoop.ts"], { env: {} });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^OpenSnoop\.onOpen: tracepoint syscalls:sys_enter_openat \(\d+ instructions, \d+ bytes of stack\)$/m);
  assert.match(r.stdout, /^; examples\/opensnoop\.ts:\d+: this\.events\.submit\(\{ pid: pid\(\)/m);
  assert.match(r.stdout, /^ +\d+: r1 = map\[events\] ll$/m);
  assert.match(r.stdout, /call bpf_ringbuf_reserve#131/);
  assert.match(r.stdout, /^ +\d+: exit$/m);
  const e = await tsbpf(["dump", "-e", `tracepoint("raw_syscalls:sys_enter", () => count(comm()))`]);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /^OneLiner\.h0: tracepoint raw_syscalls:sys_enter/m);
  assert.match(e.stdout, /call bpf_get_current_comm#16/);
});

test("types: writes the kernel's declarations where -o says", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-types-"));
  try {
    const r = await tsbpf(["types", "-o", join(dir, "k.d.ts")]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^tsbpf types: wrote .*k\.d\.ts \([\d.]+ MB: \d+ structs and unions/);
    const text = readFileSync(join(dir, "k.d.ts"), "utf8");
    assert.match(text, /^export interface task_struct \{$/m);
    assert.match(text, /^  tcp_connect\(sk: sock\): i32;$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("build: one file that runs the script", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-build-"));
  try {
    const out = join(dir, "opensnoop.js");
    const r = await tsbpf(["build", "examples/opensnoop.ts", "-o", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /tsbpf build: wrote .*opensnoop\.js .*tracers: OpenSnoop/);
    assert.ok(statSync(out).size > 10_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ run

test("run: the script gets its own arguments, and -d stops its tracers", async () => {
  const r = await tsbpf(["run", "-d", "1", "examples/syscount.ts", "-T", "3"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Tracing syscalls, printing top 3\.\.\./m);
  const table = r.stdout.split("SYSCALL")[1] ?? "";
  assert.equal(table.trim().split("\n").length, 4, `a header and three rows:\n${r.stdout}`);
});

const CLI_SCRIPT = `import { Count, str, Tracer, tracepoint, pid, type Str, type TracepointArgs, type u32 } from "tsbpf";
import { cliOptions } from "tsbpf/cli";

class Opens extends Tracer {
  opens = new Count<Str<64>>();
  target: u32 = 0;
  @tracepoint("syscalls:sys_enter_openat")
  onOpen(a: TracepointArgs) {
    if (pid() === this.target) this.opens.add(str(a.filename));
  }
  override end() {
    console.log("pid", cliOptions.pid === this.target ? "matches" : "differs", "command", JSON.stringify(cliOptions.command));
    for (const [file, n] of this.opens.entries()) console.log("opened " + file + " " + String(n));
  }
}

const t = new Opens();
t.target = cliOptions.pid ?? 0;
await t.start();
await t.stopped;
`;

test("run -c: a script anywhere imports tsbpf and tsbpf/cli; the command starts once it is attached, traced by its pid", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-run-"));
  try {
    writeFileSync(join(dir, "opens.ts"), CLI_SCRIPT);
    const r = await tsbpf(["run", "-c", "cat /etc/hostname", join(dir, "opens.ts")]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^pid matches command \["cat","\/etc\/hostname"\]$/m);
    assert.match(r.stdout, /^opened \/etc\/hostname 1$/m, r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ the classic one-liners

/** The one-liners of docs/cli.md's "classic" section, as written there. */
function documented(): string[] {
  const doc = readFileSync(join(ROOT, "docs/cli.md"), "utf8");
  const section = doc.slice(doc.indexOf("### The classic bpftrace one-liners"), doc.indexOf("## Scripts"));
  return [...section.matchAll(/^\s*sudo tsbpf -e '([^']*)'$/gm)].map((m) => m[1]);
}

const ONE_LINERS = documented();

test("docs/cli.md has the classic one-liners, and README.md shows the same", () => {
  assert.equal(ONE_LINERS.length, 11, ONE_LINERS.join("\n"));
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  for (const o of ONE_LINERS) assert.ok(readme.includes(`tsbpf -e '${o}'`), `README.md lacks: ${o}`);
});

/** A process held until `release()`, so its pid is known before the probes attach. */
function heldProcess(command: string) {
  const child = spawn("/bin/sh", ["-c", `read _; exec ${command}`], { stdio: ["pipe", "ignore", "ignore"] });
  const exited = new Promise((r) => child.on("exit", r));
  return {
    pid: child.pid!,
    release: async (): Promise<void> => {
      child.stdin!.end("\n");
      await exited;
    },
  };
}

test("1. hello world", async () => {
  const r = await tsbpf(["-d", "300ms", "-e", ONE_LINERS[0]]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "hello world\n");
});

test("2. files opened, by process", async () => {
  const r = await tsbpf(["-c", "cat /etc/hostname", "-e", ONE_LINERS[1]]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^cat \/etc\/hostname$/m);
});

test("3. system calls counted by process", async () => {
  const r = await tsbpf(["-c", "cat /etc/hostname", "-e", ONE_LINERS[2]]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@\[cat\]: \d+$/m);
  assert.doesNotMatch(r.stdout, /^@\[(bun|deno)\]/m, "-c traces only the command");
});

test("4. distribution of read() sizes of one process", async () => {
  const dd = heldProcess("dd if=/dev/zero of=/dev/null bs=1k count=100");
  const r = await tsbpf(["-e", ONE_LINERS[3].replace("18644", String(dd.pid))], { trigger: dd.release });
  assert.match(r.stdout, /^@bytes: \n/m, r.stdout + r.stderr);
  assert.match(r.stdout, /^\[1K, 2K\) +(\d+) \|@+ *\|$/m, r.stdout);
  assert.ok(Number(/^\[1K, 2K\) +(\d+)/m.exec(r.stdout)![1]) >= 100);
});

test("5. read() sizes in the kernel, linear buckets", { skip: noKprobes }, async () => {
  const r = await tsbpf(["-c", "dd if=/dev/zero of=/dev/null bs=100 count=50", "-e", ONE_LINERS[4]]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@bytes: \n/m);
  assert.ok(Number(/^\[0, 200\) +(\d+)/m.exec(r.stdout)?.[1] ?? 0) >= 50, r.stdout);
});

test("6. time spent in read(), by process", { skip: noKprobes }, async () => {
  const r = await tsbpf(["-c", "dd if=/dev/zero of=/dev/null bs=100 count=50", "-e", ONE_LINERS[5]]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@ns\[dd\]: \n(\[.*\n)+/m, r.stdout);
});

test("7. process-level events counted for five seconds", { timeout: 120_000 }, async () => {
  const t0 = Date.now();
  const r = await tsbpf(["-e", ONE_LINERS[6]], { timeoutMs: 90_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Date.now() - t0 >= 5000);
  assert.match(r.stdout, /^@\[tracepoint:sched:sched_switch\]: \d+$/m);
  assert.match(r.stderr, /^Attaching \d+ probes\.\.\.$/m);
});

test("8. on-CPU kernel stacks, sampled", async () => {
  const r = await tsbpf(["-d", "1", "-e", ONE_LINERS[7]]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@\[\n( {4}\S+\+\d+\n)+\]: \d+$/m, r.stdout.slice(0, 2000));
});

test("9. where the scheduler switches tasks out", async () => {
  const r = await tsbpf(["-d", "1", "-e", ONE_LINERS[8]]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^@\[\n( {4}\S+\+\d+\n)*( {4}(__)?schedule\S*\+\d+\n)( {4}\S+\+\d+\n)*\]: \d+$/m, r.stdout.slice(0, 2000));
});

/** A directory on a block device (direct writes there reach block_rq_issue), or undefined. */
function blockBackedDir(): string | undefined {
  const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" "));
  const rootMount = mounts.filter((m) => m[1] && ROOT.startsWith(m[1])).sort((a, b) => b[1].length - a[1].length)[0];
  return rootMount?.[0]?.startsWith("/dev/") ? ROOT : undefined;
}

test("10. block I/O sizes", { skip: !blockBackedDir() && "the repository is not on a block device here (the VM shares it over 9p)" }, async () => {
  const file = join(blockBackedDir()!, `.tsbpf-cli-test-${process.pid}`);
  try {
    const r = await tsbpf(["-e", ONE_LINERS[9]], {
      trigger: () => void spawnSync("dd", ["if=/dev/zero", `of=${file}`, "bs=64k", "count=8", "oflag=direct"]),
    });
    assert.match(r.stdout, /^@: \n/m, r.stdout + r.stderr);
    assert.ok(/^\[(32K, 64K|64K, 128K)\) +[1-9]\d*/m.test(r.stdout), r.stdout);
  } finally {
    rmSync(file, { force: true });
  }
});

test("11. a kernel struct through a pointer", { skip: noKprobes }, async () => {
  const r = await tsbpf(["-c", "cat /etc/hostname", "-e", ONE_LINERS[10]]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^open path: hostname$/m);
});

test("kprobes or fentry are available where the VM lane runs these", { skip: !inVm && "only checked inside the VM lane" }, () => {
  assert.ok(kprobesHere);
});

test("tsbpf plan prints what a script would do without loading it", async () => {
  const r = await tsbpf(["plan", new URL("../../examples/execsnoop.ts", import.meta.url).pathname]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ExecSnoop \(/m);
  assert.match(r.stdout, /tracepoint syscalls:sys_enter_execve {2}→ {2}onExec\(\)/);
  assert.match(r.stdout, /events +ring buffer: 1\.0 MiB/);
  assert.match(r.stdout, /probe_read_user_str +in onExec/);
  assert.match(r.stdout, /warnings: none/);
});
