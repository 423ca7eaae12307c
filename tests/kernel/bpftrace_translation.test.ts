// bpftrace programs of its tutorial and reference that go beyond the classic one-liners: each is
// typed into tsbpf -e as bpftrace's language, its translation (the error's hint) is run on the
// kernel as a user would run it, and what it prints is checked against what bpftrace prints.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsbpf } from "./cli_run.ts";

/** The one-liner tsbpf suggests for a bpftrace program (fails the test when there is none). */
async function translation(bpftrace: string): Promise<string> {
  const r = await tsbpf(["-e", bpftrace]);
  assert.equal(r.status, 1, r.stderr);
  const t = /= hint: in tsbpf: tsbpf -e '(.*)'$/m.exec(r.stderr);
  assert.ok(t, `${bpftrace}\n${r.stderr}`);
  return t[1];
}

/** Runs the translation of `bpftrace` while head opens /etc/hostname once; its stdout. */
async function run(bpftrace: string, timing = ["-c", "head -c 0 /etc/hostname"]): Promise<string> {
  const oneliner = await translation(bpftrace);
  const r = await tsbpf([...timing, "-e", oneliner]);
  assert.equal(r.status, 0, `${oneliner}\n${r.stderr}`);
  return r.stdout;
}

/** The filter of the one openat of head's that the tests look at. */
const HOSTNAME = `tracepoint:syscalls:sys_enter_openat /str(args.filename) == "/etc/hostname"/`;

test("a $x first set inside if/else is seen after the block, as in bpftrace", async () => {
  assert.equal(await run(`${HOSTNAME} { if (args.flags > 1000000000) { $x = 1; } else { $x = 2; } @[$x] = count(); }`), "\n@[2]: 1\n");
});

test("while loops: in a probe (bounded for the verifier) and in BEGIN", async () => {
  assert.equal(await run(`${HOSTNAME} { $i = 0; while ($i < 4) { @s = sum($i); $i++; } }`), "\n@s: 6\n");
  assert.equal(await run(`BEGIN { $i = 0; while ($i < 3) { printf("%d\\n", $i); $i++; } exit(); }`, ["-d", "2s"]), "0\n1\n2\n");
});

test("unroll(N) runs its block N times, nested too", async () => {
  assert.equal(await run(`${HOSTNAME} { unroll(3) { @c = count(); unroll(2) { @d = count(); } } }`), "\n@c: 3\n@d: 6\n");
});

test("delete(@map, key), bpftrace 0.20's form, deletes that key", async () => {
  assert.match(await run(`${HOSTNAME} { @x[tid] = 1; @y[tid, 7] = 2; @y[tid, 8] = 3; delete(@x, tid); delete(@y, (tid, 8)); }`), /^\n@y\[\d+, 7\]: 2\n$/);
});

test("two strings compare with == and != (bpftrace's $a == $b), byte by byte to the NUL", async () => {
  // $g and $k: the same cut of the name in buffers of two sizes; $f the whole name, longer than both
  const set = `$a = comm; $b = "head"; $f = str(args.filename); $g = str(args.filename, 8); $k = str(args.filename, 9); $k = str(args.filename, 8);`;
  const tests = `if ($a == $b) { printf("same\\n"); } if ($f != $a) { printf("differ\\n"); } if ($g == $k) { printf("cut\\n"); } if ($f == $g) { printf("wrong\\n"); }`;
  assert.equal(await run(`${HOSTNAME} { ${set} ${tests} }`), "same\ndiffer\ncut\n");
});

test("kstack(N) and ustack(N) keep the N innermost frames (bpftrace's kstack(bpftrace, N) too)", async () => {
  const frames = (n: number) => new RegExp(`^\\n@\\[\\n( {4}\\S+\\n){${n}}\\]: 1\\n$`);
  assert.match(await run(`${HOSTNAME} { @[kstack(2)] = count(); }`), frames(2));
  assert.match(await run(`${HOSTNAME} { @[kstack(bpftrace, 1)] = count(); }`), frames(1));
  assert.match(await run(`${HOSTNAME} { @[ustack(1)] = count(); }`), frames(1));
  // the whole stack is deeper: the cut is the kernel's, not the printer's
  assert.match(await run(`${HOSTNAME} { @[kstack] = count(); }`), /^\n@\[\n( {4}\S+\n){3,}\]: 1\n$/);
});

