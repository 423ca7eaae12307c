// capable: every security capability check (cap_capable()): who asked for which capability, and
// whether the check is audited. Like bcc's capable, on a kprobe (fentry where the kernel allows);
// kernels with neither kprobes nor fentry cannot run it (no tracepoint marks capability checks).
//
//   sudo bun run examples/capable.ts [-v] [-p PID] [-K] [-U] [-x] [--unique] [--json]
//   sudo deno run --allow-ffi examples/capable.ts -v
//
// Stop it with Ctrl-C.
import process from "node:process";
import { comm, HashMap, kprobe, kstack, type KStack, pid, RingBuf, type Str, tid, Tracer, type i32, type u32, type u8, uid, ustack, type UStack } from "tsbpf";
import { hms, intOption, jsonLine, missed, parseToolArgs, printLine, requireKernelFunctions, textOnly } from "tsbpf/tool";

const CAP_OPT_NOAUDIT = 0b10, CAP_OPT_INSETID = 0b100;

export interface Check {
  tgid: u32;
  tid: u32;
  uid: u32;
  cap: i32;
  audit: i32;
  insetid: i32;
  comm: Str<16>;
  kernel: KStack;
  user: UStack;
}

interface Repeat {
  cap: i32;
  tgid: u32;
  kernel: KStack;
  user: UStack;
}

export class Capable extends Tracer {
  events = new RingBuf<Check>(256 * 1024);
  /** Checks already reported (--unique). */
  seen = new HashMap<Repeat, u8>(10240);
  unique = false;
  /** Non-audit checks too (-v). */
  verbose = false;
  /** Only this process (0: any); never the tool itself. */
  targetPid: u32 = 0;
  self: u32 = 0;

  @kprobe("cap_capable")
  onCheck(_cred: unknown, _ns: unknown, cap: i32, opts: u32) {
    const tgid = pid();
    if ((this.targetPid !== 0 && tgid !== this.targetPid) || tgid === this.self) return;
    const audit = (opts & CAP_OPT_NOAUDIT) === 0 ? 1 : 0;
    if (!this.verbose && audit === 0) return;
    const kernel = kstack(), user = ustack();
    if (this.unique) {
      const repeat: Repeat = { cap, tgid, kernel, user };
      if (this.seen.has(repeat)) return;
      this.seen.set(repeat, 1);
    }
    this.events.submit({ tgid, tid: tid(), uid: uid(), cap, audit, insetid: (opts & CAP_OPT_INSETID) !== 0 ? 1 : 0, comm: comm(), kernel, user });
  }
}

/** Capability names by number (include/uapi/linux/capability.h). */
export const CAPABILITIES = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
  "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

type Event = Omit<Check, "comm"> & { comm: string };

export const header = (extra = false): string => extra
  ? `${"TIME".padEnd(9)} ${"UID".padEnd(6)} ${"PID".padEnd(6)} ${"TID".padEnd(6)} ${"COMM".padEnd(16)} ${"CAP".padEnd(4)} ${"NAME".padEnd(20)} ${"AUDIT".padEnd(6)} INSETID`
  : `${"TIME".padEnd(9)} ${"UID".padEnd(6)} ${"PID".padEnd(6)} ${"COMM".padEnd(16)} ${"CAP".padEnd(4)} ${"NAME".padEnd(20)} ${"AUDIT".padEnd(6)}`;

/** bcc's columns (TIME UID PID COMM CAP NAME AUDIT; -x adds TID and INSETID). */
export function formatCheck(e: Event, o: { extra?: boolean; time?: string } = {}): string {
  const name = CAPABILITIES[e.cap] ?? "?";
  const cols = [(o.time ?? hms()).padEnd(9), String(e.uid).padEnd(6), String(e.tgid).padEnd(6)];
  if (o.extra) cols.push(String(e.tid).padEnd(6));
  cols.push(e.comm.padEnd(16), String(e.cap).padEnd(4), name.padEnd(20), String(e.audit).padEnd(6));
  if (o.extra) cols.push(String(e.insetid));
  return cols.join(" ");
}

/** A stack below its event, as bcc prints it with -K / -U. */
function stackLines(s: Check["kernel"], kind: string): string[] {
  if (missed(s)) return [`    [Missed ${kind} Stack]`];
  return s.frames().map((f) => `        ${f}`); // with offsets, as bcc prints them here
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "capable",
    description: "Trace security capability checks",
    options: {
      verbose: { type: "boolean", short: "v", help: "include non-audit checks" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      "kernel-stack": { type: "boolean", short: "K", help: "output kernel stack trace" },
      "user-stack": { type: "boolean", short: "U", help: "output user stack trace" },
      extra: { type: "boolean", short: "x", help: "show extra fields in TID and INSETID columns" },
      unique: { type: "boolean", help: "don't repeat stacks for the same pid" },
    },
    examples: [
      ["", "trace capability checks"], ["-v", "verbose: include non-audit checks"], ["-p 181", "only trace PID 181"],
      ["-K", "add kernel stacks to trace"], ["-U", "add user-space stacks to trace"], ["-x", "extra fields: show TID and INSETID columns"],
      ["--unique", "don't repeat stacks for the same pid"],
    ],
  });
  requireKernelFunctions("capable", "cap_capable()");
  const tracer = new Capable();
  tracer.verbose = !!values.verbose;
  tracer.unique = !!values.unique;
  tracer.targetPid = intOption("-p", values.pid);
  tracer.self = process.pid;
  await tracer.start(start);
  textOnly(header(values.extra));
  for await (const e of tracer.events) {
    if (values.json) {
      console.log(jsonLine({ time: hms(), uid: e.uid, pid: e.tgid, tid: e.tid, comm: e.comm, cap: e.cap, name: CAPABILITIES[e.cap] ?? "?", audit: e.audit, insetid: e.insetid }));
      continue;
    }
    printLine(formatCheck(e, { extra: values.extra }));
    if (values["kernel-stack"]) printLine(stackLines(e.kernel, "Kernel"));
    if (values["user-stack"]) printLine(stackLines(e.user, "User"));
  }
}
