// One-liners in every shape a user writes them: each construct docs/cli.md shows (print,
// printf, the aggregations, $.name maps, filters, exit, begin/end/interval), in every position
// (expression body, block body, comma expressions, nested blocks and loops, ternaries, template
// strings, comments and strings holding `$` or `=>`, nested arrows, multi-line text). Each runs
// for real, as a user runs it (`tsbpf -c CMD -e ...`), and its output is checked exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { hasFentry, hasKprobes } from "../../runtime/features.ts";
import { libc } from "../../runtime/ffi/mod.ts";
import { tsbpf } from "./cli_run.ts";

await libc();

interface Case {
  name: string;
  oneliner: string;
  /** -c: traced, and tracing stops when it exits (default: head opens /etc/hostname once). */
  command?: string;
  /** -d instead of -c. */
  duration?: string;
  /** The whole stdout, or a pattern it matches. */
  stdout: string | RegExp;
}

/** The one openat of `head -c 0 /etc/hostname` (the loader's opens are others). */
const HOSTNAME = `str(a.filename) === "/etc/hostname"`;
/** Opens /etc/hostname itself (the shell's redirection), then stays: exit() has to stop the tracing. */
const HOLDS = "sh -c 'read x < /etc/hostname; sleep 20'";
const OPENAT = `tracepoint("syscalls:sys_enter_openat", `;

