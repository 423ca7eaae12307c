// killsnoop: one line per kill() system call: who sent which signal to which process, and the
// result. Like bcc's killsnoop (on syscalls:sys_enter_kill and sys_exit_kill, as bpftrace's).
//
//   sudo bun run examples/killsnoop.ts [-x] [-p PID] [-T TPID] [-s SIGNAL] [--json]
//   sudo deno run --allow-ffi examples/killsnoop.ts -x
//
// Stop it with Ctrl-C.
import { comm, HashMap, pid, RingBuf, tid, Tracer, tracepoint, type i32, type Str, type TracepointArgs, type u32 } from "tsbpf";
import { hms, intOption, jsonLine, parseToolArgs, printLine, readTextFile, requireTracepoints, textOnly } from "tsbpf/tool";

interface Pending {
  tpid: i32;
  sig: i32;
}

export interface Kill {
  pid: u32;
  tpid: i32;
  sig: i32;
  ret: i32;
  comm: Str<16>;
}

export class KillSnoop extends Tracer {
  pending = new HashMap<u32, Pending>();
  events = new RingBuf<Kill>(256 * 1024);
  /** Only this sender (0: any). */
  targetPid: u32 = 0;
  /** Only signals to this process (0: any). */
  targetTpid: i32 = 0;
  /** Only this signal (0: any). */
  signal: i32 = 0;
  failedOnly = false;

  @tracepoint("syscalls:sys_enter_kill")
  onEnter(args: TracepointArgs) {
    const tpid = args.pid as i32, sig = args.sig as i32;
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    if (this.targetTpid !== 0 && tpid !== this.targetTpid) return;
    if (this.signal !== 0 && sig !== this.signal) return;
    this.pending.set(tid(), { tpid, sig });
  }

  @tracepoint("syscalls:sys_exit_kill")
  onExit(args: TracepointArgs) {
    if (!this.pending.has(tid())) return;
    const p = this.pending.get(tid())!;
    this.pending.delete(tid());
    const ret = args.ret as i32;
    if (this.failedOnly && ret >= 0) return;
    this.events.submit({ pid: pid(), tpid: p.tpid, sig: p.sig, ret, comm: comm() });
  }
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "killsnoop",
    description: "Trace signals issued by the kill() syscall",
    options: {
      failed: { type: "boolean", short: "x", help: "only show failed kill syscalls" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only which is the sender of signal" },
      tpid: { type: "string", short: "T", value: "TPID", help: "trace this target PID only which is the receiver of signal" },
      signal: { type: "string", short: "s", value: "SIGNAL", help: "trace this signal only" },
    },
    examples: [["", "trace all kill() signals"], ["-x", "only show failed kills"], ["-p 181", "only trace PID 181"], ["-T 189", "only trace target PID 189"], ["-s 9", "only trace signal 9"]],
  });
  requireTracepoints("killsnoop", ["syscalls:sys_enter_kill", "syscalls:sys_exit_kill"], "CONFIG_FTRACE_SYSCALLS");
  const tracer = new KillSnoop();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.targetTpid = intOption("-T", values.tpid);
  tracer.signal = intOption("-s", values.signal);
  tracer.failedOnly = !!values.failed;
  await tracer.start(start);
  // bcc sizes the pid columns from pid_max.
  const w = (readTextFile("/proc/sys/kernel/pid_max")?.trim().length ?? 5) + 1;
  textOnly(`${"TIME".padEnd(9)} ${"PID".padEnd(w)} ${"COMM".padEnd(16)} ${"SIG".padEnd(4)} ${"TPID".padEnd(w)} RESULT`);
  for await (const e of tracer.events) {
    if (values.json) console.log(jsonLine({ time: hms(), pid: e.pid, comm: e.comm, sig: e.sig, tpid: e.tpid, result: e.ret }));
    else printLine(`${hms().padEnd(9)} ${String(e.pid).padEnd(w)} ${e.comm.padEnd(16)} ${String(e.sig).padEnd(4)} ${String(e.tpid).padEnd(w)} ${e.ret}`);
  }
}
