// syscount: system calls counted in the kernel, printed as a top-N table on Ctrl-C (or after
// -d seconds, or every -i seconds). Like bcc's syscount, with its filters and -L latencies.
//
//   sudo bun run examples/syscount.ts [-P] [-p PID | -t TID | -c PPID] [-T TOP] [-d SECONDS] [-i SECONDS]
//                                     [-x | -e ERRNO] [-L [-m]] [--syscall NAME] [-l] [--json]
//   sudo deno run --allow-ffi examples/syscount.ts -P
//
//   -P  count per process instead of per system call     -x  count failed calls only
//   -L  also the time spent in the calls (in µs, -m ms), sorted by it
import process from "node:process";
import { comm, Count, HashMap, ktime, pid, ppid, rawTracepoint, type Str, Sum, tid, Tracer, type i64, type u32, type u64 } from "tsbpf";
import { emit, errnoName, hms, intOption, notice, parseToolArgs, requireTracepoints, runTool, syscallName, usageError } from "tsbpf/tool";

/** x86-64's system call numbers are below this (syscall_names.ts's table ends at 450). */
const SYSCALLS = 512;

export class SysCount extends Tracer {
  bySyscall = new Count<u64>();
  byProcess = new Count<[u32, Str<16>]>();
  /** -L: nanoseconds spent in the calls, per call or per process, and when each thread's call began. */
  timeBySyscall = new Sum<u64>();
  timeByProcess = new Sum<[u32, Str<16>]>();
  began = new HashMap<u32, u64>();
  /** Only this process, thread or parent's children (0: any). */
  targetPid: u32 = 0;
  targetTid: u32 = 0;
  targetPpid: u32 = 0;
  /** Only this system call (-1: any), only calls failing with this errno (0: any). */
  syscall: i64 = -1n;
  errno: i64 = 0n;
  perProcess = false;
  failedOnly = false;
  latency = false;
  /** Rows printed per table, and -L's unit (user space only). */
  top = 10;
  milliseconds = false;

  traced(nr: u64): boolean {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return false;
    if (this.targetTid !== 0 && tid() !== this.targetTid) return false;
    if (this.targetPpid !== 0 && ppid() !== this.targetPpid) return false;
    return this.syscall < 0n || nr === (this.syscall as u64);
  }

  @rawTracepoint("sys_exit")
  onExit(args: { regs: { orig_ax: u64 }; ret: bigint }) {
    const nr = syscallNumber(args.regs);
    if (!this.traced(nr)) return;
    if (this.failedOnly && args.ret >= 0) return;
    if (this.errno !== 0n && args.ret !== -this.errno) return;
    let spent = 0n;
    if (this.latency) {
      const began = this.began.get(tid())!;
      if (began === 0n) return;
      this.began.delete(tid());
      spent = ktime() - began;
    }
    if (this.perProcess) {
      this.byProcess.add([pid(), comm()]);
      if (this.latency) this.timeByProcess.add([pid(), comm()], spent);
    } else {
      this.bySyscall.add(nr);
      if (this.latency) this.timeBySyscall.add(nr, spent);
    }
  }

  /**
   * The table of this interval (or at the end), instead of bpftrace-style maps; in JSON mode one
   * line: `{"time", "syscalls": {name: count}}`, or with -P `{"time", "processes": [{pid, comm, count}]}`;
   * with -L each count is `{count, time}` (time in the table's unit).
   */
  override end(): void {
    this.print();
  }

  /** Prints the table (or its JSON line); the counts start again from zero. */
  print(): void {
    const time = hms(), rows = this.rows(this.top);
    const value = (r: Row) => (this.latency ? { count: r.count, time: this.inUnit(r.ns) } : r.count);
    const record = this.perProcess
      ? { time, processes: rows.map((r) => ({ pid: r.pid, comm: r.comm, ...(this.latency ? value(r) as object : { count: r.count }) })) }
      : { time, syscalls: Object.fromEntries(rows.map((r) => [r.name, value(r)])) };
    emit(record, () => ["", `[${time}]`, ...this.format(rows)]);
  }

  /** The top entries as text, and the counts reset for the next interval. */
  table(top: number): string {
    return this.format(this.rows(top)).join("\n");
  }

  /** The `top` entries, most first (by count, or with -L by time), and the counts reset for the next interval. */
  rows(top: number): Row[] {
    const spent = new Map<string, bigint>();
    const keyText = (k: bigint | [number, string]) => String(k);
    for (const [k, ns] of this.perProcess ? this.timeByProcess.entries() : this.timeBySyscall.entries()) spent.set(keyText(k), ns);
    const rows: Row[] = this.perProcess
      ? this.byProcess.entries().map(([[p, c], count]) => ({ name: `${String(p).padEnd(6)} ${c.padEnd(15)}`, pid: p, comm: c, count, ns: spent.get(keyText([p, c])) ?? 0n }))
      : this.bySyscall.entries().map(([nr, count]) => ({ name: syscallName(nr), count, ns: spent.get(keyText(nr)) ?? 0n }));
    const key = (r: Row) => (this.latency ? r.ns : r.count);
    rows.sort((a, b) => (key(b) > key(a) ? 1 : key(b) < key(a) ? -1 : 0));
    for (const m of [this.byProcess, this.bySyscall, this.timeByProcess, this.timeBySyscall]) m.clear();
    return rows.slice(0, top);
  }

