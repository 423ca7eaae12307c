// syscount: system calls counted in the kernel, printed as a top-N table on Ctrl-C (or after
// -d seconds, or every -i seconds). Like bcc's syscount.
//
//   sudo bun run examples/syscount.ts [-P] [-p PID] [-T TOP] [-d SECONDS] [-i SECONDS] [-x] [--json]
//   sudo deno run --allow-ffi examples/syscount.ts -P
//
//   -P  count per process instead of per system call     -x  count failed calls only
import { comm, Count, pid, rawTracepoint, type Str, Tracer, type u32, type u64 } from "tsbpf";
import { emit, hms, intOption, notice, parseToolArgs, requireTracepoints, runTool, syscallName } from "tsbpf/tool";

export class SysCount extends Tracer {
  bySyscall = new Count<u64>();
  byProcess = new Count<[u32, Str<16>]>();
  /** Only this process (0: every process). */
  targetPid: u32 = 0;
  perProcess = false;
  failedOnly = false;
  /** Rows printed per table (user space only). */
  top = 10;

  @rawTracepoint("sys_exit")
  onExit(args: { regs: { orig_ax: u64 }; ret: bigint }) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    if (this.failedOnly && args.ret >= 0) return;
    if (this.perProcess) this.byProcess.add([pid(), comm()]);
    else this.bySyscall.add(syscallNumber(args.regs));
  }

  /**
   * The table of this interval (or at the end), instead of bpftrace-style maps; in JSON mode one
   * line: `{"time", "syscalls": {name: count}}`, or with -P `{"time", "processes": [{pid, comm, count}]}`.
   */
  override end(): void {
    this.print();
  }

  /** Prints the table (or its JSON line); the counts start again from zero. */
  print(): void {
    const time = hms(), rows = this.rows(this.top);
    const record = this.perProcess
      ? { time, processes: rows.map((r) => ({ pid: r.pid, comm: r.comm, count: r.count })) }
      : { time, syscalls: Object.fromEntries(rows.map((r) => [r.name, r.count])) };
    emit(record, () => `\n[${time}]\n${this.format(rows)}`);
  }

  /** The top entries as text, and the counts reset for the next interval. */
  table(top: number): string {
    return this.format(this.rows(top));
  }

  /** The `top` entries, most first, and the counts reset for the next interval. */
  rows(top: number): { name: string; pid?: number; comm?: string; count: bigint }[] {
    const rows = this.perProcess
      ? this.byProcess.entries().map(([[p, c], count]) => ({ name: `${String(p).padEnd(6)} ${c.padEnd(15)}`, pid: p, comm: c, count }))
      : this.bySyscall.entries().map(([nr, count]) => ({ name: syscallName(nr), count }));
    rows.sort((a, b) => (b.count > a.count ? 1 : b.count < a.count ? -1 : 0));
    (this.perProcess ? this.byProcess : this.bySyscall).clear();
    return rows.slice(0, top);
  }

  /** bcc's columns and widths ("%-22s %8d"). */
  format(rows: { name: string; count: bigint }[]): string {
    const header = `${(this.perProcess ? "PID    COMM" : "SYSCALL").padEnd(22)} ${"COUNT".padStart(8)}`;
    return [header, ...rows.map((r) => `${r.name.padEnd(22)} ${String(r.count).padStart(8)}`)].join("\n");
  }
}

/** The system call number, from the saved registers (orig_ax on x86-64). */
function syscallNumber(regs: { orig_ax: u64 }): u64 {
  return regs.orig_ax;
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "syscount",
    description: "Summarize syscall counts",
    options: {
      pid: { type: "string", short: "p", value: "PID", help: "trace only this pid" },
      process: { type: "boolean", short: "P", help: "count by process and not by syscall" },
      top: { type: "string", short: "T", value: "TOP", help: "print only the top syscalls by count (default 10)" },
      duration: { type: "string", short: "d", value: "DURATION", help: "total duration of trace, in seconds" },
      interval: { type: "string", short: "i", value: "INTERVAL", help: "print summary at this interval (seconds)" },
      failures: { type: "boolean", short: "x", help: "trace only failed syscalls" },
    },
    examples: [
      ["", "count syscalls until Ctrl-C"], ["-P", "count by process"], ["-p 185", "only PID 185"], ["-i 1 -T 5", "top 5 every second"],
      ["-x", "only failed syscalls"], ["-d 10", "for 10 seconds"],
    ],
  });
  requireTracepoints("syscount", ["raw_syscalls:sys_exit"], "CONFIG_FTRACE_SYSCALLS");
  const tracer = new SysCount();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.perProcess = !!values.process;
  tracer.failedOnly = !!values.failures;
  tracer.top = intOption("-T", values.top, 10);
  const interval = intOption("-i", values.interval), duration = intOption("-d", values.duration);
  await tracer.start(start);
  notice(`Tracing ${values.failures ? "failed " : ""}syscalls, printing top ${tracer.top}... Ctrl+C to quit.`);
  await runTool(tracer, { interval: interval || undefined, duration: duration || undefined, report: () => tracer.print() });
}
