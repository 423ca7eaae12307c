// exitsnoop: one line per process that ends, normally or by a signal: its name, pid, parent,
// age and exit code. Like bcc's exitsnoop. The exit code is read from the task through BTF
// (task->exit_code) when the sched:sched_process_exit tracepoint fires.
//
//   sudo bun run examples/exitsnoop.ts [-t] [--utc] [-p PID] [-x] [--per-thread] [--json]
//   sudo deno run --allow-ffi examples/exitsnoop.ts -x
//
// Stop it with Ctrl-C.
import { comm, curtask, ktime, RingBuf, Tracer, tracepoint, type Str, type TracepointArgs, type u32, type u64 } from "tsbpf";
import { intOption, jsonLine, parseToolArgs, printLine, requireTracepoints, textOnly } from "tsbpf/tool";

export interface Exit {
  start: u64;
  exit: u64;
  pid: u32;
  tid: u32;
  ppid: u32;
  /** The task's exit_code: status << 8 | core dumped (0x80) | terminating signal. */
  code: u32;
  comm: Str<16>;
}

export class ExitSnoop extends Tracer {
  events = new RingBuf<Exit>(256 * 1024);
  /** Only this process (0: every process). */
  targetPid: u32 = 0;
  /** Only exits with a non-zero code or a signal. */
  failedOnly = false;
  /** Every thread that ends, not only whole processes. */
  perThread = false;

  @tracepoint("sched:sched_process_exit")
  onExit(_args: TracepointArgs) {
    const task = curtask();
    if (!this.perThread && task.pid !== task.tgid) return;
    if (this.targetPid !== 0 && task.tgid !== this.targetPid) return;
    const code = task.exit_code as u32;
    if (this.failedOnly && code === 0) return;
    this.events.submit({
      start: task.start_time, exit: ktime(), pid: task.tgid, tid: task.pid, ppid: task.real_parent.tgid, code, comm: comm(),
    });
  }
}

const SIGNALS = ["", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
  "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"];

/** A signal's name without "SIG" (9 → "KILL"), or its number's text. */
export function signalName(sig: number): string {
  return SIGNALS[sig] || (sig >= 34 && sig <= 64 ? `RTMIN+${sig - 34}` : String(sig));
}

/** The EXIT_CODE column as bcc prints it: "0", "code 3", "signal 9 (KILL)", "signal 11 (SEGV), core dumped". */
export function describeExit(code: number): string {
  const status = code >> 8, sig = code & 0x7f, core = code & 0x80;
  if ((code & 0xff) === 0) return status === 0 ? "0" : `code ${status}`;
  return `${sig ? `signal ${sig} (${signalName(sig)})` : ""}${core ? ", core dumped " : ""}`;
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "exitsnoop",
    description: "Trace all process termination (exit, fatal signal)",
    options: {
      timestamp: { type: "boolean", short: "t", help: "include timestamp (local time default)" },
      utc: { type: "boolean", help: "include timestamp in UTC (-t implied)" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      failed: { type: "boolean", short: "x", help: "trace only fails, exclude exit(0)" },
      "per-thread": { type: "boolean", help: "trace per thread termination" },
    },
    examples: [
      ["", "trace all process termination"], ["-x", "trace only fails, exclude exit(0)"], ["-t", "include timestamps (local time)"],
      ["-p 181", "only trace PID 181"], ["--per-thread", "trace per thread termination"],
    ],
  });
  requireTracepoints("exitsnoop", ["sched:sched_process_exit"], "CONFIG_TRACEPOINTS");
  const tracer = new ExitSnoop();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.failedOnly = !!values.failed;
  tracer.perThread = !!values["per-thread"];
  const stamp = values.timestamp || values.utc;
  await tracer.start(start);
  const time = () => {
    const d = new Date();
    return values.utc ? d.toISOString().slice(11, 23) : `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, "0")}`;
  };
  if (!values.json) {
    const zone = values.utc ? "UTC" : new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts().find((p) => p.type === "timeZoneName")?.value;
    textOnly(`${stamp ? `TIME-${zone}`.padEnd(13) : ""}${"PCOMM".padEnd(16)} ${"PID".padEnd(7)} ${"PPID".padEnd(7)} ${"TID".padEnd(7)} ${"AGE(s)".padEnd(7)} ${"EXIT_CODE".padEnd(10)}`);
  }
  for await (const e of tracer.events) {
    const age = Number(e.exit - e.start) / 1e9;
    if (values.json) {
      console.log(jsonLine({
        ...(stamp && { time: time() }), comm: e.comm, pid: e.pid, ppid: e.ppid, tid: e.tid, age: Number(age.toFixed(3)),
        exit_code: e.code >> 8, signal: e.code & 0x7f, core_dumped: (e.code & 0x80) !== 0,
      }));
      continue;
    }
    printLine(`${stamp ? time().padEnd(13) : ""}${e.comm.padEnd(16)} ${String(e.pid).padEnd(7)} ${String(e.ppid).padEnd(7)} ${String(e.tid).padEnd(7)} ${age.toFixed(2).padEnd(7)} ${describeExit(e.code)}`);
  }
}
