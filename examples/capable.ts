// capable: every security capability check (cap_capable()): who asked for which capability, and
// whether the check is audited. Like bcc's capable, on a kprobe (fentry where the kernel allows);
// kernels with neither kprobes nor fentry cannot run it (no tracepoint marks capability checks).
//
//   sudo bun run examples/capable.ts [-v] [-p PID] [-K] [-U] [-x] [--unique] [--json]
//   sudo deno run --allow-ffi examples/capable.ts -v
//
// Stop it with Ctrl-C.
import { parseArgs } from "node:util";
import process from "node:process";
import { comm, HashMap, kprobe, kstack, type KStack, pid, RingBuf, type Str, tid, Tracer, type i32, type u32, type u8, uid, ustack, type UStack } from "tsbpf";
import { COMMON, commandLine, hms, intOption, jsonLine, requireKernelFunctions } from "./_tool.ts";
import { missed } from "./_stacks.ts";

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

const USAGE = `usage: capable.ts [-h] [-v] [-p PID] [-K] [-U] [-x] [--unique] [--json]

Trace security capability checks

options:
  -h, --help          show this help message and exit
  -v, --verbose       include non-audit checks
  -p, --pid PID       trace this PID only
  -K, --kernel-stack  output kernel stack trace
  -U, --user-stack    output user stack trace
  -x, --extra         show extra fields in TID and INSETID columns
  --unique            don't repeat stacks for the same pid
  --json              one JSON object per check

examples:
    capable.ts             # trace capability checks
    capable.ts -v          # verbose: include non-audit checks
    capable.ts -p 181      # only trace PID 181
    capable.ts -K          # add kernel stacks to trace
    capable.ts -U          # add user-space stacks to trace
    capable.ts -x          # extra fields: show TID and INSETID columns
    capable.ts --unique    # don't repeat stacks for the same pid`;

if (import.meta.main) {
  const { values } = commandLine(USAGE, () => parseArgs({
    options: {
      ...COMMON, verbose: { type: "boolean", short: "v" }, pid: { type: "string", short: "p" }, "kernel-stack": { type: "boolean", short: "K" },
      "user-stack": { type: "boolean", short: "U" }, extra: { type: "boolean", short: "x" }, unique: { type: "boolean" },
    },
  }));
  requireKernelFunctions("capable", "cap_capable()");
  const tracer = new Capable();
  tracer.verbose = !!values.verbose;
  tracer.unique = !!values.unique;
  tracer.targetPid = intOption("-p", values.pid);
  tracer.self = process.pid;
  await tracer.start();
  if (!values.json) console.log(header(values.extra));
  for await (const e of tracer.events) {
    if (values.json) {
      console.log(jsonLine({ time: hms(), uid: e.uid, pid: e.tgid, tid: e.tid, comm: e.comm, cap: e.cap, name: CAPABILITIES[e.cap] ?? "?", audit: e.audit, insetid: e.insetid }));
      continue;
    }
    console.log(formatCheck(e, { extra: values.extra }));
    if (values["kernel-stack"]) console.log(stackLines(e.kernel, "Kernel").join("\n"));
    if (values["user-stack"]) console.log(stackLines(e.user, "User").join("\n"));
  }
}
