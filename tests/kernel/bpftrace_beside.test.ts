// bpftrace programs typed into tsbpf -e, run beside bpftrace itself (Debian's 0.17): the
// translation tsbpf suggests is run as a user would run it, bpftrace runs the program as written,
// both on the same deterministic workload, and their stdout must be the same. Where bpftrace is
// not installed the comparison skips, saying so; the translation's own output is still checked
// against what bpftrace printed when this test was written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { availableParallelism } from "node:os";
import { tsbpf } from "./cli_run.ts";
import { ktime, LruHashMap, pid, Tracer, tracepoint, type TracepointArgs, type u32, type u64 } from "../../mod.ts";

const BPFTRACE = ["/usr/bin/bpftrace", "/usr/sbin/bpftrace", "/usr/local/bin/bpftrace"].find((p) => existsSync(p));

/** The one-liner tsbpf suggests for a bpftrace program, and the words it repeats after it. */
async function translation(program: string, words: string[]): Promise<string[]> {
  const r = await tsbpf(["-e", program, ...words]);
  assert.equal(r.status, 1, r.stderr);
  const line = /= hint: in tsbpf: tsbpf -e (.*)$/m.exec(r.stderr);
  assert.ok(line, `${program}\n${r.stderr}`);
  return [...line[1].matchAll(/'((?:[^']|'\\'')*)'/g)].map((m) => m[1].replaceAll(`'\\''`, "'"));
}

/** What tsbpf's translation of `program` prints, with -c `command` when given. */
async function ours(program: string, words: string[] = [], command?: string): Promise<string> {
  const [oneliner, ...rest] = await translation(program, words);
  const r = await tsbpf([...(command ? ["-c", command] : ["-d", "5s"]), "-e", oneliner, ...rest]);
  assert.equal(r.status, 0, `${oneliner}\n${r.stderr}`);
  return r.stdout;
}

/** What bpftrace prints for `program` (its "Attaching N probes..." line left out), or undefined without bpftrace. */
function theirs(program: string, words: string[] = [], command?: string): Promise<string | undefined> {
  if (!BPFTRACE) return Promise.resolve(undefined);
  const child = spawn(BPFTRACE, [...(command ? ["-c", command] : []), "-e", program, ...words], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) => child.on("exit", (code) => {
    clearTimeout(timer);
    assert.equal(code, 0, `bpftrace ${program}\n${stderr}`);
    resolve(stdout.replace(/^Attaching \d+ probes?\.\.\.\n/m, ""));
  }));
}

/**
 * The lines, but empty ones: bpftrace 0.17 prints two empty lines at exit, maps or none, tsbpf
 * one before the maps (docs/cli.md); that difference is not what these tests compare.
 */
function lines(output: string): string {
  return output.split("\n").filter((l) => l !== "").join("\n");
}

/** tsbpf's output is `expected` (what bpftrace 0.17 printed when the test was written), and bpftrace's the same. */
async function same(program: string, expected: string | RegExp, words: string[] = [], command?: string): Promise<void> {
  const mine = await ours(program, words, command);
  if (typeof expected === "string") assert.equal(mine, expected, program);
  else assert.match(mine, expected, program);
  const original = await theirs(program, words, command);
  if (original !== undefined) assert.equal(lines(original), lines(mine), `bpftrace printed otherwise: ${program}`);
}

// A path only this test opens (this process's comm file): bpftrace's -c does not filter a
// tracepoint by process, and other processes on the machine may open /etc/hostname meanwhile.
const PATH = `/proc/${process.pid}/comm`;
const HEAD = `/usr/bin/head -c 0 ${PATH}`;
const HOSTNAME = `tracepoint:syscalls:sys_enter_openat /str(args->filename) == "${PATH}"/`;

test("$# is how many words follow the program; str($1) and str($2, 1) the words, cut as bpftrace cuts", async () => {
  await same(`BEGIN { printf("%d [%s] [%s]\\n", $#, str($1), str($2, 1)); exit(); }`, "3 [x] [y]\n", ["x", "yy", "z"]);
  await same(`BEGIN { printf("%d\\n", $#); exit(); }`, "0\n");
});

test("str(p, n) keeps n characters, as bpftrace 0.17 does", async () => {
  await same(`${HOSTNAME} { printf("[%s] [%s] [%s] [%s]\\n", str(args->filename, 8), str(args->filename, 1), str(args->filename, 13), str(args->filename, 40)); @[str(args->filename, 4)] = count(); }`,
    `[${PATH.slice(0, 8)}] [/] [${PATH.slice(0, 13)}] [${PATH}]\n\n@[/pro]: 1\n`, [], HEAD);
});

/** Records when each process last entered bpf(BPF_PROG_LOAD), on the kernel's clock (as nsecs). */
class ProgramLoads extends Tracer {
  last = new LruHashMap<u32, u64>(4096);

  @tracepoint("syscalls:sys_enter_bpf")
  onBpf(args: TracepointArgs) {
    if (args.cmd === 5) this.last.set(pid(), ktime());
  }
}

