// bpftrace's language typed into tsbpf -e: recognised, and translated where the translation is
// plain (cli/oneliner/bpftrace_syntax.ts); tests/kernel/oneliner_corpus.test.ts runs the translations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { looksLikeBpftrace, translateBpftrace } from "../../cli/oneliner/bpftrace_syntax.ts";

const TRANSLATIONS: [string, string][] = [
  [`BEGIN { printf("hello world\\n"); }`, `begin(() => printf("hello world\\n"))`],
  [`tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args->filename)); }`, `tracepoint("syscalls:sys_enter_openat", args => printf("%s %s\\n", comm(), str(args.filename)))`],
  [`t:raw_syscalls:sys_enter { @[comm] = count(); }`, `tracepoint("raw_syscalls:sys_enter", () => count(comm()))`],
  [`tracepoint:syscalls:sys_exit_read /pid == 18644/ { @bytes = hist(args.ret); }`, `tracepoint("syscalls:sys_exit_read", args => pid() == 18644 && ($.bytes = hist(args.ret)))`],
  [`kretprobe:vfs_read { @bytes = lhist(retval, 0, 2000, 200); }`, `kretprobe("vfs_read", retval => $.bytes = lhist(retval, 0, 2000, 200))`],
  [`kprobe:do_nanosleep { @[comm] = count(); }`, `kprobe("do_nanosleep", () => count(comm()))`],
  [`kprobe:vfs_read { @start[tid] = nsecs; } kretprobe:vfs_read /@start[tid]/ { @ns[comm] = hist(nsecs - @start[tid]); delete(@start[tid]); }`,
    `kprobe("vfs_read", () => $.start[tid()] = ktime()); kretprobe("vfs_read", () => { if ($.start[tid()]) { $.ns[comm()] = hist(ktime() - $.start[tid()]); delete $.start[tid()]; } })`],
  [`tracepoint:sched:sched* { @[probe] = count(); } interval:s:5 { exit(); }`, `tracepoint("sched:sched*", () => count(probe())); interval(5, () => exit())`],
  [`profile:hz:99 { @[kstack] = count(); }`, `profile(99, () => count(kstack()))`],
  [`p:hz:49 { @[ustack] = count(); } i:s:2 { exit(); }`, `profile(49, () => count(ustack())); interval(2, () => exit())`],
  [`interval:ms:500 { print(@x); clear(@x); }`, `interval(0.5, () => { print($.x); clear($.x); })`],
  [`uprobe:/bin/bash:readline { $n = arg0; @calls[comm, $n] = sum(1); }`, `uprobe("/bin/bash:readline", (arg0: u64) => { let n = arg0; $.calls[comm(), n] = sum(1); })`],
  // bpftrace's argN is a 64-bit integer: a uprobe's register declared u64 is a number, and str() still reads through it
  [`uprobe:libc:malloc { @ = hist(arg0); }`, `uprobe("libc:malloc", (arg0: u64) => hist(arg0))`],
  [`uprobe:libc:puts { printf("%s %d\\n", str(arg0), arg1 + 1); }`, `uprobe("libc:puts", (arg0: u64, arg1: u64) => printf("%s %d\\n", str(arg0), arg1 + 1))`],
  // a USDT probe's argN is bpftrace's 64-bit integer as a uprobe's is
  [`usdt:/usr/bin/x:prov:tick { @ = hist(arg1); }`, `usdt("/usr/bin/x:prov:tick", (arg0: u64, arg1: u64) => hist(arg1))`],
  [`U:/usr/bin/x:prov:tick { printf("%s\\n", str(arg0)); }`, `usdt("/usr/bin/x:prov:tick", (arg0: u64) => printf("%s\\n", str(arg0)))`],
  [`kprobe:f, kretprobe:g { @[probe] = count(); }`, `kprobe("f", () => count(probe())); kretprobe("g", () => count(probe()))`],
  [`t:syscalls:sys_enter_openat { @[cgroup, comm] = count(); }`, `tracepoint("syscalls:sys_enter_openat", () => count(cgroup(), comm()))`],
  [`t:syscalls:sys_enter_kill { @[args.pid, args.sig] = count(); }`, `tracepoint("syscalls:sys_enter_kill", args => count(args.pid, args.sig))`],
  // software: and hardware: events are perfEvent()s, bpftrace's short names spelled as perf spells them.
  [`software:faults:1 { @[comm] = count(); }`, `perfEvent({ type: "software", config: "page-faults", period: 1 }, () => count(comm()))`],
  [`s:cs:100 { @ = count(); }`, `perfEvent({ type: "software", config: "context-switches", period: 100 }, () => count())`],
  [`hardware:cache-misses:1000000 { @[comm, pid] = count(); }`, `perfEvent({ type: "hardware", config: "cache-misses", period: 1000000 }, () => count(comm(), pid()))`],
  [`h:backend-stalls { @ = count(); }`, `perfEvent({ type: "hardware", config: "stalled-cycles-backend" }, () => count())`],
  // In user space $ is every map: print(@) is the map @ alone there when there are named maps too.
  [`t:a:b { @ = count(); @x = count(); } interval:s:1 { print(@); clear(@); } END { print(@x); }`,
    `tracepoint("a:b", () => { count(); $.x = count(); }); interval(1, () => { print($[""]); clear($[""]); }); end(() => print($.x))`],
  [`t:a:b { @ = count(); } interval:s:1 { print(@); clear(@); }`, `tracepoint("a:b", () => count()); interval(1, () => { print($); clear($); })`],
  // if / else if / else blocks, with or without a ; after them
  [`t:syscalls:sys_exit_openat { if (args->ret < 0) { @fail[comm] = count(); } else if (args->ret == 0) { @zero = count() } else { @ok[comm] = count(); $x = 1; } @all = count(); }`,
    `tracepoint("syscalls:sys_exit_openat", args => { let x = 0; if (args.ret < 0) { $.fail[comm()] = count(); } else if (args.ret == 0) { $.zero = count(); } else { $.ok[comm()] = count(); x = 1; } $.all = count(); })`],
  // a $x first set in a block lives on after it (bpftrace's scratch variables are the probe's); a string stays in its block
  [`t:a:b { if (pid > 1) { $x = 1; } else { $x = 2; } @[$x] = count(); }`, `tracepoint("a:b", () => { let x = 0; if (pid() > 1) { x = 1; } else { x = 2; } count(x); })`],
  [`t:a:b { if (pid > 1) { $s = comm; printf("%s\\n", $s); } }`, `tracepoint("a:b", () => { if (pid() > 1) { let s = comm(); printf("%s\\n", s); } })`],
  // while stays a while (the one-liner bounds it in a probe: body.ts); unroll(N): a counting loop
  [`t:a:b { $i = 0; while ($i < 3) { $i++; if ($i == 1) { continue; } break; } }`, `tracepoint("a:b", () => { let i = 0; while (i < 3) { i++; if (i == 1) { continue; } break; } })`],
  [`BEGIN { $i = 0; while ($i < 3) { $i++; } }`, `begin(() => { let i = 0; while (i < 3) { i++; } })`],
  [`t:a:b { unroll(2) { @c = count(); } }`, `tracepoint("a:b", () => { for (let _u1 = 0; _u1 < 2; _u1++) { $.c = count(); } })`],
  // stacks of N frames; bpftrace's default mode named or not
  [`p:hz:99 { @[kstack(5)] = count(); @u[ustack(bpftrace, 3)] = count(); @k[kstack(bpftrace)] = count(); }`, `profile(99, () => { count(kstack(5)); $.u[ustack(3)] = count(); $.k[kstack()] = count(); })`],
  [`tracepoint:syscalls:sys_enter_execve { printf("%s: ", comm); join(args->argv, ","); }`, `tracepoint("syscalls:sys_enter_execve", args => { printf("%s: ", comm()); join(args.argv, ","); })`],
  // bpftrace's 1e9 is an integer
  [`i:s:1 { printf("%d\\n", elapsed / 1e9); }`, `interval(1, () => printf("%d\\n", elapsed() / 1000000000))`],
  // elapsed, in a probe and in user space
  [`t:a:b { @[elapsed / 1000000000] = count(); } i:s:1 { printf("%d\\n", elapsed); }`, `tracepoint("a:b", () => count(elapsed() / 1000000000)); interval(1, () => printf("%d\\n", elapsed()))`],
  // positional parameters: $1 and str($1) as tsbpf spells them (the words come after the one-liner)
  [`t:a:b /pid == $1 && comm == str($2)/ { @[$3] = count(); }`, `tracepoint("a:b", () => pid() == $1 && comm() == str($2) && count($3))`],
  // $#: how many words were given; str(p, n) keeps n characters in bpftrace 0.17, tsbpf's n counts the NUL
  [`BEGIN { printf("%d %s\\n", $#, str($1, 2)); }`, `begin(() => printf("%d %s\\n", $argc, str($1, 3)))`],
  [`t:a:b { @[str(args->f, 8)] = count(); printf("%s\\n", str(str(args->g), 3)); }`, `tracepoint("a:b", args => { count(str(args.f, 9)); printf("%s\\n", str(str(args.g), 4)); })`],
  // a plain value a probe uses may be set in an interval; 010 is octal, as in bpftrace
  [`t:a:b { @x++; } i:s:1 { printf("%d\\n", @x + 010); @x = 0; }`, `tracepoint("a:b", () => $.x++); interval(1, () => { printf("%d\\n", $.x + 0o10); $.x = 0; })`],
  // a struct's field printed with %s is read as a string (bpftrace prints a char array so); args' fields are already
  [`t:a:b { printf("%s %d %s\\n", curtask->comm, curtask->pid, args->comm); }`, `tracepoint("a:b", args => printf("%s %d %s\\n", str(curtask().comm), curtask().pid, args.comm))`],
  // strftime(format, nsecs) in a probe's printf: the event's time
  [`t:a:b { printf("%s %s\\n", strftime("%H:%M:%S", nsecs), comm); }`, `tracepoint("a:b", () => printf("%s %s\\n", strftime("%H:%M:%S", ktime()), comm()))`],
  // profile by period, as a whole rate in Hz; a raw tracepoint's arg1 is args[1] (tsbpf's handler takes them as one array)
  [`profile:ms:100 { @ = count(); } profile:s:1 { @s = count(); }`, `profile(10, () => count()); profile(1, () => $.s = count())`],
  [`rawtracepoint:sys_enter /arg1 == 257/ { @[comm] = count(); }`, `rawTracepoint("sys_enter", args => args[1] == 257 && count(comm()))`],
  // casts: (uint8)x is (x as u8), its operand a name with fields, a call, a bracket or a negative number
  [`t:a:b { $x = (uint8)args->f + (int16)(pid * 2) - (int32)-1 + (uint64)str(args->s, 2); }`, `tracepoint("a:b", args => { let x = (args.f as u8) + ((pid() * 2) as i16) - (-1 as i32) + (str(args.s, 3) as u64); })`],
  // reg() and usym() as tsbpf spells them too
  [`uprobe:/bin/bash:readline { @[usym(reg("ip")), reg("sp") & 0xf] = count(); }`, `uprobe("/bin/bash:readline", () => count(usym(reg("ip")), reg("sp") & 0xf))`],
  // #include lines (the tutorial's path.bt): tsbpf has the kernel's types from BTF
  [`#include <linux/sched.h>\n#include <linux/path.h>\ntracepoint:syscalls:sys_enter_openat { @[comm] = count(); }`, `tracepoint("syscalls:sys_enter_openat", () => count(comm()))`],
  // strncmp(s, "lit", n) == 0: a prefix test (n bytes), or equality when n reaches the literal's NUL
  [`t:a:b /strncmp(comm, "head", 4) == 0/ { if (strncmp("/etc", str(args->f), 9) != 0) { @ = count(); } }`, `tracepoint("a:b", args => { if (((comm()).startsWith("head"))) { if (!(str(args.f) == "/etc")) { count(); } } })`],
  // delete(@m, key) (bpftrace 0.20), a tuple key too
  [`t:a:b { delete(@x, tid); delete(@y, (tid, 1)); }`, `tracepoint("a:b", () => { delete $.x[tid()]; delete $.y[tid(), 1]; })`],
  [`t:a:b /pid > 1/ { if (comm == "a}") { printf("%s\\n", comm); return; } }`, `tracepoint("a:b", () => { if (pid() > 1) { if (comm() == "a}") { printf("%s\\n", comm()); return; } } })`],
  // time() prints the local time: in user space (BEGIN, END, interval) the present, in a probe the event's
  [`t:a:b { time("%H:%M:%S "); printf("%s\\n", comm); }`, `tracepoint("a:b", () => { time("%H:%M:%S "); printf("%s\\n", comm()); })`],
  // time() prints the local time in user space (BEGIN, END, interval)
  [`t:a:b { @ = count(); } interval:s:1 { time("%H:%M:%S "); print(@); clear(@); }`, `tracepoint("a:b", () => count()); interval(1, () => { time("%H:%M:%S "); print($); clear($); })`],
  // A filter's closing / is the last before the body's {: a / in a string, a comment or a division is the filter's own.
  [`tracepoint:syscalls:sys_enter_openat /str(args.filename) == "/etc/hostname"/ { printf("%s\\n", comm); }`,
    `tracepoint("syscalls:sys_enter_openat", args => str(args.filename) == "/etc/hostname" && printf("%s\\n", comm()))`],
  [`t:syscalls:sys_exit_read /args.ret / 2 > 10/ { @ = count(); }`, `tracepoint("syscalls:sys_exit_read", args => args.ret / 2 > 10 && count())`],
  [`t:a:b /comm == "a{b}/"/ { @[comm] = count(); }`, `tracepoint("a:b", () => comm() == "a{b}/" && count(comm()))`],
  [`t:a:b /* a /comment/ { } */ /pid > 1 /* / */ / { // a line } /\n @ = count(); /* } */ }`, `tracepoint("a:b", () => pid() > 1 && count())`],
  [`BEGIN { printf("} /* not a comment */ {\\n"); }`, `begin(() => printf("} /* not a comment */ {\\n"))`],
  // tcplife.bt's and tcpconnect.bt's families, as <linux/socket.h> defines them; ntop is kept.
  // runqlat.bt's TASK_RUNNING, from <linux/sched.h>
  [`t:sched:sched_switch /args->prev_state == TASK_RUNNING/ { @[comm] = count(); }`, `tracepoint("sched:sched_switch", args => args.prev_state == 0 && count(comm()))`],
  [`t:sock:inet_sock_set_state /args->family == AF_INET6/ { printf("%s\\n", ntop(AF_INET6, args->daddr_v6)); }`, `tracepoint("sock:inet_sock_set_state", args => args.family == 10 && printf("%s\\n", ntop(10, args.daddr_v6)))`],
];