const CASES: Case[] = [
  // --- docs/cli.md's vocabulary, in expression bodies
  { name: "print: values and text", oneliner: `${OPENAT}a => ${HOSTNAME} && print(comm(), "opened", str(a.filename)))`, stdout: "head opened /etc/hostname\n" },
  { name: "printf: flags and widths", oneliner: `${OPENAT}a => ${HOSTNAME} && printf("%-6s|%5d|%x\\n", comm(), 42, 255))`, stdout: "head  |   42|ff\n" },
  { name: "count() keyed by a tuple", oneliner: `${OPENAT}a => ${HOSTNAME} && count(comm(), str(a.filename)))`, stdout: "\n@[head, /etc/hostname]: 1\n" },
  { name: "sum, min, max into named maps", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.s = sum(5), $.lo = min(3), $.hi[comm()] = max(7)))`, stdout: "\n@hi[head]: 7\n@lo: 3\n@s: 5\n" },
  { name: "hist into @", oneliner: `${OPENAT}a => ${HOSTNAME} && hist(1000))`, stdout: /^\n@: \n\[512, 1K\) +1 \|@+\|\n\n$/ },
  { name: "lhist keyed", oneliner: `${OPENAT}a => ${HOSTNAME} && lhist(comm(), 15, 0, 100, 10))`, stdout: /^\n@\[head\]: \n\[10, 20\) +1 \|@+\|\n\n$/ },
  { name: "avg and stats keyed, printed by print($) in end()", oneliner: `${OPENAT}a => ${HOSTNAME} && (avg(comm(), 10), $.st = stats(4))); end(() => (print("maps:"), print($)))`, stdout: /^maps:\n@\[head\]: 10\n\n?@st: count 1, average 4, total 4\n/ },
  { name: "one entry of a map read in end(): $.name[key], as bpftrace's @name[key] in END", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.who[1] = comm(), $.n[comm()] = 5)); end(() => print("end", $.who[1], $.n["head"], $.n["none"], $.who[1 + 1]))`, stdout: "end head 5 0 \n\n@n[head]: 5\n@who[1]: head\n" },
  { name: "print($.name) of one map in end()", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.a = count(), $.b = count())); end(() => { print($.b); clear($.a); })`, stdout: "@b: 1\n\n@b: 1\n" },
  { name: "keys typed by as, str(p, n), and the helpers", oneliner: `${OPENAT}a => ${HOSTNAME} && (count(a.flags as u16, str(a.filename, 6)), printf("%d %d %d %d %d %s %d\\n", pid() > 0, tid() == pid(), ppid() > 0, uid(), gid(), comm(), cpu() >= 0), ktime() > 0 && $.t++))`, stdout: /^1 1 1 0 0 head 1\n\n@\[\d+, \/etc\/\]: 1\n@t: 1\n$/ },
  { name: "a wildcard with probe()", oneliner: `tracepoint("syscalls:sys_enter_opena*", a => ${HOSTNAME} && count(probe()))`, stdout: "\n@[tracepoint:syscalls:sys_enter_openat]: 1\n" },
  { name: "curtask() fields", oneliner: `${OPENAT}a => ${HOSTNAME} && print(curtask().pid == pid(), str(curtask().comm)))`, stdout: "1 head\n" },
  { name: "$.name = count()", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.opens = count()))`, stdout: "\n@opens: 1\n" },
  { name: "plain values: =, +=, ++, delete, and a read", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.v[1] = 10, $.v[1] += 5, $.v[2]++, $.v[3] = 9, delete $.v[3], print("read", $.v[1])))`, stdout: "read 15\n\n@v[2]: 1\n@v[1]: 15\n" },
  { name: "|| as a filter", oneliner: `${OPENAT}a => !(${HOSTNAME}) || print("only", comm()))`, stdout: "only head\n" },
  { name: "ternary of actions", oneliner: `${OPENAT}a => ${HOSTNAME} ? $.yes++ : $.no++)`, stdout: /^\n@yes: 1\n@no: \d+\n$|^\n@no: \d+\n@yes: 1\n$/ },
  { name: "exit() stops, end() runs, maps print", oneliner: `${OPENAT}a => ${HOSTNAME} && (count(), exit())); end(() => print("bye"))`, command: HOLDS, stdout: "bye\n\n@: 1\n" },
  { name: "begin, and -d without probes", oneliner: `begin(() => print("hello world"))`, duration: "200ms", stdout: "hello world\n" },

  // --- order: each print site has a buffer of its own; lines still come in the order they happened
  { name: "two prints in one handler keep their order", oneliner: `${OPENAT}a => ${HOSTNAME} && (print("first"), printf("second\\n")))`, command: "head -q -c 0 /etc/hostname /etc/hostname /etc/hostname", stdout: "first\nsecond\n".repeat(3) },
  { name: "prints of two probes interleave as they happened", oneliner: `${OPENAT}() => print("enter")); tracepoint("syscalls:sys_exit_openat", () => print("exit"))`, stdout: /^(enter\nexit\n)+$/ },

  // exit() during the start (in begin, or in an event delivered before start() returns): begin's lines
  // first, then the events', then end's and the maps, as they were made
  { name: "exit() in the first events: begin, events, end, maps in that order", oneliner: `begin(() => print("hello")); end(() => print("bye")); tracepoint("raw_syscalls:sys_enter", () => (print("event"), count(), exit()))`, duration: "10s", stdout: /^hello\n(event\n)+bye\n\n@: \d+\n$/ },
  { name: "exit() in begin: begin, events, end in that order", oneliner: `begin(() => (print("hello"), exit())); end(() => print("bye")); tracepoint("raw_syscalls:sys_enter", () => print("event"))`, duration: "10s", stdout: /^hello\n(event\n)*bye\n$/ },

  // bpftrace's print(@, N): the N largest entries; clear($) empties every map, as print($) prints every map
  { name: "print($.name, N) and print($, N) show the N largest entries", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.x[1] = 10, $.x[2] = 30, $.x[3] = 20, $.c[comm()] = count())); end(() => (print($.x, 2), print("--"), print($, 1), print("--"), clear($)))`, stdout: "@x[3]: 20\n@x[2]: 30\n--\n@c[head]: 1\n@x[2]: 30\n--\n" },

  // bpftrace's `interval:s:1 { printf("%d/s\n", @c); @c = 0; }`: a plain value without a key is read and set in user space
  { name: "an aggregation without a key read in end()", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.t = count(), $.s = sum(5), $.m = max(9))); end(() => printf("%d %d %d\\n", $.t, $.s + 1, $.m))`, stdout: "1 6 9\n\n@m: 9\n@s: 5\n@t: 1\n" },
  { name: "a number kept on $ in begin is printed as a number, not as a map", oneliner: `${OPENAT}a => ${HOSTNAME} && $.t++); begin(() => { $.mine = 1; $.mine = 2; print($.mine); })`, stdout: "2\n\n@t: 1\n" },
  { name: "a plain value read and set in end()", oneliner: `${OPENAT}a => ${HOSTNAME} && $.c++); end(() => { printf("%d\\n", $.c); print(\`\${$.c + 1}\`, $.c > 0); $.c = 7; })`, stdout: "1\n2 true\n\n@c: 7\n" },

  // bpftrace's pidpersec.bt: `time("%H:%M:%S PIDs/sec: "); print(@);` puts the map on the line the text began
  { name: "text without a newline, then print($.name) or print($): the map follows on that line", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.x[comm()] = count())); end(() => { printf("opens: "); print($.x); printf("all: "); print($); clear($); })`, stdout: "opens: @x[head]: 1\nall: @x[head]: 1\n" },

  // bpftrace's time(): the local time, strftime's conversions, in user space
  { name: "time() in begin and end", oneliner: `${OPENAT}a => ${HOSTNAME} && count()); begin(() => time("%Y|%%|\\n")); end(() => time())`, stdout: new RegExp(`^${new Date().getFullYear()}\\|%\\|\\n\\d\\d:\\d\\d:\\d\\d\\n\\n@: 1\\n$`) },

  // --- parentheses and comma expressions
  { name: "interval with a parenthesised comma body (docs/cli.md's idiom)", oneliner: `${OPENAT}a => ${HOSTNAME} && ($.x[comm()] = 1)); interval(0.2, () => (print($.x), clear($.x), exit()))`, command: HOLDS, stdout: "@x[sh]: 1\n" },
  { name: "doubly parenthesised action", oneliner: `${OPENAT}a => ${HOSTNAME} && ((count())))`, stdout: "\n@: 1\n" },
  { name: "a comma body of actions", oneliner: `${OPENAT}a => (${HOSTNAME} && count(), ${HOSTNAME} && $.n++))`, stdout: "\n@: 1\n@n: 1\n" },
  { name: "end() with an object-free comma body", oneliner: `begin(() => ($.never, print("a"), print("b")))`, duration: "100ms", stdout: "a\nb\n" },

  // --- block bodies: statements in every position
  { name: "map updates inside a for loop", oneliner: `${OPENAT}a => { if (${HOSTNAME}) { for (let i = 0; i < 6; i++) { $.x[i] = i * 2; } } })`, stdout: "\n@x[0]: 0\n@x[1]: 2\n@x[2]: 4\n@x[3]: 6\n@x[4]: 8\n@x[5]: 10\n" },
  { name: "actions in if / else without braces", oneliner: `${OPENAT}a => { if (!(${HOSTNAME})) return; else if (pid() > 0) count(comm()); else $.never++; })`, stdout: "\n@[head]: 1\n" },
  { name: "switch cases with actions", oneliner: `${OPENAT}a => { if (${HOSTNAME}) switch (pid() > 0 ? 1 : 2) { case 1: print("first", comm()); break; default: $.never++; } })`, stdout: "first head\n" },
  { name: "const, let and a map read in a block", oneliner: `${OPENAT}a => { if (!(${HOSTNAME})) return; const before = $.n[pid()]; $.n[pid()] = before + 41; let t = $.n[pid()]; t++; printf("%d\\n", t); })`, stdout: /^42\n\n@n\[\d+\]: 41\n$/ },
  // bpftrace's `$s = comm; printf("%s\n", $s)`: a local takes the type of what it was set to
  { name: "locals holding strings: printed, printf'd, and a key", oneliner: `${OPENAT}a => { if (!(${HOSTNAME})) return; const s = comm(); let f = str(a.filename); printf("%s %s\\n", s, f); print(s, f); count(s); })`, stdout: "head /etc/hostname\nhead /etc/hostname\n\n@[head]: 1\n" },
  // bpftrace's `$x = "lit"; $p = probe`: a local holds a string literal (probe() is one), and a let takes another
  { name: "locals holding string literals and probe()", oneliner: `${OPENAT}a => { if (!(${HOSTNAME})) return; const s = "lit"; const q = probe(); let t = "a"; t = "bcd"; printf("%s %s %s\\n", s, q, t); print(q, s); count(s, t); })`, stdout: "lit tracepoint:syscalls:sys_enter_openat bcd\ntracepoint:syscalls:sys_enter_openat lit\n\n@[lit, bcd]: 1\n" },
  // A str() local is 256 bytes: as a map key it is used where it is (no 256-byte copy), so several maps keyed by it fit the stack
  // bpftrace's @[$x ? "a" : "b"]: a ternary of strings as a key and a printed value
  { name: "a ternary of strings as a key and in print/printf", oneliner: `${OPENAT}a => { if (!(${HOSTNAME})) return; const s = "local"; count(comm() == "head" ? "yes" : "no"); print(pid() > 0 ? "pos" : "negative", pid() > 0 ? s : comm()); printf("%s\\n", pid() > 0 ? comm() : "x"); })`, stdout: "pos local\nhead\n\n@[yes]: 1\n" },
  { name: "a local declared with its type takes that type in prints and keys", oneliner: `${OPENAT}a => { if (!(${HOSTNAME})) return; let s: Str<40> = "ab"; s = "a string longer than sixteen bytes"; print(s); count(s); })`, stdout: "a string longer than sixteen bytes\n\n@[a string longer than sixteen bytes]: 1\n" },
  { name: "a str() local as the key of several maps", oneliner: `${OPENAT}a => { if (!(${HOSTNAME})) return; const f = str(a.filename); count(f); $.n[f]++; $.m[f] = 5; $.s[f] = sum(2); })`, stdout: "\n@[/etc/hostname]: 1\n@m[/etc/hostname]: 5\n@n[/etc/hostname]: 1\n@s[/etc/hostname]: 2\n" },
  { name: "locals holding numbers of a helper and a field keep %d", oneliner: `${OPENAT}a => { if (!(${HOSTNAME})) return; const p = pid(); const fl = a.flags; printf("%d %d\\n", p > 0, fl >= 0); })`, stdout: "1 1\n" },
  { name: "a function expression as the handler", oneliner: `${OPENAT}function (a) { ${HOSTNAME} && count() })`, stdout: "\n@: 1\n" },

  // --- text that looks like the one-liner's own syntax
  { name: "strings holding $, => and ;", oneliner: `${OPENAT}a => ${HOSTNAME} && print("$.x => 1; count()", '$[k] = hist(n)'))`, stdout: "$.x => 1; count() $[k] = hist(n)\n" },
  { name: "comments holding $ and =>", oneliner: `${OPENAT}/* $.x => 1 */ a => /* count() */ ${HOSTNAME} && /* $ */ count(/* => */))`, stdout: "\n@: 1\n" },
  { name: "a multi-line one-liner with line comments", oneliner: `${OPENAT}a => {\n  // $.skip => not code\n  if (${HOSTNAME}) $.hits++; // $.x => 2\n});\nend(() => print("done")) // => $`, stdout: "done\n\n@hits: 1\n" },
  { name: "template strings in kernel print() and in end()", oneliner: `${OPENAT}a => ${HOSTNAME} && print(\`\${comm()} opened \${str(a.filename)} (100%)\`, "ok")); end(() => print(\`$ is \${typeof $}\`))`, stdout: "head opened /etc/hostname (100%) ok\n$ is object\n" },
  { name: "nested arrows in user space", oneliner: `${OPENAT}a => ${HOSTNAME} && count()); end(() => ["x", "y"].forEach((s) => print(s, (() => s + "!")())))`, stdout: "x x!\ny y!\n\n@: 1\n" },

  // --- the other probe kinds of docs/cli.md's table
  { name: "rawTracepoint with BTF-named arguments", oneliner: `rawTracepoint("sys_enter", args => args.id == 257 && count(comm()))`, stdout: /^\n@\[head\]: [1-9]\d*\n$/ },
  { name: "perfEvent of page faults", oneliner: `perfEvent({ type: "software", config: "page-faults", period: 1 }, () => count(comm()))`, stdout: /^\n(@\[sh\]: \d+\n)?@\[head\]: [1-9]\d*\n$/ }, // sh: the -c shell before its exec
  { name: "uretprobe's return value", oneliner: `uretprobe("/bin/bash:execute_command", r => $.ret[r] = count())`, command: `bash -c ':; :'`, stdout: /^\n(@ret\[\d+\]: \d+\n)+$/ },
  { name: "profile, sampled on every CPU", oneliner: `profile(99, () => $.samples = count()); interval(0.3, () => exit())`, duration: "5s", stdout: /^\n@samples: [1-9]\d*\n$/ },

  // --- stacks: a uprobe has no kernel stack; bpftrace prints it as @[]
  { name: "an empty kernel stack prints as @[]", oneliner: `uprobe("/bin/bash:execute_command", () => count(kstack()))`, command: `bash -c ':; :'`, stdout: /^\n@\[\]: \d+\n$/ },
];