test("a stack depth tsbpf cannot take is an error at its place in the one-liner", async () => {
  const r = await tsbpf(["-d", "1", "-e", `profile(99, () => count(kstack(200)))`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^-e:1:32: error\[TSB\d+\]: kstack\(\)'s depth is a whole number from 1 to 127\n/);
  assert.match(r.stderr, /= hint: e\.g\. kstack\(5\): the 5 innermost frames/);
  assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
});

test("join(args.argv[, delimiter]) prints execve's arguments up to the NULL on one line", async () => {
  // -c's command is exec'd (one execve, traced); nothing past argv's NULL (the environment) is printed
  const out = await run(`tracepoint:syscalls:sys_enter_execve { join(args->argv); join(args.argv, ","); }`, ["-c", `/bin/sh -c ": 'hi  there' two"`]);
  assert.equal(out, "/bin/sh -c : 'hi  there' two\n/bin/sh,-c,: 'hi  there' two\n");
});

test("join() is an action: in a value it is an error at its place", async () => {
  const r = await tsbpf(["-d", "1", "-e", `tracepoint("syscalls:sys_enter_execve", a => print(join(a.argv)))`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^-e:1:52: error\[TSB\d+\]: join\(\) is an action: use it as a statement/);
});

test("elapsed: nanoseconds since the start, on the kernel's clock in a probe and in user space", async () => {
  // -c's command starts once the probes are attached, then sleeps half a second before it opens the file
  // Its upper bound: the time this process saw the run take (the origin is after the spawn).
  const spawned = performance.now();
  const out = await run(`BEGIN { printf("begin %d\\n", elapsed / 1000000); } ${HOSTNAME} { printf("open %d\\n", elapsed / 1000000); } END { printf("end %d\\n", elapsed / 1000000); }`,
    ["-c", `sh -c "sleep 0.5; exec head -c 0 /etc/hostname"`]);
  const took = Math.ceil(performance.now() - spawned);
  const m = /^begin (\d+)\nopen (\d+)\nend (\d+)\n$/.exec(out);
  assert.ok(m, out);
  const [begin, open, end] = [Number(m[1]), Number(m[2]), Number(m[3])];
  assert.ok(begin <= open && open >= 500 && open <= end && end <= took, `begin at ${begin} ms, open at ${open} ms, end at ${end} ms, in a run of ${took} ms`);
});

test("what has no plain translation is pointed at in the program, with what to write instead", async () => {
  const cases: [string, string, RegExp][] = [
    [`kprobe:do_nanosleep { printf("%d\\n", kaddr("jiffies")); }`, "kaddr", /no plain translation of bpftrace's "kaddr": read the kernel symbol's value through a typed kprobe parameter/],
    [`tracepoint:syscalls:sys_enter_openat { @[comm] = count(); signal("KILL"); }`, "signal", /tsbpf sends no signals from probes/],
    [`tracepoint:syscalls:sys_enter_openat /strcontains(str(args->filename), "host")/ { @ = count(); }`, "strcontains", /\.startsWith\("text"\)/],
    [`watchpoint:0x10000000:8:rw { @[comm] = count(); }`, "watchpoint:0x10000000:8:rw", /the probe "watchpoint:0x10000000:8:rw"/],
  ];
  for (const [program, at, hint] of cases) {
    const r = await tsbpf(["-e", program]);
    assert.equal(r.status, 1, r.stderr);
    const column = program.indexOf(at) + 1;
    assert.match(r.stderr, new RegExp(`^-e:1:${column}: error\\[TSB1001\\]: this is bpftrace's language`), r.stderr);
    assert.ok(r.stderr.includes(`\n  | ${" ".repeat(column - 1)}${"^".repeat(at.length)}\n`), r.stderr);
    assert.match(r.stderr, hint);
    assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
  }
});

test("a stack in printf's %s and print() is a line per frame, indented by eight, as bpftrace prints it", async () => {
  const out = await run(`${HOSTNAME} { printf("<%s>\\n", kstack(2)); }`);
  assert.match(out, /^<\n( {8}\S+\n){2}>\n$/);
});

/** The words of the command line a hint shows (`tsbpf -e 'a' 'b'`), each single-quoted as a shell reads it. */
function hintWords(stderr: string): string[] {
  const line = /= hint: in tsbpf: tsbpf -e (.*)$/m.exec(stderr);
  assert.ok(line, stderr);
  return [...line[1].matchAll(/'((?:[^']|'\\'')*)'/g)].map((m) => m[1].replaceAll(`'\\''`, "'"));
}

test("positional parameters: $1 a number, str($2) a word, as given after the one-liner", async () => {
  const program = `tracepoint:syscalls:sys_enter_openat /str(args.filename) == str($2)/ { printf("%s %d [%s] %d\\n", comm, $1 + 1, str($3), $3); }`;
  const r = await tsbpf(["-e", program, "41", "/etc/hostname"]);
  assert.equal(r.status, 1, r.stderr);
  const [oneliner, ...args] = hintWords(r.stderr);
  assert.deepEqual(args, ["41", "/etc/hostname"]);
  const run = await tsbpf(["-c", "head -c 0 /etc/hostname", "-e", oneliner, ...args]);
  assert.equal(run.status, 0, run.stderr);
  // $3 not given: 0, and "" through str(), as in bpftrace
  assert.equal(run.stdout, "head 42 [] 0\n");
});

test("positional parameters are the script's: the same one-liner with other words prints those", async () => {
  for (const word of ["7", "it's"]) {
    const r = await tsbpf(["-d", "2s", "-e", `begin(() => (print($1), exit()))`, word]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${word}\n`);
  }
});

test("a word used as a number is an error at its place; words without $1 in the one-liner are refused", async () => {
  const r = await tsbpf(["-e", `tracepoint("syscalls:sys_enter_openat", () => pid() == $1 && count())`, "bash"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^-e:1:56: error\[TSB\d+\]: \$1 is used as a number, but the word given is "bash"\n/);
  assert.match(r.stderr, /= hint: for the word as a string write str\(\$1\)/);
  const extra = await tsbpf(["-e", `tracepoint("syscalls:sys_enter_openat", () => count())`, "bash"]);
  assert.equal(extra.status, 2, extra.stderr);
  // The words may be meant as $1, $2 (bpftrace takes words its program does not read): the error says both readings.
  assert.match(extra.stderr, /unexpected "bash" after the one-liner, which reads no \$1: words after a one-liner are its positional parameters \(\$1, str\(\$1\)\); if "bash" belongs to the one-liner, quote the whole one-liner as one argument/);
});

test("the tutorial's path.bt, #include lines and all: pointed at the cast, with the kprobe form to write", async () => {
  const program = `#include <linux/path.h>\n#include <linux/dcache.h>\n\nkprobe:vfs_open\n{\n  printf("open path: %s\\n", str(((struct path *)arg0)->dentry->d_name.name));\n}`;
  const r = await tsbpf(["-e", program]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^-e:6:35: error\[TSB1001\]: this is bpftrace's language: tsbpf one-liners are TypeScript\n/, r.stderr);
  assert.match(r.stderr, /= hint: no plain translation of a C cast .*kprobe\("vfs_open", path => printf\("%s\\n", str\(path\.dentry\.d_name\.name\)\)\)/);
});

test("ksym(address): a kernel address printed as the function holding it, as a key and in printf", async () => {
  // kmalloc's call_site in head's own system calls (its execve, its opens), keyed by the caller's name
  const out = await run(`tracepoint:kmem:kmalloc { @[ksym(args->call_site)] = count(); }`);
  const keys = [...out.matchAll(/^@\[(.*)\]: \d+$/gm)].map((m) => m[1]);
  assert.ok(keys.length > 0, out);
  for (const k of keys) assert.match(k, /^[A-Za-z_][\w.]*$/, `a key that is not a function name: ${k}\n${out}`);
  const printed = await run(`tracepoint:kmem:kmalloc { printf("<%s>\\n", ksym(args->call_site)); exit(); }`);
  assert.match(printed, /^<[A-Za-z_][\w.]*>\n$/);
});

test("strncmp(s, \"lit\", n) == 0 / != 0: a prefix test of n bytes, or equality when n reaches the NUL", async () => {
  const out = await run(`${HOSTNAME} { if (strncmp(comm, "hea", 3) == 0) { printf("prefix\\n"); } if (strncmp(str(args->filename), "/etc/hostnamX", 12) == 0) { printf("twelve\\n"); } if (strncmp("he", comm, 3) != 0) { printf("not he\\n"); } if (strncmp(comm, "head", 5) == 0) { printf("head\\n"); } }`);
  assert.equal(out, "prefix\ntwelve\nnot he\nhead\n");
});

test("a string equals a literal only when it ends there: comm() == \"he\" is false for head", async () => {
  // each test prints its letter when it holds; only b (head) and d (the whole name) and e (a prefix) should
  const oneliner = `tracepoint("syscalls:sys_enter_openat", a => str(a.filename).startsWith("/etc/hostnam") && printf("%s%s%s%s%s\\n", comm() == "he" ? "a" : "", comm() == "head" ? "b" : "", str(a.filename) == "/etc/hostnam" ? "c" : "", str(a.filename) == "/etc/hostname" ? "d" : "", comm().startsWith("he") ? "e" : ""))`;
  const r = await tsbpf(["-c", "head -c 0 /etc/hostname", "-e", oneliner]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "bde\n");
});

test("the map @ as a plain value is pointed at, and the named map it suggests runs", async () => {
  const r = await tsbpf(["-e", `tracepoint:syscalls:sys_enter_openat { @++; } interval:ms:500 { printf("%d\\n", @); @ = 0; }`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^-e:1:40: error\[TSB1001\]: this is bpftrace's language/);
  assert.match(r.stderr, /no plain translation of the map @ as a plain value \(@\+\+, @ = 0\): .*name the map instead: @n\+\+/);
  const out = await run(`${HOSTNAME} { @n++; } END { printf("%d\\n", @n); @n = 0; }`);
  assert.equal(out, "1\n\n@n: 0\n");
});

test("a syscall's pointer argument kept in a map is read by str() from user memory (opensnoop.bt's @filename[tid])", async () => {
  // The pointer is saved at entry and read at exit, as opensnoop.bt and statsnoop.bt do.
  const enter = `tracepoint:syscalls:sys_enter_openat /str(args.filename) == "/etc/hostname"/ { @filename[tid] = args.filename; }`;
  const exit = `tracepoint:syscalls:sys_exit_openat /@filename[tid]/ { printf("%s\\n", str(@filename[tid])); delete(@filename[tid]); }`;
  assert.equal(await run(`${enter} ${exit} END { clear(@filename); }`), "/etc/hostname\n");
});

test("a map's pointer is read from user memory whichever probe comes first in the text (the reading one before the one that keeps it)", async () => {
  const enter = `tracepoint:syscalls:sys_enter_openat /str(args.filename) == "/etc/hostname"/ { @filename[tid] = args.filename; }`;
  const exit = `tracepoint:syscalls:sys_exit_openat /@filename[tid]/ { printf("%s\\n", str(@filename[tid])); delete(@filename[tid]); }`;
  assert.equal(await run(`${exit} ${enter} END { clear(@filename); }`), "/etc/hostname\n");
});

test("a tool whose first probe's { is on the next line (threadsnoop.bt's BEGIN) is bpftrace's, though JavaScript parses it", async () => {
  // `BEGIN` then a block is valid JavaScript (a name, then a block): the one-liner was read as TypeScript before.
  assert.equal(await translation(`BEGIN\n{\n\tprintf("hi\\n");\n}`), `begin(() => printf("hi\\n"))`);
  assert.equal(await run(`BEGIN\n{\n\tprintf("hi\\n");\n\texit();\n}`, ["-d", "2s"]), "hi\n");
});

test("a uprobe's argument kept in a map is read by str() from user memory (gethostlatency.bt's @name[tid] = arg0)", async () => {
  const enter = `uprobe:libc:getenv { @name[tid] = arg0; }`;
  const exit = `uretprobe:libc:getenv /@name[tid]/ { printf("%s\\n", str(@name[tid])); delete(@name[tid]); }`;
  const out = await run(`${enter} ${exit}`, ["-c", `python3 -S -c "import ctypes; ctypes.CDLL(None).getenv(b'TSBPF_ASKED')"`]);
  assert.match(out, /^TSBPF_ASKED$/m, out);
});