test("bpftrace one-liners translate into tsbpf one-liners", () => {
  for (const [bpftrace, tsbpf] of TRANSLATIONS) {
    assert.ok(looksLikeBpftrace(bpftrace), bpftrace);
    assert.deepEqual(translateBpftrace(bpftrace), { oneliner: tsbpf }, bpftrace);
  }
});

test("what has no plain translation is named", () => {
  const why = (text: string) => {
    const t = translateBpftrace(text);
    return "untranslatable" in t ? t.untranslatable : `translated: ${t.oneliner}`;
  };
  assert.match(why(`kprobe:vfs_open { printf("%s\\n", str(((struct path *)arg0)->dentry->d_name.name)); }`), /C cast .*kprobe\("vfs_open", path => printf\("%s\\n", str\(path\.dentry\.d_name\.name\)\)\)/);
  assert.match(why(`t:a:b { @[comm] = count(); } interval:s:1 { zero(@); }`), /"zero": clear\(\$\)/);
  assert.match(why(`watchpoint:0x10000000:8:rw { @[comm] = count(); }`), /the probe "watchpoint:0x10000000:8:rw"/);
  assert.match(why(`software:faults:x { @[comm] = count(); }`), /the probe "software:faults:x"/);
  assert.match(why(`tracepoint:a:b { for ($kv : @m) { @n = count(); } }`), /"for" blocks/);
  assert.match(why(`t:a:b { @++; } i:s:1 { printf("%d\\n", @); }`), /the map @ as a plain value .*name the map instead/);
  assert.match(why(`t:a:b { @ = count(); } i:s:1 { @ = 0; }`), /the map @ as a plain value/);
  assert.match(why(`profile:hz:99 { @[kstack(perf, 3)] = count(); }`), /the stack mode perf: tsbpf prints stacks as bpftrace's default mode does; write kstack or kstack\(N\)/);
  assert.match(why(`tracepoint:a:b { unroll($n) { @n = count(); } }`), /unroll\(\$n\): unroll takes a number from 1 to 100/);
  assert.match(why(`tracepoint:a:b { if (pid > 1) { $s = comm; } printf("%s\\n", $s); }`), /\$s, a string first set inside a block and used after it: set it before the block/);
  assert.match(why(`kprobe:f { @[func] = count(); }`), /bpftrace's "func"/);
  // system and cat run in bpftrace's user space when the event arrives (system only with --unsafe): say where that goes in tsbpf.
  assert.match(why(`t:a:b { system("ls /proc/%d", pid); }`), /"system": bpftrace runs it only with --unsafe[^]*print what the command needs[^]*\| while read[^]*script/);
  assert.match(why(`t:a:b { cat("/proc/%d/status", pid); }`), /"cat": [^]*print what names the file[^]*\| while read[^]*script/);
  // BEGIN, END and interval run in user space: no kernel builtins there.
  assert.match(why(`BEGIN { @start = nsecs; } t:a:b { @ = count(); }`), /nsecs in BEGIN: tsbpf runs BEGIN, END and interval in user space, where there is no nsecs/);
  assert.match(why(`t:a:b { @ = count(); } interval:s:1 { printf("%d\\n", pid); }`), /pid in interval:s:1/);
  assert.match(why(`t:syscalls:sys_enter_write { printf("%s\\n", str(args->buf, args->count)); }`), /str\(args->buf, args->count\): tsbpf's str\(\) reads a fixed number of bytes.*e\.g\. str\(args->buf, 64\)/);
  // maps set in BEGIN, END, interval (user space in tsbpf): only a plain value a probe uses; tuples are named
  assert.match(why(`BEGIN { @a[1, "x"] = count(); exit(); }`), /@a = count\(\) in BEGIN: .*user space, where nothing is aggregated; count\(\) in a probe/);
  assert.match(why(`BEGIN { @m[1] = 1; } t:a:b { @m[2] = 1; }`), /@m\[\.\.\.\] set in BEGIN: .*set them in a probe/);
  assert.match(why(`BEGIN { @x = 1; exit(); }`), /@x set in BEGIN but used by no probe: .*use a \$variable there/);
  assert.match(why(`t:a:b { @m[2] = 1; } END { delete(@m[2]); }`), /delete\(\) in END: .*clear\(@m\)/);
  assert.match(why(`BEGIN { print(("a", 1)); exit(); }`), /the tuple \("a", 1\): tsbpf has tuples only as map keys/);
  assert.match(why(`t:a:b { @c = count(); clear(@c); }`), /clear\(@c\) in a probe: tsbpf empties maps from user space: write it in an interval or END/);
  assert.match(why(`t:a:b { @c = count(); print(@c); }`), /print\(@c\) in a probe: tsbpf prints maps from user space/);
  assert.match(why(`t:a:b { printf("%s\\n", strftime("%H", 5)); }`), /strftime\(\) of another time than nsecs/);
  assert.match(why(`t:a:b { @[strftime("%H", nsecs)] = count(); }`), /"strftime": strftime\("%H:%M:%S", nsecs\) translates as a printf value in a probe/);
  assert.match(why(`profile:us:3000 { @ = count(); }`), /"profile:us:3000": tsbpf's profile\(\) takes a whole rate in Hz .*333\.3+ Hz/);
  assert.match(why(`BEGIN { printf("%d\\n", (uint8)300); }`), /the cast \(uint8\) in BEGIN: .*cast in a probe/);
  // An aggregation's arguments past bpftrace's own count are not taken for a key: hist(n, k) is bpftrace 0.20's sub-bucket hist, which would count n with the value k.
  assert.match(why(`t:a:b { @ = hist(args->flags, 2); }`), /hist\(args->flags, 2\): bpftrace's hist\(n, k\) .*tsbpf's hist\(\) has power-of-two buckets: write hist\(args->flags\)/);
  assert.match(why(`t:a:b { @x[comm] = hist(args->flags, 2); }`), /hist\(args->flags, 2\): bpftrace's hist\(n, k\)/);
  assert.match(why(`t:a:b { @[comm] = sum(1, 2); }`), /sum\(1, 2\): sum\(\) takes 1 argument, got 2/);
  assert.match(why(`t:a:b { @ = lhist(args->ret, 0, 100); }`), /lhist\(args->ret, 0, 100\): lhist\(\) takes 4 arguments, got 3/);
  assert.match(why(`t:a:b { @[comm] = count(1); }`), /count\(1\): count\(\) takes no argument, got 1/);
  // cpid: what it is, and that tsbpf's -c needs no such test.
  assert.match(why(`tracepoint:a:b /pid == cpid/ { @ = count(); }`), /"cpid" \(the pid of the command -c started\).*-c CMD.*traces only CMD.*drop/);
});

test("what stops a translation is located in the program", () => {
  const at = (text: string) => {
    const t = translateBpftrace(text);
    return "at" in t && t.at ? text.slice(t.at.start, t.at.end) + "@" + t.at.start : "nowhere";
  };
  assert.equal(at(`t:a:b /comm == "func"/ { @[func] = count(); }`), "func@27"); // not the one in the string
  assert.equal(at(`t:a:b { @[pid] = count(); } i:s:1 { printf("%d\\n", @kpid); $y = pid; }`), "pid@64"); // in the block it stops
  assert.equal(at(`t:a:b { @[pid] = count(); } t:c:d { @[func] = count(); }`), "func@38");
  assert.equal(at(`t:a:b { @[$x] = count(); if (pid) { $s = comm; } printf("%s", $s); }`), "$s@36"); // its first setting, in the block
});

test("TypeScript one-liners are not taken for bpftrace", () => {
  for (const ts of [`tracepoint("syscalls:sys_enter_openat", a => count())`, `begin(() => print("x"))`, `profile(99, () => count(kstack()))`]) {
    assert.equal(looksLikeBpftrace(ts), false, ts);
  }
});

test("a bpftrace tool file (#! line, comment header, #ifndef BPFTRACE_HAVE_BTF around #include) is recognised and translated", () => {
  // The shape of the tools bpftrace installs (/usr/sbin/*.bt): `tsbpf -e "$(cat tool.bt)"` said "Unexpected token".
  const tool = [
    "#!/usr/bin/env bpftrace",
    "/*",
    " * naps   Print the sleeps of every process.",
    " */",
    "",
    "#ifndef BPFTRACE_HAVE_BTF",
    "#include <linux/time.h>",
    "#else",
    "#include <sys/types.h>",
    "#endif",
    "",
    "BEGIN",
    "{",
    '\tprintf("%-6s %s\\n", "PID", "COMM");',
    "}",
    "",
    "tracepoint:syscalls:sys_enter_nanosleep,",
    "tracepoint:syscalls:sys_enter_clock_nanosleep",
    "{",
    '\tprintf("%-6d %s\\n", pid, comm);',
    "}",
  ].join("\n");
  assert.ok(looksLikeBpftrace(tool));
  assert.deepEqual(translateBpftrace(tool), {
    oneliner: 'begin(() => printf("%-6s %s\\n", "PID", "COMM")); tracepoint("syscalls:sys_enter_nanosleep", () => printf("%-6d %s\\n", pid(), comm())); ' +
      'tracepoint("syscalls:sys_enter_clock_nanosleep", () => printf("%-6d %s\\n", pid(), comm()))',
  });
  // A # that is not a directive is still code (and so not bpftrace's: no { after a spec).
  assert.equal(looksLikeBpftrace("#define X 1\nBEGIN { }"), false);
});

test("the struct definitions a tool keeps for kernels without BTF (#ifndef BPFTRACE_HAVE_BTF ... #endif) are skipped, as bpftrace with BTF does", () => {
  // dcsnoop.bt and runqlen.bt: the parser's "requires enabling the parser plugin: \"structs\"" before.
  const tool = [
    "#ifndef BPFTRACE_HAVE_BTF",
    "#include <linux/fs.h>",
    "struct nameidata {",
    "        struct path     path;",
    "};",
    "#else",
    "#include <linux/sched.h>",
    "#endif",
    "#ifdef BPFTRACE_HAVE_BTF",
    "#else",
    "struct qstr { int len; };",
    "#endif",
    "",
    "tracepoint:syscalls:sys_enter_nanosleep { @[comm] = count(); }",
  ].join("\n");
  assert.ok(looksLikeBpftrace(tool));
  assert.deepEqual(translateBpftrace(tool), { oneliner: 'tracepoint("syscalls:sys_enter_nanosleep", () => count(comm()))' });
});
