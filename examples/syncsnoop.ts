// syncsnoop: one line per call that flushes data to disk: sync, syncfs, fsync, fdatasync,
// sync_file_range and msync. Like bpftrace's syncsnoop.bt (bcc's traces only sync()), with the
// file descriptor where the call has one.
//
//   sudo bun run examples/syncsnoop.ts [-p PID] [--json]
//   sudo deno run --allow-ffi examples/syncsnoop.ts
//
// Stop it with Ctrl-C.
import { comm, ktime, pid, RingBuf, Tracer, tracepoint, type i32, type Str, type TracepointArgs, type u32, type u64, type u8 } from "tsbpf";
import { hms, intOption, jsonLine, parseToolArgs, printLine, requireTracepoints, textOnly } from "tsbpf/tool";

/** The calls, by their index in events. */
export const CALLS = ["sync", "syncfs", "fsync", "fdatasync", "sync_file_range", "msync"] as const;

export interface Sync {
  ts: u64;
  pid: u32;
  /** The file descriptor (-1: the call takes none). */
  fd: i32;
  call: u8;
  comm: Str<16>;
}

/** Whether the -p filter drops this task. */
const skip = (target: u32) => target !== 0 && pid() !== target;

export class SyncSnoop extends Tracer {
  events = new RingBuf<Sync>(256 * 1024);
  /** Only this process (0: every process). */
  targetPid: u32 = 0;

  @tracepoint("syscalls:sys_enter_sync")
  onSync(_args: TracepointArgs) {
    if (!skip(this.targetPid)) this.events.submit({ ts: ktime(), pid: pid(), fd: -1, call: 0, comm: comm() });
  }
  @tracepoint("syscalls:sys_enter_syncfs")
  onSyncfs(args: TracepointArgs) {
    if (!skip(this.targetPid)) this.events.submit({ ts: ktime(), pid: pid(), fd: args.fd, call: 1, comm: comm() });
  }
  @tracepoint("syscalls:sys_enter_fsync")
  onFsync(args: TracepointArgs) {
    if (!skip(this.targetPid)) this.events.submit({ ts: ktime(), pid: pid(), fd: args.fd, call: 2, comm: comm() });
  }
  @tracepoint("syscalls:sys_enter_fdatasync")
  onFdatasync(args: TracepointArgs) {
    if (!skip(this.targetPid)) this.events.submit({ ts: ktime(), pid: pid(), fd: args.fd, call: 3, comm: comm() });
  }
  @tracepoint("syscalls:sys_enter_sync_file_range")
  onSyncFileRange(args: TracepointArgs) {
    if (!skip(this.targetPid)) this.events.submit({ ts: ktime(), pid: pid(), fd: args.fd, call: 4, comm: comm() });
  }
  @tracepoint("syscalls:sys_enter_msync")
  onMsync(_args: TracepointArgs) {
    if (!skip(this.targetPid)) this.events.submit({ ts: ktime(), pid: pid(), fd: -1, call: 5, comm: comm() });
  }
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "syncsnoop",
    description: "Trace sync(), syncfs(), fsync(), fdatasync(), sync_file_range() and msync()",
    options: { pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" } },
    examples: [["", "trace every call that flushes to disk"], ["-p 181", "only PID 181"]],
  });
  requireTracepoints("syncsnoop", CALLS.map((c) => `syscalls:sys_enter_${c}`), "CONFIG_FTRACE_SYSCALLS");
  const tracer = new SyncSnoop();
  tracer.targetPid = intOption("-p", values.pid);
  await tracer.start(start);
  textOnly(`${"TIME".padEnd(9)} ${"PID".padEnd(7)} ${"COMM".padEnd(16)} ${"FD".padStart(3)} CALL`);
  for await (const e of tracer.events) {
    const fd = e.fd < 0 ? "-" : String(e.fd);
    if (values.json) console.log(jsonLine({ time: hms(), pid: e.pid, comm: e.comm, call: CALLS[e.call], ...(e.fd >= 0 && { fd: e.fd }) }));
    else printLine(`${hms().padEnd(9)} ${String(e.pid).padEnd(7)} ${e.comm.padEnd(16)} ${fd.padStart(3)} ${CALLS[e.call]}()`);
  }
}
