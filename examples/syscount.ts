// syscount: system calls counted in the kernel, printed as a top-N table on Ctrl-C (or after
// -d seconds, or every -i seconds). Like bcc's syscount.
//
//   sudo bun run examples/syscount.ts [-P] [-p PID] [-T TOP] [-d SECONDS] [-i SECONDS] [-x]
//   sudo deno run --allow-ffi examples/syscount.ts -P
//
//   -P  count per process instead of per system call     -x  count failed calls only
import { parseArgs } from "node:util";
import process from "node:process";
import { comm, Count, pid, rawTracepoint, type Str, Tracer, type u32, type u64 } from "tsbpf";
import { syscallName } from "../runtime/syscall_names.ts";

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

  /** At the end, the final table instead of bpftrace-style maps. */
  override end(): void {
    console.log(`\n[${new Date().toTimeString().slice(0, 8)}]\n${this.table(this.top)}`);
  }

  /** The top entries as text, and the counts reset for the next interval. */
  table(top: number): string {
    const rows = this.perProcess
      ? this.byProcess.entries().map(([[p, c], n]) => [`${String(p).padEnd(6)} ${c.padEnd(15)}`, n] as const)
      : this.bySyscall.entries().map(([nr, n]) => [syscallName(nr), n] as const);
    rows.sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0));
    // bcc's columns and widths ("%-22s %8d").
    const header = `${(this.perProcess ? "PID    COMM" : "SYSCALL").padEnd(22)} ${"COUNT".padStart(8)}`;
    (this.perProcess ? this.byProcess : this.bySyscall).clear();
    return [header, ...rows.slice(0, top).map(([what, n]) => `${what.padEnd(22)} ${String(n).padStart(8)}`)].join("\n");
  }
}

/** The system call number, from the saved registers (orig_ax on x86-64). */
function syscallNumber(regs: { orig_ax: u64 }): u64 {
  return regs.orig_ax;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      pid: { type: "string", short: "p" }, process: { type: "boolean", short: "P" }, top: { type: "string", short: "T", default: "10" },
      duration: { type: "string", short: "d" }, interval: { type: "string", short: "i" }, failures: { type: "boolean", short: "x" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: syscount.ts [-P] [-p PID] [-T TOP] [-d SECONDS] [-i SECONDS] [-x]");
    process.exit(0);
  }
  const tracer = new SysCount();
  tracer.targetPid = Number(values.pid ?? 0);
  tracer.perProcess = !!values.process;
  tracer.failedOnly = !!values.failures;
  tracer.top = Number(values.top);
  await tracer.start();
  console.log(`Tracing ${values.failures ? "failed " : ""}syscalls, printing top ${tracer.top}... Ctrl+C to quit.`);
  const timers: ReturnType<typeof setTimeout>[] = [];
  if (values.interval) timers.push(setInterval(() => tracer.end(), Number(values.interval) * 1000));
  if (values.duration) timers.push(setTimeout(() => tracer.stop(), Number(values.duration) * 1000));
  await tracer.stopped;
  timers.forEach(clearTimeout);
}