test("elapsed counts from when the probes are attached, as bpftrace's counts from BEGIN, not from tsbpf's start", async () => {
  // tsbpf's origin (nsecs - elapsed in the probe) comes after its last program load: an order of
  // events on the kernel's clock, whatever the load of the machine. The old origin, tsbpf's
  // start, came before its loads. bpftrace 0.17 takes its origin before it loads its last
  // program (BEGIN's, seen 39 ms before under load): of bpftrace, only the output's shape.
  const program = `BEGIN { printf("begin %llu\\n", elapsed); } ${HOSTNAME} { printf("open %llu %llu\\n", elapsed, nsecs); }`;
  const loads = new ProgramLoads();
  await loads.start({ exitOnError: false, reportLoss: false });
  try {
    const check = (output: string, who: string, tracerPid?: number) => {
      const m = /^begin (\d+)\nopen (\d+) (\d+)\n/.exec(output);
      assert.ok(m, `${who}: ${output}`);
      const [begin, open, nsecs] = [BigInt(m[1]), BigInt(m[2]), BigInt(m[3])];
      assert.ok(open >= begin, `${who}: elapsed at the open is ${open} ns, in BEGIN ${begin} ns`);
      if (tracerPid === undefined) return;
      const lastLoad = loads.last.get(tracerPid);
      assert.ok(lastLoad !== undefined, `${who}: no program load seen from pid ${tracerPid}`);
      assert.ok(nsecs - open >= lastLoad, `${who}: elapsed counts from ${lastLoad - (nsecs - open)} ns before its last program load`);
    };
    const [oneliner, ...rest] = await translation(program, []);
    let tsbpfPid = 0;
    const r = await tsbpf(["-c", HEAD, "-e", oneliner, ...rest], 60_000, (p) => (tsbpfPid = p));
    assert.equal(r.status, 0, `${oneliner}\n${r.stderr}`);
    check(r.stdout, "tsbpf", tsbpfPid);
    const original = await theirs(program, [], HEAD);
    if (original !== undefined) check(original, "bpftrace");
  } finally {
    await loads.stop();
  }
});

test("while in a probe runs to its condition, as in bpftrace; past tsbpf's bound of 1024 rounds it says so", async () => {
  const loops = `$j = 0; while ($j < 5) { $j++; if ($j == 2) { continue; } @j = count(); } $k = 0; while (1) { $k++; if ($k == 7) { break; } } @k = sum($k);`;
  await same(`${HOSTNAME} { ${loops} }`, "\n@j: 4\n@k: 7\n", [], HEAD);
  // 3000 rounds: bpftrace's verifier follows them all (the bound is a constant); tsbpf stops at
  // 1024 and reports it at the loop's place, on stderr
  const [oneliner] = await translation(`${HOSTNAME} { $i = 0; while ($i < 3000) { $i++; } @i = sum($i); }`, []);
  const r = await tsbpf(["-c", HEAD, "-e", oneliner]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "\n@i: 1024\n");
  const column = oneliner.indexOf("while") + 1;
  assert.match(r.stderr, new RegExp(`^tsbpf: -e:1:${column}: the while loop stopped 1 time after 1024 rounds with its condition still true: .*write a for loop with its own bound`, "m"));
});

const LIBC = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"].find((p) => existsSync(p));

test("reg(name): the registers a uprobe stopped at, as bpftrace reads them", { skip: LIBC ? false : "no x86-64 glibc at the usual paths" }, async () => {
  // At a function's first instruction the stack pointer is 8 past a 16-byte boundary (the
  // return address was pushed), and ip is the function's address: its page offset is the ELF's.
  const program = `uprobe:${LIBC}:setlocale /comm == "head"/ { printf("%d %x\\n", reg("sp") & 0xf, reg("ip") & 0xfff); }`;
  const command = "/usr/bin/head -c 0 /etc/hostname";
  const mine = await ours(program, [], command);
  assert.match(mine, /^8 [0-9a-f]{1,3}\n$/);
  // bpftrace traces every head on the machine (-c does not filter a uprobe): its own is among them
  const original = await theirs(program, [], command);
  if (original !== undefined) assert.match(original, new RegExp(`^${mine.trim()}$`, "m"));
});

