// The help text of every command, with examples. Kept together so they read alike.

export const MAIN_HELP = `tsbpf: tracing scripts for Linux eBPF in TypeScript

usage:
  tsbpf [options] -e 'ONE-LINER'         run a one-liner
  tsbpf [options] run SCRIPT [ARGS...]   run a tracer script, passing ARGS to it
  tsbpf list [PATTERN] [-v] [-p PID]     list probes (tracepoints, kernel functions, uprobes, USDT)
  tsbpf dump SCRIPT                      show each handler's BPF instructions with its TypeScript lines
  tsbpf types [-o FILE]                  write the running kernel's types as TypeScript declarations
  tsbpf build SCRIPT [-o FILE.js]        bundle a script into one file that runs without tsbpf
  tsbpf plan SCRIPT                      what a script would do as root, without loading anything
  tsbpf tools                            the ready-made tools (examples/), one line each
  tsbpf pinned [show NAME | rm NAME]     what tsbpf left pinned in /sys/fs/bpf/tsbpf; read it; remove it
  tsbpf help [COMMAND]                   this text, or a command's

options (for -e and run):
  -e, --eval CODE       the one-liner to run (see: tsbpf help -e)
  -p, --pid PID         trace only process PID
  -c, --command CMD     start CMD once the probes are attached, trace only it, stop when it exits;
                        the exit status is then CMD's (127: not found, 126: not executable);
                        one program, run without a shell (for pipes: -c "sh -c 'a | b'")
  -d, --duration TIME   stop after TIME: 5 (seconds), 1.5s, 500ms, 2m, 3h (1ms to 8760h)
      --cgroup PATH     trace only the tasks of this cgroup v2 and its descendants (a container)
      --metrics ADDR    serve the maps to Prometheus at http://ADDR/metrics (e.g. 127.0.0.1:9435)
      --stats           at the end, each handler's runs and average ns per run (kernel BPF statistics)
      --pin NAME        leave the probes attached after tsbpf ends, pinned in /sys/fs/bpf/tsbpf/NAME
      --emit            with -e: print the tracer script the one-liner becomes, do not run it
      --json            maps, print() and events as JSON lines, in bpftrace's -f json shape
      --verbose         show stack traces with errors
  -h, --help            help
      --version         tsbpf's version

examples:
  sudo tsbpf -e 'tracepoint("syscalls:sys_enter_openat", a => print(comm(), str(a.filename)))'
  sudo tsbpf -e 'tracepoint("raw_syscalls:sys_enter", () => count(comm()))' -d 5
  sudo tsbpf -c 'ls /' -e 'tracepoint("syscalls:sys_exit_read", a => hist(a.ret))'
  sudo tsbpf run examples/syscount.ts -P
  sudo tsbpf list 'syscalls:sys_enter_open*' -v
  tsbpf types -o kernel.d.ts

Ctrl-C stops tracing and prints the results. Tracing needs root (or CAP_BPF and CAP_PERFMON).
See docs/cli.md.`;

export const RUN_HELP = `usage: tsbpf [options] run SCRIPT [ARGS...]

Runs a tracer script (a .ts file with a class extending Tracer) as its own program: ARGS go to
the script untouched, and its own parseArgs sees them as usual. The options before SCRIPT are
tsbpf's; the script reads them from cliOptions (import { cliOptions } from "tsbpf/cli").

SCRIPT may be a link (http or https, a gist's raw file): it is downloaded into a private
directory, its plan is shown (tsbpf plan), and it runs only when you say yes; without a terminal
it does not run unless -y. URL#sha256=HEX pins the content: anything else is refused.

options:
  -p, --pid PID         cliOptions.pid = PID (the script decides how to filter on it)
  -c, --command CMD     start CMD held, set cliOptions.pid to its pid, let it run once the script's
                        first tracer has started, and stop the tracers when it exits (the
                        exit status is then CMD's); CMD never outlives the script
  -d, --duration TIME   stop the script's tracers after TIME (5, 1.5s, 500ms, 2m, 3h; up to 8760h)
      --cgroup PATH     every tracer the script starts traces only this cgroup v2 and below it
      --metrics ADDR    every tracer the script starts serves its maps at http://ADDR/metrics
      --stats           every tracer the script starts prints its handlers' runs and ns per run at its end
      --pin NAME        the script's tracer stays attached after it ends, pinned in /sys/fs/bpf/tsbpf/NAME
                        (a second tracer as NAME-Class); see tsbpf pinned
      --json            the script's maps and events as JSON lines (isJsonOutput() is true in it)
      --verbose         stack traces with errors
  -y, --yes             run a script from a link without asking (review it first: tsbpf plan URL)

examples:
  sudo tsbpf run examples/execsnoop.ts
  sudo tsbpf run 'https://gist.githubusercontent.com/you/ID/raw/trace.ts#sha256=9f86d08...'
  sudo tsbpf run examples/syscount.ts -P -T 5
  sudo tsbpf run -d 10 examples/syscount.ts
  sudo tsbpf run -c 'dd if=/dev/zero of=/dev/null count=1000' examples/syscount.ts`;

