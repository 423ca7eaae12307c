// execsnoop: one line per execve() on the machine: the command, its pid and parent, the result
// and the arguments. Like bcc's execsnoop (PCOMM PID PPID RET ARGS), on the execve tracepoints.
//
//   sudo bun run examples/execsnoop.ts [-T] [-t] [-x] [-q] [-n NAME] [-l LINE] [-U] [-u USER] [-P PPID] [--max-args N] [--json]
//   sudo deno run --allow-ffi examples/execsnoop.ts -x
//
// Stop it with Ctrl-C.
import { comm, ktime, pid, ppid, RingBuf, str, Tracer, tracepoint, type i32, type Str, type TracepointArgs, uid, type u32, type u64, type u8 } from "tsbpf";
import { hms, intOption, jsonLine, parseToolArgs, printLine, textOnly, uidOption } from "tsbpf/tool";

/** What the handlers send: the program and each argument at the call, then the result at its return. */
export interface ExecPart {
  ts: u64;
  pid: u32;
  ppid: u32;
  uid: u32;
  retval: i32;
  /** ARG or RET. */
  kind: u8;
  comm: Str<16>;
  text: Str<128>;
}

export const ARG = 0, RET = 1;
/** As many arguments as the handler's loop reads at most (bcc's MAXARG). */
const MAX_ARGS = 20;

export class ExecSnoop extends Tracer {
  events = new RingBuf<ExecPart>(1024 * 1024);
  /** Arguments read per call, the program included (bcc's --max-args). */
  maxArgs: u32 = MAX_ARGS;
  /** Only this user, when filterUid. */
  targetUid: u32 = 0;
  filterUid = false;
  /** Only children of this process (0: any). */
  targetPpid: u32 = 0;

  @tracepoint("syscalls:sys_enter_execve")
  onExec(args: TracepointArgs) {
    if (this.filterUid && uid() !== this.targetUid) return;
    if (this.targetPpid !== 0 && ppid() !== this.targetPpid) return;
    // The program as the kernel got it, then argv[1...], as bcc's execsnoop sends them.
    this.events.submit({ ts: ktime(), pid: pid(), ppid: ppid(), uid: uid(), retval: 0, kind: ARG, comm: comm(), text: str(args.filename) });
    for (let i = 1; i < MAX_ARGS; i++) {
      if (i >= this.maxArgs) break;
      const arg = args.argv[i];
      if (arg === 0n) break;
      this.events.submit({ ts: ktime(), pid: pid(), ppid: ppid(), uid: uid(), retval: 0, kind: ARG, comm: comm(), text: str(arg) });
    }
  }

  @tracepoint("syscalls:sys_exit_execve")
  onReturn(args: TracepointArgs) {
    if (this.filterUid && uid() !== this.targetUid) return;
    if (this.targetPpid !== 0 && ppid() !== this.targetPpid) return;
    this.events.submit({ ts: ktime(), pid: pid(), ppid: ppid(), uid: uid(), retval: args.ret as i32, kind: RET, comm: comm(), text: "" });
  }
}

/** One finished exec: the parts of a call joined at its return. */
export interface Exec {
  ts: bigint;
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  retval: number;
  args: string[];
}

/** Joins each call's arguments with its result; `onExec` gets every exec that returned. */
export function assemble(onExec: (e: Exec) => void): (part: Omit<ExecPart, "comm" | "text"> & { comm: string; text: string }) => void {
  const pending = new Map<number, string[]>();
  return (part) => {
    if (part.kind === ARG) {
      const args = pending.get(part.pid) ?? [];
      args.push(part.text);
      pending.set(part.pid, args);
      return;
    }
    const args = pending.get(part.pid) ?? [];
    pending.delete(part.pid);
    onExec({ ts: part.ts, pid: part.pid, ppid: part.ppid, uid: part.uid, comm: part.comm, retval: part.retval, args });
  };
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "execsnoop",
    description: "Trace exec() syscalls",
    options: {
      time: { type: "boolean", short: "T", help: "include time column on output (HH:MM:SS)" },
      timestamp: { type: "boolean", short: "t", help: "include timestamp on output" },
      fails: { type: "boolean", short: "x", help: "include failed exec()s" },
      quote: { type: "boolean", short: "q", help: 'add "quotemarks" around arguments' },
      name: { type: "string", short: "n", value: "NAME", help: "only print commands matching this name (regex), any arg" },
      line: { type: "string", short: "l", value: "LINE", help: "only print commands where arg contains this line (regex)" },
      "print-uid": { type: "boolean", short: "U", help: "print UID column" },
      uid: { type: "string", short: "u", value: "USER", help: "trace this UID only (a uid or a user name)" },
      ppid: { type: "string", short: "P", value: "PPID", help: "trace only children of this parent PID" },
      "max-args": { type: "string", value: "MAX_ARGS", help: "maximum number of arguments parsed and displayed, defaults to 20" },
    },
    examples: [
      ["", "trace all exec() syscalls"], ["-x", "include failed exec()s"], ["-T", "include time (HH:MM:SS)"], ["-U", "include UID"],
      ["-u 1000", "only trace UID 1000"], ["-u user", "get user UID and trace only them"], ["-t", "include timestamps"], ["-q", 'add "quotemarks" around arguments'],
      ["-n main", 'only print command lines containing "main"'], ["-l tpkg", 'only print command where arguments contains "tpkg"'],
    ],
  });
  const maxArgs = intOption("--max-args", values["max-args"], MAX_ARGS);
  const tracer = new ExecSnoop();
  tracer.maxArgs = Math.min(maxArgs, MAX_ARGS);
  tracer.filterUid = values.uid !== undefined;
  tracer.targetUid = uidOption("-u", values.uid);
  tracer.targetPpid = intOption("-P", values.ppid);
  await tracer.start(start);
  const name = values.name ? new RegExp(values.name) : undefined, line = values.line ? new RegExp(values.line) : undefined;
  const withUid = !!values["print-uid"];
  textOnly(`${values.time ? "TIME".padEnd(9) : ""}${values.timestamp ? "TIME(s)".padEnd(8) : ""}${withUid ? "UID".padEnd(6) : ""}` +
    `${"PCOMM".padEnd(16)} ${"PID".padEnd(7)} ${"PPID".padEnd(7)} ${"RET".padStart(3)} ARGS`);
  let first: bigint | undefined;
  const print = assemble((e) => {
    if (e.retval !== 0 && !values.fails) return;
    if (name && !name.test(e.comm)) return;
    const args = e.args.map((a) => (values.quote ? `"${a.replaceAll('"', '\\"')}"` : a));
    const text = args.join(" ") + (e.args.length >= maxArgs ? " ..." : "");
    if (line && !line.test(text)) return;
    if (values.json) {
      console.log(jsonLine({ pcomm: e.comm, pid: e.pid, ppid: e.ppid, uid: e.uid, ret: e.retval, args: e.args }));
      return;
    }
    first ??= e.ts;
    const time = values.time ? hms().padEnd(9) : "";
    const stamp = values.timestamp ? (Number(e.ts - first) / 1e9).toFixed(3).padEnd(8) : "";
    const user = withUid ? String(e.uid).padEnd(6) : "";
    printLine(`${time}${stamp}${user}${e.comm.padEnd(16)} ${String(e.pid).padEnd(7)} ${String(e.ppid).padEnd(7)} ${String(e.retval).padStart(3)} ${text}`);
  });
  for await (const part of tracer.events) print(part);
}
