// opensnoop: one line per openat() on the machine: who opened which file, and the result (the
// file descriptor, or the error). Like bcc's opensnoop and bpftrace's opensnoop.bt: the path is
// kept at entry, the line is printed at exit with the result.
//
// As in statsnoop, the path is read at entry (bcc reads it at exit, through the pointer it
// kept): a path in a page the process has not touched yet can come out empty.
//
//   sudo bun run examples/opensnoop.ts [-T] [-U] [-x] [-e] [-p PID] [-t TID] [-u UID] [-n NAME] [--json]
//   sudo deno run --allow-ffi examples/opensnoop.ts
//
// Stop it with Ctrl-C.
import { comm, HashMap, ktime, pid, RingBuf, str, tid, Tracer, tracepoint, uid, type i32, type Str, type TracepointArgs, type u32, type u64 } from "tsbpf";
import { emit, intOption, parseToolArgs, requireTracepoints, textOnly, uidOption } from "tsbpf/tool";

interface Open {
  ts: u64;
  pid: u32;
  tid: u32;
  uid: u32;
  comm: Str<16>;
  flags: i32;
  /** The file descriptor, or minus the error number. */
  ret: i32;
  filename: Str<256>;
}

export class OpenSnoop extends Tracer {
  paths = new HashMap<u32, Str<256>>();
  flags = new HashMap<u32, i32>();
  events = new RingBuf<Open>(256 * 1024);
  /** Only this process (0: every process). */
  targetPid: u32 = 0;
  /** Only this thread (0: every thread). */
  targetTid: u32 = 0;
  /** Only the user targetUid, when set (bcc's -u 0 filters nothing; here it is root). */
  byUid = false;
  targetUid: u32 = 0;
  failedOnly = false;

  @tracepoint("syscalls:sys_enter_openat")
  onOpen(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    if (this.targetTid !== 0 && tid() !== this.targetTid) return;
    if (this.byUid && uid() !== this.targetUid) return;
    this.paths.set(tid(), str(args.filename));
    this.flags.set(tid(), args.flags);
  }

  @tracepoint("syscalls:sys_exit_openat")
  onOpenExit(args: TracepointArgs) {
    if (!this.paths.has(tid())) return;
    if (!this.failedOnly || args.ret < 0) {
      // The path goes from the map straight into the event: a local copy would not fit the stack.
      this.events.submit({ pid: pid(), tid: tid(), uid: uid(), ts: ktime(), comm: comm(), flags: this.flags.get(tid())!, ret: args.ret, filename: this.paths.get(tid())! });
    }
    this.paths.delete(tid());
    this.flags.delete(tid());
  }
}

/** open(2) flags as the C names, for people who read strace. */
export function formatFlags(flags: number): string {
  const access = ["O_RDONLY", "O_WRONLY", "O_RDWR"][flags & 3] ?? "O_ACCMODE";
  const names: [number, string][] = [
    [0o100, "O_CREAT"], [0o200, "O_EXCL"], [0o1000, "O_TRUNC"], [0o2000, "O_APPEND"], [0o4000, "O_NONBLOCK"],
    [0o200000, "O_DIRECTORY"], [0o400000, "O_NOFOLLOW"], [0o2000000, "O_CLOEXEC"],
  ];
  return [access, ...names.filter(([bit]) => flags & bit).map(([, n]) => n)].join("|");
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "opensnoop",
    description: "Trace open() syscalls",
    options: {
      timestamp: { type: "boolean", short: "T", help: "include timestamp on output" },
      "print-uid": { type: "boolean", short: "U", help: "print UID column" },
      failed: { type: "boolean", short: "x", help: "only show failed opens" },
      extended_fields: { type: "boolean", short: "e", help: "show the open flags (as C names; bcc prints them in octal)" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      tid: { type: "string", short: "t", value: "TID", help: "trace this TID only" },
      uid: { type: "string", short: "u", value: "UID", help: "trace this UID only" },
      name: { type: "string", short: "n", value: "NAME", help: "only print process names containing this name" },
    },
    examples: [["", "trace all open() syscalls"], ["-T", "include timestamps"], ["-U", "include UID"], ["-x", "only show failed opens"], ["-p 181", "only trace PID 181"],
      ["-t 123", "only trace TID 123"], ["-u 1000", "only trace UID 1000"], ["-n main", "only print process names containing \"main\""], ["-e", "show the open flags"]],
  });
  requireTracepoints("opensnoop", ["syscalls:sys_enter_openat", "syscalls:sys_exit_openat"], "CONFIG_FTRACE_SYSCALLS");
  const tracer = new OpenSnoop();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.targetTid = intOption("-t", values.tid);
  tracer.byUid = values.uid !== undefined;
  tracer.targetUid = uidOption("-u", values.uid);
  tracer.failedOnly = !!values.failed;
  await tracer.start(start);
  // bcc's -T and -U columns come first, each its width and no separator (its "%-14s" and "%-6s"); -t shows the thread.
  const prefix = (time: string, uid: string) => `${values.timestamp ? time.padEnd(14) : ""}${values["print-uid"] ? uid.padEnd(6) : ""}`;
  textOnly(`${prefix("TIME(s)", "UID")}${(values.tid ? "TID" : "PID").padEnd(7)} ${"COMM".padEnd(16)} ${"FD".padStart(3)} ${"ERR".padStart(3)} ${values.extended_fields ? `${"FLAGS".padEnd(28)} ` : ""}PATH`);
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    first ??= e.ts;
    // bcc counts in the kernel but prints only the names holding -n's text.
    if (values.name !== undefined && !e.comm.includes(values.name)) continue;
    const [fd, err] = e.ret >= 0 ? [e.ret, 0] : [-1, -e.ret];
    // Seconds since the first event, to the microsecond as bcc keeps them, printed with bcc's 9 decimals.
    const time = (Number((e.ts - first) / 1000n) / 1e6).toFixed(9);
    const id = values.tid ? e.tid : e.pid;
    emit({ ...(values.timestamp && { time: Number(time) }), ...(values["print-uid"] && { uid: e.uid }), pid: e.pid, ...(values.tid && { tid: e.tid }), comm: e.comm, fd, err,
      ...(values.extended_fields && { flags: formatFlags(e.flags) }), path: e.filename }, () => {
      const flags = values.extended_fields ? `${formatFlags(e.flags).padEnd(28)} ` : "";
      return `${prefix(time, String(e.uid))}${String(id).padEnd(7)} ${e.comm.padEnd(16)} ${String(fd).padStart(3)} ${String(err).padStart(3)} ${flags}${e.filename}`;
    });
  }
}