test("reg() where there are no registers, or an unknown one, is an error at its place", async () => {
  const r = await tsbpf(["-d", "1", "-e", `tracepoint("syscalls:sys_enter_openat", () => count(reg("ip")))`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^-e:1:53: error\[TSB\d+\]: reg\(\) reads the registers a kprobe, uprobe, usdt or profile probe stopped at; a tracepoint syscalls:sys_enter_openat has none\n/);
  const bad = await tsbpf(["-d", "1", "-e", `profile(99, () => count(reg("xx")))`]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^-e:1:29: error\[TSB\d+\]: this kernel's struct pt_regs has no register "xx"\n/);
  assert.match(bad.stderr, /= hint: its registers: .*\bip\b.*\bsp\b/);
  assert.doesNotMatch(r.stderr + bad.stderr, /internal error|^\s+at /m);
});

test("usym(reg(\"ip\")): the user function a uprobe stopped in, by name, as bpftrace prints it", { skip: LIBC ? false : "no x86-64 glibc at the usual paths" }, async () => {
  // sleep is still alive when its line is printed (the name comes from its mappings)
  const program = `uprobe:${LIBC}:clock_nanosleep /comm == "sleep"/ { printf("<%s>\\n", usym(reg("ip"))); @[usym(reg("ip"))] = count(); }`;
  const command = "/usr/bin/sleep 0.5";
  assert.equal(await ours(program, [], command), "<clock_nanosleep>\n\n@[clock_nanosleep]: 1\n");
  // bpftrace traces every sleep on the machine (-c does not filter a uprobe): its own is among them
  const original = await theirs(program, [], command);
  if (original !== undefined) assert.match(original, /^<clock_nanosleep>$/m);
});

test("usym() of a -c command that has exited when its line prints: named from the mappings recorded while it ran", { skip: LIBC ? false : "no x86-64 glibc at the usual paths" }, async () => {
  // true exits right after exit() is entered, long before tsbpf reads the event (its /proc/PID/maps is gone by then)
  const r = await tsbpf(["-c", "/usr/bin/true", "-e", `uprobe("${LIBC}:exit", () => printf("<%s>\\n", usym(reg("ip"))))`]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "<exit>\n", r.stderr);
});

test("usym() of a number that is no address in the process prints it in hex, as bpftrace does", async () => {
  assert.equal(await ours(`${HOSTNAME} { printf("%s\\n", usym(16)); }`, [], HEAD), "0x10\n");
});

test("integers as bpftrace writes them: 010 is octal, 1e3 a whole number", async () => {
  await same(`BEGIN { printf("%d %d %d\\n", 0x10 + 010, 1e3, 07); exit(); }`, "24 1000 7\n");
});

test("a syscall argument declared int is read as an int: openat's dfd of AT_FDCWD prints -100, as bpftrace prints it", async () => {
  // the format says `int dfd; size:8; signed:0`: the int is the low 4 bytes
  const program = `${HOSTNAME} { printf("%d %d\\n", args->dfd, args->dfd < 0); @[args->dfd] = count(); }`;
  assert.equal(await ours(program, [], HEAD), "-100 1\n\n@[-100]: 1\n");
  // bpftrace 0.17 reads the 8 bytes unsigned: its %d (32 bits) shows -100, but its < 0 and its key do not
  const original = await theirs(program, [], HEAD);
  if (original !== undefined) assert.equal(lines(original), "-100 0\n@[4294967196]: 1");
});

test("a kernel struct's char array printed with %s is its string, as bpftrace prints curtask->comm", async () => {
  await same(`${HOSTNAME} { printf("%s %s %d\\n", curtask->comm, comm, curtask->pid == pid); }`, "head head 1\n", [], HEAD);
});

test("strftime(format, nsecs) in printf: the event's time as local wall-clock time, as bpftrace prints it", async () => {
  const today = () => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`; };
  const before = today();
  const program = `${HOSTNAME} { printf("%s|%s|%s\\n", strftime("%Y-%m-%d", nsecs), comm, strftime("%H:%M:%S", nsecs)); }`;
  const mine = await ours(program, [], HEAD);
  const m = /^(\d{4}-\d\d-\d\d)\|head\|(\d\d):(\d\d):(\d\d)\n$/.exec(mine);
  assert.ok(m, mine);
  assert.ok(m[1] === before || m[1] === today(), `${m[1]}, today ${before}`);
  // within a minute of now (the event happened during the run)
  const d = new Date(), at = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  assert.ok(Math.abs(d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds() - at) < 60 || at > 86300, mine);
  const original = await theirs(program, [], HEAD);
  if (original !== undefined) assert.match(lines(original), new RegExp(`^${m[1]}\\|head\\|\\d\\d:\\d\\d:\\d\\d$`));
});

test("a raw tracepoint's arg1 and profile's period in ms translate and run (bpftrace 0.17 has no raw tracepoints here)", async () => {
  // sys_enter's second argument is the syscall's number: 257, openat
  assert.match(await ours(`rawtracepoint:sys_enter /arg1 == 257/ { @[comm] = count(); }`, [], HEAD), /^\n@\[head\]: \d+\n$/);
  // every 50 ms on each CPU for half a second: about 10 samples a CPU
  const out = await ours(`profile:ms:50 { @ = count(); } interval:ms:500 { exit(); }`);
  const n = Number(/^\n@: (\d+)\n$/.exec(out)?.[1]);
  assert.ok(n >= 2 && n <= 15 * availableParallelism(), out);
});

test("integer casts wrap as bpftrace's do: (uint8)300 is 44, (int8)200 is -56", async () => {
  await same(`${HOSTNAME} { printf("%d %d %d\\n", (uint8)300, (int8)200, (int16)(args->dfd * 1000)); $x = (uint8)args->dfd; @[$x] = count(); }`, "44 -56 31072\n\n@[156]: 1\n", [], HEAD);
});