  /** bcc's columns and widths ("%-22s %8d", and with -L " %16.3f" µs or " %16.6f" ms). */
  format(rows: Row[]): string[] {
    const name = (this.perProcess ? "PID    COMM" : "SYSCALL").padEnd(22);
    if (!this.latency) return [`${name} ${"COUNT".padStart(8)}`, ...rows.map((r) => `${r.name.padEnd(22)} ${String(r.count).padStart(8)}`)];
    const header = `${name} ${"COUNT".padStart(8)} ${(this.milliseconds ? "TIME (ms)" : "TIME (us)").padStart(16)}`;
    const digits = this.milliseconds ? 6 : 3;
    return [header, ...rows.map((r) => `${r.name.padEnd(22)} ${String(r.count).padStart(8)} ${this.inUnit(r.ns).toFixed(digits).padStart(16)}`)];
  }

  inUnit(ns: bigint): number {
    return Number(ns) / (this.milliseconds ? 1e6 : 1e3);
  }
}

/** syscount -L: the time each call began, on a second handler that plain counting does without (it would run on every system call). */
export class SysCountLatency extends SysCount {
  override latency = true;

  @rawTracepoint("sys_enter")
  onEnter(args: { regs: unknown; id: u64 }) {
    if (this.traced(args.id)) this.began.set(tid(), ktime());
  }
}

interface Row { name: string; pid?: number; comm?: string; count: bigint; ns: bigint }

/** The system call number, from the saved registers (orig_ax on x86-64). */
function syscallNumber(regs: { orig_ax: u64 }): u64 {
  return regs.orig_ax;
}

/** The system calls by name, four to a line in columns, as bcc's -l prints them. */
function syscallList(): string {
  const names = Array.from({ length: SYSCALLS }, (_, nr) => syscallName(nr)).filter((n) => !n.startsWith("syscall_"));
  const lines: string[] = [];
  for (let i = 0; i < names.length; i += 4) lines.push(names.slice(i, i + 4).map((n) => n.padEnd(22)).join("   ").trimEnd());
  return lines.join("\n");
}

/** -e: an errno by number or name (EPERM), as bcc's. */
function errnoOption(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  for (let n = 1; n < 4096; n++) if (errnoName(n) === text) return n;
  return usageError(`argument -e/--errno: couldn't map ${text} to an errno`);
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "syscount",
    description: "Summarize syscall counts and latencies.",
    options: {
      pid: { type: "string", short: "p", value: "PID", help: "trace only this pid" },
      tid: { type: "string", short: "t", value: "TID", help: "trace only this tid" },
      ppid: { type: "string", short: "c", value: "PPID", help: "trace only child of this pid" },
      interval: { type: "string", short: "i", value: "INTERVAL", help: "print summary at this interval (seconds)" },
      duration: { type: "string", short: "d", value: "DURATION", help: "total duration of trace, in seconds" },
      top: { type: "string", short: "T", value: "TOP", help: "print only the top syscalls by count or latency (default 10)" },
      failures: { type: "boolean", short: "x", help: "trace only failed syscalls (return < 0)" },
      errno: { type: "string", short: "e", value: "ERRNO", help: "trace only syscalls that return this error (numeric or EPERM, etc.)" },
      latency: { type: "boolean", short: "L", help: "collect syscall latency" },
      milliseconds: { type: "boolean", short: "m", help: "display latency in milliseconds (default: microseconds)" },
      process: { type: "boolean", short: "P", help: "count by process and not by syscall" },
      list: { type: "boolean", short: "l", help: "print list of recognized syscalls and exit" },
      syscall: { type: "string", value: "SYSCALL", help: "trace this syscall only (use option -l to get all recognized syscalls)" },
    },
    examples: [
      ["", "count syscalls until Ctrl-C"], ["-P", "count by process"], ["-p 185", "only PID 185"], ["-i 1 -T 5", "top 5 every second"],
      ["-x", "only failed syscalls"], ["-e ENOENT", "only syscalls failing with ENOENT"], ["-L", "syscall latency (sorted by it)"],
      ["-L -m", "latency in milliseconds"], ["--syscall openat", "only openat"], ["-d 10", "for 10 seconds"],
    ],
  });
  if (values.list) {
    console.log(syscallList());
    process.exit(0);
  }
  let syscall = -1;
  if (values.syscall !== undefined) {
    syscall = Array.from({ length: SYSCALLS }, (_, nr) => syscallName(nr)).indexOf(values.syscall);
    if (syscall < 0) {
      console.log(`Error: syscall '${values.syscall}' not found. Exiting.`);
      process.exit(1);
    }
  }
  requireTracepoints("syscount", values.latency ? ["raw_syscalls:sys_enter", "raw_syscalls:sys_exit"] : ["raw_syscalls:sys_exit"], "CONFIG_FTRACE_SYSCALLS");
  const tracer = values.latency ? new SysCountLatency() : new SysCount();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.targetTid = intOption("-t", values.tid);
  tracer.targetPpid = intOption("-c", values.ppid);
  tracer.syscall = BigInt(syscall);
  tracer.errno = values.errno === undefined ? 0n : BigInt(errnoOption(values.errno));
  tracer.perProcess = !!values.process;
  tracer.failedOnly = !!values.failures;
  tracer.milliseconds = !!values.milliseconds;
  tracer.top = intOption("-T", values.top, 10);
  const interval = intOption("-i", values.interval), duration = intOption("-d", values.duration);
  await tracer.start(start);
  // bcc's line; -e's errno by its name ("Tracing 2 syscalls" would read as a number of calls).
  const what = values.failures ? "failed " : tracer.errno !== 0n ? `${errnoName(Number(tracer.errno))} ` : "";
  notice(values.syscall !== undefined ? `Tracing ${what}syscall '${values.syscall}'... Ctrl+C to quit.` : `Tracing ${what}syscalls, printing top ${tracer.top}... Ctrl+C to quit.`);
  await runTool(tracer, { interval: interval || undefined, duration: duration || undefined, report: () => tracer.print() });
}