for (const c of CASES) {
  test(`one-liner: ${c.name}`, async () => {
    const timing = c.duration ? ["-d", c.duration] : ["-c", c.command ?? "head -c 0 /etc/hostname"];
    const r = await tsbpf([...timing, "-e", c.oneliner]);
    const shown = `${c.oneliner}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
    assert.equal(r.status, 0, shown);
    if (typeof c.stdout === "string") assert.equal(r.stdout, c.stdout, shown);
    else assert.match(r.stdout, c.stdout, shown);
  });
}

// What cannot work says so at its place in the one-liner, never an internal error.
const MISTAKES: [string, RegExp][] = [
  [`${OPENAT}a => { const y = ($.x[1] = 2); })`, /^-e:1:\d+: error\[TSB1002\]: a map update is a statement/],
  [`${OPENAT}a => { for (let i = 0; i < 3; $.x[i]++) {} })`, /^-e:1:\d+: error\[TSB1002\]: a map update is a statement/],
  [`${OPENAT}a => { const s = comm(); printf("%d\\n", s); })`, /^-e:1:81: error\[TSB1002\]: %d needs a number, and value 1 is a string/],
  // What an end or interval function throws is the one-liner's error, at its place (it also stops an interval's tracing)
  [`${OPENAT}a => count()); end(() => { const o = JSON.parse("null"); o.y; })`, /^tsbpf: TypeError: .* at -e:1:\d+ /m],
  [`${OPENAT}a => count()); interval(0.1, () => { const o = JSON.parse("null"); o.y; })`, /^tsbpf: TypeError: .* at -e:1:\d+ /m],
  [`${OPENAT}a => { time(5); count(); })`, /^-e:1:48: error\[TSB1002\]: time\(\) takes a format literal, or none/],
  [`rawTracepoint("sys_enter", (regs, id) => id == 257 && count())`, /^-e:1:35: error\[TSB1002\]: a raw tracepoint sys_enter handler takes one parameter/],
  // A pointer field printed is its address as a number: what bpftrace refuses ("not printable"), with the read to write
  [`${OPENAT}a => print(a.filename))`, /^-e:1:52: error\[TSB1002\]: a\.filename is a pointer \(const char \*\): print\(\) would show its address[^]*= hint: str\(a\.filename\) reads the string it points to/],
  // bpftrace's /filter/ { @x = v } written cond && $.x = v: JavaScript's precedence wants the parentheses, and the hint says so
  [`${OPENAT}a => pid() > 1 && $.x = a.flags)`, /^-e:1:46: error\[TSB1001\]: Invalid left-hand side in assignment expression[^]*= hint: an assignment after && or \|\| needs parentheses: cond && \(\$\.x = v\)/],
  // A misspelt field in printf is named as such, not as a number given to %s
  [`${OPENAT}a => printf("%s\\n", str(a.filenme)))`, /^-e:1:\d+: error\[TSB1004\]: tracepoint syscalls:sys_enter_openat has no field "filenme"[^]*did you mean "filename"/],
  [`${OPENAT}a => printf("%s\\n", a.filenme))`, /^-e:1:63: error\[TSB1004\]: tracepoint syscalls:sys_enter_openat has no field "filenme"/],
  // The common_* header is not readable by a tracepoint program (the verifier's "invalid bpf_context access off=4"): said at compile time
  [`tracepoint("sched:sched_process_exec", a => count(a.common_pid))`, /^-e:1:53: error\[TSB1002\]: common_pid is in the record's common header, which the kernel does not let a tracepoint program read[^]*= hint: pid\(\) and tid\(\) give the task's ids, comm\(\) its name/],
  // An array field given to printf or print is named with its C type, with how to read it, not as an i64
  [`tracepoint("sock:inet_sock_set_state", a => printf("%s\\n", a.saddr))`, /^-e:1:60: error\[TSB1005\]: expected a number here, got field "saddr" \(__u8\[4\]\)[^]*= hint: an array field: read an element \(a\.saddr\[0\]\), or an address as text with ntop\(a\.saddr\)/],
  [`tracepoint("sock:inet_sock_set_state", a => print(a.saddr_v6))`, /^-e:1:51: error\[TSB1005\]: expected a number here, got field "saddr_v6" \(__u8\[16\]\)[^]*= hint: an array field: read an element \(a\.saddr_v6\[0\]\), or an address as text with ntop\(a\.saddr_v6\)/],
  // The whole record (bpftrace's print(args)) is refused with the print of its fields to write instead
  [`${OPENAT}a => print(a))`, /^-e:1:52: error\[TSB1002\]: a is the tracepoint's whole record, not one value[^]*= hint: print its fields: print\(a\.__syscall_nr, a\.dfd, str\(a\.filename\), a\.flags, a\.mode\)/],
  [`${OPENAT}a => printf("%d\\n", a))`, /^-e:1:61: error\[TSB1002\]: a is the tracepoint's whole record, not one value/],
  [`${OPENAT}a => print(\`\${a.filename}\`))`, /^-e:1:55: error\[TSB1002\]: a\.filename is a pointer[^]*= hint: str\(a\.filename\)/],
];