export const LIST_HELP = `usage: tsbpf list [PATTERN] [-v] [-p PID]

Lists probes, like bpftrace -l. PATTERN is KIND:TARGET with * and ? as wildcards; without a
kind it matches tracepoints and raw tracepoints.

kinds:
  tracepoint:CATEGORY:NAME     static tracepoints (tracefs available_events)
  rawtracepoint:NAME           raw tracepoints (btf_trace_* in the kernel's BTF)
  kprobe:FUNCTION              kernel functions with BTF (also for kretprobe, fentry, fexit)
  uprobe:BINARY:SYMBOL         function symbols of an ELF file (a path, or a program in PATH)
  usdt:BINARY[:PROVIDER:NAME]  USDT probes of an ELF file
  xdp:DEVICE                   network devices of this namespace, for @xdp("DEVICE")
  cgroupSkb:PATH               cgroup v2 directories (under its mount), for @cgroupSkb(DIR, "PATH")
  socketFilter                 nothing to list: @socketFilter() runs on tracer.attachSocket(fd)
(the packet kinds are decorators of a tracer class, not one-liner probes)

options:
  -v, --verbose   the arguments with their types: tracepoint format fields, BTF prototypes
  -p, --pid PID   a library named without a path (uprobe:libz:*) is the one process PID has mapped
  -h, --help      this text

examples:
  tsbpf list 'tracepoint:syscalls:sys_enter_*'
  tsbpf list 'syscalls:sys_enter_open*' -v
  tsbpf list 'rawtracepoint:sched_*' -v
  tsbpf list 'kprobe:tcp_*'
  tsbpf list 'uprobe:/bin/bash:*readline*'
  tsbpf list 'usdt:/usr/lib/x86_64-linux-gnu/libc.so.6'
  tsbpf list 'xdp:*' -v
  tsbpf list 'cgroupSkb:system.slice/*'`;

export const DUMP_HELP = `usage: tsbpf dump SCRIPT | tsbpf dump -e 'ONE-LINER'

Compiles the script's tracers for this kernel (nothing is loaded) and prints each handler's BPF
instructions, each run of them under the TypeScript line it came from.

options:
  -e, --eval CODE   dump a one-liner's handlers
  -h, --help        this text

examples:
  sudo tsbpf dump examples/opensnoop.ts
  sudo tsbpf dump -e 'tracepoint("raw_syscalls:sys_enter", () => count(comm()))'`;

export const TYPES_HELP = `usage: tsbpf types [-o FILE]

Writes TypeScript declarations of the running kernel's types, from its BTF
(/sys/kernel/btf/vmlinux): every struct and union as an interface, enums, typedefs, and the
kernel functions' prototypes (as the parameter types of @kprobe handlers). Deterministic: the
same kernel gives the same file.

By default it writes kernel.d.ts beside tsbpf's kernel.ts, which "tsbpf/kernel" re-exports, so
  import type { sock, task_struct } from "tsbpf/kernel";
type-checks and autocompletes in any editor that uses TypeScript.

options:
  -o, --output FILE   write here instead ("-" for stdout)
      --btf FILE      read this BTF instead of the running kernel's
  -h, --help          this text

examples:
  tsbpf types
  tsbpf types -o kernel-6.1.d.ts --btf /sys/kernel/btf/vmlinux`;

export const ONELINER_HELP = `usage: tsbpf [options] -e 'ONE-LINER' [WORDS...]

A one-liner is TypeScript: probe calls, each with an arrow function that runs in the kernel.

  tracepoint("CATEGORY:NAME", args => ...)    args: the tracepoint's fields (tsbpf list -v)
  rawTracepoint("NAME", args => ...)
  kprobe("FUNCTION", (arg1, arg2) => ...)     the kernel function's arguments
  kretprobe("FUNCTION", ret => ...)           its return value
  uprobe("/bin/bash:readline", ...), usdt("BINARY:PROVIDER:NAME", ...)
  profile(99, () => ...)                      sampling at 99 Hz on every CPU
  begin(() => ...)  end(() => ...)            run in user space, at the start and at the end
  interval(SECONDS, () => ...)                runs in user space every SECONDS; exit() stops

Separate probes with ";". Probe names take * and ? wildcards ("syscalls:sys_enter_*"); probe()
is then the name of the probe that fired.

In the kernel:
  print(a, b, ...)            one line, the values separated by spaces
  printf("%s %d\\n", a, b)     formatted (%d %u %x %s %c %%, with widths: %-16s %8d)
  count(key?)                 @[key] = count()
  sum(key?, n) min max avg stats(key?, n)
  hist(key?, n)  lhist(key?, n, min, max, step)
  $.name[key] = agg(...)      the same into a named map: $.bytes = hist(a.ret) prints @bytes
  $.start[tid()] = ktime()    a map of values; read $.start[tid()] (0 when absent); delete $.start[tid()]
  cond && action              runs action only when cond holds (like bpftrace's /filter/)
  pid() tid() uid() comm() ktime() cpu() str(p) curtask() kstack() kstack(5) elapsed() ...
  join(a.argv)                execve's arguments on one line
  $1, str($2)                 the words after the one-liner: a number, a string

examples:
  sudo tsbpf -e 'tracepoint("syscalls:sys_enter_openat", a => printf("%s %s\\n", comm(), str(a.filename)))'
  sudo tsbpf -e 'tracepoint("raw_syscalls:sys_enter", () => count(comm()))'
  sudo tsbpf -e 'tracepoint("syscalls:sys_exit_read", a => pid() == 1234 && hist(a.ret))'
  sudo tsbpf -e 'tracepoint("sched:sched*", () => count(probe())); interval(5, () => exit())'
  sudo tsbpf -e 'profile(99, () => count(kstack()))'
  sudo tsbpf --emit -e 'tracepoint("raw_syscalls:sys_enter", () => count(comm()))'   # the script it becomes
See docs/cli.md for the ten classic bpftrace one-liners in this form.`;

