// statsnoop: one line per stat-family system call (stat, lstat, fstatat, statx, statfs): who
// asked about which path, and the result. Like bcc's statsnoop, on the syscalls tracepoints
// (entry: the path; exit: the result).
//
// One difference: bcc keeps the path's pointer and reads the string at exit, once the kernel
// has touched it; a handler cannot keep a user pointer from entry to exit yet, so statsnoop
// reads the string at entry, and a path in a page the process has not touched yet (a constant
// string in a library's data never read before) comes out empty.
//
//   sudo bun run examples/statsnoop.ts [-t] [-x] [-p PID] [--json]
//   sudo deno run --allow-ffi examples/statsnoop.ts -x
//
// Stop it with Ctrl-C.
import { comm, HashMap, ktime, pid, RingBuf, str, tid, Tracer, tracepoint, type i32, type Str, type TracepointArgs, type u32, type u64 } from "tsbpf";
import { intOption, jsonLine, parseToolArgs, printLine, requireTracepoints, textOnly } from "tsbpf/tool";

/** The system calls traced (x86-64 names): stat, lstat, fstatat, statx, statfs. */
export const CALLS = ["newstat", "newlstat", "newfstatat", "statx", "statfs"] as const;

export interface Stat {
  ts: u64;
  pid: u32;
  ret: i32;
  comm: Str<16>;
  path: Str<256>;
}

export class StatSnoop extends Tracer {
  pending = new HashMap<u32, Str<256>>();
  events = new RingBuf<Stat>(1024 * 1024);
  /** Only this process (0: every process). */
  targetPid: u32 = 0;
  failedOnly = false;

  // Entry: the path, read now (user memory), kept per thread until the call returns.
  // (The handlers repeat themselves: a function called from a handler cannot take a map yet.
  // The path goes from the map straight into the event: a local copy would not fit the stack.)
  @tracepoint("syscalls:sys_enter_newstat")
  onStat(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.pending.set(tid(), str(args.filename));
  }

  @tracepoint("syscalls:sys_enter_newlstat")
  onLstat(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.pending.set(tid(), str(args.filename));
  }

  @tracepoint("syscalls:sys_enter_newfstatat")
  onFstatat(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.pending.set(tid(), str(args.filename));
  }

  @tracepoint("syscalls:sys_enter_statx")
  onStatx(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.pending.set(tid(), str(args.filename));
  }

  @tracepoint("syscalls:sys_enter_statfs")
  onStatfs(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.pending.set(tid(), str(args.pathname));
  }

  @tracepoint("syscalls:sys_exit_newstat")
  onStatExit(args: TracepointArgs) {
    if (!this.pending.has(tid())) return;
    if (!this.failedOnly || args.ret < 0) {
      this.events.submit({ ts: ktime(), pid: pid(), ret: args.ret, comm: comm(), path: this.pending.get(tid())! });
    }
    this.pending.delete(tid());
  }

  @tracepoint("syscalls:sys_exit_newlstat")
  onLstatExit(args: TracepointArgs) {
    if (!this.pending.has(tid())) return;
    if (!this.failedOnly || args.ret < 0) {
      this.events.submit({ ts: ktime(), pid: pid(), ret: args.ret, comm: comm(), path: this.pending.get(tid())! });
    }
    this.pending.delete(tid());
  }

  @tracepoint("syscalls:sys_exit_newfstatat")
  onFstatatExit(args: TracepointArgs) {
    if (!this.pending.has(tid())) return;
    if (!this.failedOnly || args.ret < 0) {
      this.events.submit({ ts: ktime(), pid: pid(), ret: args.ret, comm: comm(), path: this.pending.get(tid())! });
    }
    this.pending.delete(tid());
  }

  @tracepoint("syscalls:sys_exit_statx")
  onStatxExit(args: TracepointArgs) {
    if (!this.pending.has(tid())) return;
    if (!this.failedOnly || args.ret < 0) {
      this.events.submit({ ts: ktime(), pid: pid(), ret: args.ret, comm: comm(), path: this.pending.get(tid())! });
    }
    this.pending.delete(tid());
  }

  @tracepoint("syscalls:sys_exit_statfs")
  onStatfsExit(args: TracepointArgs) {
    if (!this.pending.has(tid())) return;
    if (!this.failedOnly || args.ret < 0) {
      this.events.submit({ ts: ktime(), pid: pid(), ret: args.ret, comm: comm(), path: this.pending.get(tid())! });
    }
    this.pending.delete(tid());
  }
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "statsnoop",
    description: "Trace stat() syscalls",
    options: {
      timestamp: { type: "boolean", short: "t", help: "include timestamp on output" },
      failed: { type: "boolean", short: "x", help: "only show failed stats" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
    },
    examples: [["", "trace all stat() syscalls"], ["-t", "include timestamps"], ["-x", "only show failed stats"], ["-p 181", "only trace PID 181"]],
  });
  requireTracepoints("statsnoop", CALLS.flatMap((c) => [`syscalls:sys_enter_${c}`, `syscalls:sys_exit_${c}`]), "CONFIG_FTRACE_SYSCALLS, on x86-64");
  const tracer = new StatSnoop();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.failedOnly = !!values.failed;
  await tracer.start(start);
  textOnly(`${values.timestamp ? "TIME(s)".padEnd(14) : ""}${"PID".padEnd(7)} ${"COMM".padEnd(16)} ${"FD".padStart(4)} ${"ERR".padStart(3)} PATH`);
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    first ??= e.ts;
    const t = (Number(e.ts - first) / 1e9).toFixed(9);
    const [fd, err] = e.ret >= 0 ? [e.ret, 0] : [-1, -e.ret];
    if (values.json) {
      console.log(jsonLine({ ...(values.timestamp && { time: Number(t) }), pid: e.pid, comm: e.comm, ret: e.ret, err, path: e.path }));
    } else {
      printLine(`${values.timestamp ? t.padEnd(14) : ""}${String(e.pid).padEnd(7)} ${e.comm.padEnd(16)} ${String(fd).padStart(4)} ${String(err).padStart(3)} ${e.path}`);
    }
  }
}