for (const [oneliner, message] of MISTAKES) {
  test(`one-liner mistake: ${oneliner}`, async () => {
    const r = await tsbpf(["-d", "1", "-e", oneliner]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
  });
}

// Hints shown for a one-liner speak its syntax, not the decorators of a script.
const kprobesHere = hasKprobes() || hasFentry();

test("one-liner hints: no kprobes here → trace a tracepoint(), not a @tracepoint", { skip: kprobesHere && "this kernel has kprobes or fentry" }, async () => {
  const r = await tsbpf(["-e", `kprobe("vfs_read", () => count(comm()))`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^-e:1:8: error\[TSB1007\]: this kernel has neither fentry nor kprobes/);
  assert.match(r.stderr, /= hint: trace a tracepoint\(\) or rawTracepoint\(\) instead/);
  assert.doesNotMatch(r.stderr, /@[a-zA-Z]+/, r.stderr);
});

test("one-liner hints: a profile rate above the kernel's limit suggests profile(99, ...)", async () => {
  const max = Number(readFileSync("/proc/sys/kernel/perf_event_max_sample_rate", "utf8"));
  const r = await tsbpf(["-d", "1", "-e", `profile(${max + 1}, () => count())`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^-e:1:9: error\\[TSB1007\\]: profile\\(${max + 1}, \\.\\.\\.\\) asks for more samples`));
  assert.match(r.stderr, /e\.g\. profile\(99, \.\.\.\)/);
  assert.doesNotMatch(r.stderr, /@[a-zA-Z]+/, r.stderr);
});

test("one-liner hints: this in a handler is pointed to $.name", async () => {
  const r = await tsbpf(["-d", "1", "-e", `tracepoint("sched:sched_switch", () => { this.x; count() })`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^-e:1:42: error\[TSB1002\]: a one-liner has no this: its maps are \$\.name/);
  assert.doesNotMatch(r.stderr, /OneLiner|new HashMap/, r.stderr);
});

test("one-liner hints: a field most of a wildcard's matches lack is one error, not one per match", async () => {
  // flags is of several types (int, unsigned long, ...): no one probe reads it across the syscalls, so each match is a handler.
  const r = await tsbpf(["-d", "1", "-e", `tracepoint("syscalls:sys_enter_*", a => count(a.flags))`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^-e:1:49: error\[TSB1004\]: tracepoint syscalls:sys_enter_accept and \d+ more of the wildcard's matches have no field "flags"/);
  assert.equal(r.stderr.match(/error\[/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /= hint: each match has a handler of its own[^\n]*: tsbpf list -v 'syscalls:sys_enter_\*' shows each one's fields/);
});

test("bpftrace syntax: a local set from a builtin ($s = comm) translates to a one-liner that runs and prints it", async () => {
  const r = await tsbpf(["-e", `tracepoint:syscalls:sys_enter_openat /comm == "head"/ { $s = comm; printf("%s\\n", $s); }`]);
  const t = /= hint: in tsbpf: tsbpf -e '(.*)'$/m.exec(r.stderr);
  assert.ok(t, r.stderr);
  const run = await tsbpf(["-c", "head -c 0 /etc/hostname", "-e", t[1]]);
  assert.equal(run.status, 0, `${t[1]}\n${run.stderr}`);
  assert.match(run.stdout, /^(head\n)+$/, t[1]); // each open of head's, the loader's too
});

test("bpftrace syntax: a filter holding /, string locals, probe, a software event and if/else translate to one-liners that run", async () => {
  const cases: [string, string | RegExp][] = [
    [`tracepoint:syscalls:sys_enter_openat /str(args.filename) == "/etc/hostname"/ { printf("%s\\n", comm); }`, "head\n"],
    [`tracepoint:syscalls:sys_enter_openat /str(args->filename) == "/etc/hostname"/ { $x = "lit"; $p = probe; printf("%s %s %s\\n", $x, $p, comm); }`, "lit tracepoint:syscalls:sys_enter_openat head\n"],
    [`software:faults:1 /comm == "head"/ { @[comm] = count(); }`, /^\n@\[head\]: [1-9]\d*\n$/],
    [`t:syscalls:sys_enter_openat { if (str(args->filename) == "/etc/hostname") { printf("%s\\n", comm); } else if (comm == "no-such") { exit() } else { @n = count(); } }`, /^head\n\n@n: \d+\n$/],
  ];
  for (const [original, stdout] of cases) {
    const r = await tsbpf(["-e", original]);
    const t = /= hint: in tsbpf: tsbpf -e '(.*)'$/m.exec(r.stderr);
    assert.ok(t, r.stderr);
    const run = await tsbpf(["-c", "head -c 0 /etc/hostname", "-e", t[1]]);
    assert.equal(run.status, 0, `${t[1]}\n${run.stderr}`);
    if (typeof stdout === "string") assert.equal(run.stdout, stdout, t[1]);
    else assert.match(run.stdout, stdout, t[1]);
  }
});

// bpftrace's language in -e: said so, with the translation; each translation of docs/cli.md's
// bpftrace originals runs here where its probe exists.
const BPFTRACE_ORIGINALS = [...readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8").matchAll(/`bpftrace -e '([^']*)'`/g)].map((m) => m[1]);

test("bpftrace syntax: each of docs/cli.md's bpftrace one-liners is answered with its translation, which runs", { timeout: 300_000 }, async () => {
  assert.equal(BPFTRACE_ORIGINALS.length, 11);
  const translated: string[] = [];
  for (const original of BPFTRACE_ORIGINALS) {
    const r = await tsbpf(["-e", original]);
    assert.equal(r.status, 1, r.stderr);
    // at the first probe; where there is no plain translation, at what stops it (the C cast's "struct")
    const column = original.includes("(struct ") ? original.indexOf("struct") + 1 : 1;
    assert.match(r.stderr, new RegExp(`^-e:1:${column}: error\\[TSB1001\\]: this is bpftrace's language: tsbpf one-liners are TypeScript\n`), r.stderr);
    assert.match(r.stderr, /= hint: docs\/cli\.md \("One-liners"\)/);
    const t = /= hint: in tsbpf: tsbpf -e '(.*)'$/m.exec(r.stderr);
    if (t) translated.push(t[1]);
    else assert.match(r.stderr, /= hint: no plain translation of a C cast/, r.stderr);
  }
  assert.equal(translated.length, 10, translated.join("\n"));
  for (const oneliner of translated) {
    if (/\bk(ret)?probe\(/.test(oneliner) && !kprobesHere) continue;
    const timing = /^(begin|profile)\(/.test(oneliner) ? ["-d", "300ms"] : ["-c", "head -c 0 /etc/hostname"];
    const r = await tsbpf([...timing, "-e", oneliner]);
    assert.equal(r.status, 0, `${oneliner}\n${r.stderr}`);
    if (oneliner.startsWith("begin(")) assert.equal(r.stdout, "hello world\n");
    if (oneliner.includes("sys_enter_openat")) assert.match(r.stdout, /^head \/etc\/hostname$/m);
    if (oneliner.includes("raw_syscalls")) assert.match(r.stdout, /^@\[head\]: \d+$/m);
  }
});

test("bpftrace syntax: tsbpf run FILE.bt says it is bpftrace's language and gives the one-liner it becomes", async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/tsbpf-bt-`);
  try {
    const file = `${dir}/opens.bt`;
    writeFileSync(file, `#!/usr/bin/env bpftrace\n/* opens */\n#include <linux/fs.h>\n\ntracepoint:syscalls:sys_enter_openat\n{\n\tprintf("%s\\n", comm);\n}\n`);
    const r = await tsbpf(["run", file]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `tsbpf: ${file} is a bpftrace program, and tsbpf runs TypeScript: in tsbpf: tsbpf -e 'tracepoint("syscalls:sys_enter_openat", () => printf("%s\\n", comm()))'\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bpftrace syntax: tsbpf run TOOL.bt, when tsbpf ships a tool of that name, points at it too", async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/tsbpf-bt-`);
  try {
    // bpftrace's tcplife.bt casts kernel structs: no plain translation, but examples/tcplife.ts is tsbpf's own.
    const file = `${dir}/tcplife.bt`;
    writeFileSync(file, `#!/usr/bin/env bpftrace\nkprobe:tcp_set_state\n{\n\t$sk = (struct sock *)arg0;\n\tprintf("%d\\n", $sk->__sk_common.skc_num);\n}\n`);
    const r = await tsbpf(["run", file]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /no plain translation of a C cast/, r.stderr);
    assert.match(r.stderr, /tsbpf has its own tcplife: sudo tsbpf run \S*examples\/tcplife\.ts\n$/, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