export const PLAN_HELP = `usage: tsbpf plan SCRIPT|URL

Compiles a tracer script without loading anything into the kernel and prints what it would do
as root: every tracer class it can start (in the modules it imports, in blocks, ifs and class
expressions too), every probe, every map and the kernel memory it may take, every helper its
handlers call, a warning for each helper that changes the system (bpf_send_signal, ...), and what
its user-space code can do: write or read files, spawn processes, use the network, call native
code, send signals, read the environment. What plan cannot decide from the text (eval, import()
of a computed name, ...) is listed under "cannot vouch for". "verdict: it only observes" is
printed only when none of these says otherwise. Read it before running a script someone sent you.
SCRIPT may be a bundle from tsbpf build: plan then reviews the sources it embeds.
Exit status: 0 when the plan is printed (whatever its verdict), 1 when the script or a module it
imports does not parse (each syntax error is printed at file:line:col) or cannot be read.

example:
  tsbpf plan examples/opensnoop.ts`;

export const BUILD_HELP = `usage: tsbpf build SCRIPT [-o FILE.js] [--compile] [--key FILE]
       tsbpf build --show-key [--key FILE]

Bundles a tracer script (esbuild) into one JavaScript file with its handlers precompiled, which
runs with \`bun FILE.js\` or \`deno run --allow-ffi FILE.js\` where tsbpf is not installed, and on
other kernels. The bundle is signed with this host's key (made on first use, in root's
~/.config/tsbpf) or with --key's. Where it runs, the precompiled programs load as they are (no
parser, no compiler) when a key root trusts signed them and the kernel is one they fit: this
host's own key, or one listed in /etc/tsbpf/trusted-keys (root's, writable only by root). Any
other bundle compiles its handlers from the source it embeds (what tsbpf plan FILE.js reviews;
cached after the first start): edited or untrusted instructions are never loaded.

options:
  -o, --output FILE   where to write (default: SCRIPT with .bundle.js; with --compile, SCRIPT's name)
      --compile       one executable with the runtime inside (bun build --compile, or deno compile
                      under Deno): runs where neither Bun nor Deno is installed; Bun's carries the
                      bundle's bytecode, and starts faster than the script
      --key FILE      sign with this Ed25519 key (PKCS#8 PEM, readable only by you; a fleet's key:
                      openssl genpkey -algorithm ed25519 -out FILE) instead of the host's
      --show-key      print the public line of the signing key, for /etc/tsbpf/trusted-keys elsewhere
  -h, --help          this text

examples:
  sudo tsbpf build examples/opensnoop.ts -o opensnoop.js
  sudo bun opensnoop.js`;

export const TOOLS_HELP = `usage: tsbpf tools

Lists the tools that come with tsbpf (examples/: execsnoop, opensnoop, profile, ...), each with
what it shows. Each is a script: run it with tsbpf run, and see its options with -h.

examples:
  tsbpf tools
  sudo tsbpf run examples/execsnoop.ts
  tsbpf run examples/runqlat.ts -h`;

export const PINNED_HELP = `usage: tsbpf pinned [--json] | tsbpf pinned show NAME | tsbpf pinned rm NAME

What tsbpf pinned in /sys/fs/bpf/tsbpf: maps declared with { pin: NAME } (new HashMap(1024, { pin: "conns" })),
and tracers started with --pin NAME or start({ pin: NAME }), which stay attached after their process ends.
Lists each with when and by which tracer it was pinned, its handlers' program and link ids and its map ids.

  show NAME   print the pinned maps as the tracer would (--json: as JSON lines)
  rm NAME     unpin: the handlers detach and the maps go once nothing else holds them

examples:
  sudo tsbpf --pin opens -e 'tracepoint("syscalls:sys_enter_openat", () => count(comm()))' -d 1
  sudo tsbpf pinned
  sudo tsbpf pinned show opens
  sudo tsbpf pinned rm opens`;

export const HELP: Record<string, string> = {
  pinned: PINNED_HELP,
  run: RUN_HELP, list: LIST_HELP, dump: DUMP_HELP, types: TYPES_HELP, build: BUILD_HELP, plan: PLAN_HELP, tools: TOOLS_HELP, "-e": ONELINER_HELP, eval: ONELINER_HELP, oneliner: ONELINER_HELP,
};
