// who-calls-execve: every process that calls execve(), with the seconds since the first one,
// its command and pid; -a adds the program it asks to run (execve's first argument). The seed
// tool of "Exploring Kernel Tracing with eBPF" (reflexive.space), which attached a kprobe to
// sys_execve; here on the syscalls:sys_enter_execve tracepoint, so kernels without kprobes run it.
//
//   sudo bun run examples/who-calls-execve.ts [-a] [-p PID] [--json]
//   sudo deno run --allow-ffi examples/who-calls-execve.ts -a
//
// Stop it with Ctrl-C.
import { comm, ktime, pid, RingBuf, str, Tracer, tracepoint, type Str, type TracepointArgs, type u32, type u64 } from "tsbpf";
import { intOption, jsonLine, parseToolArgs, printLine, requireTracepoints, textOnly } from "tsbpf/tool";

export interface Call {
  pid: u32;
  timestamp: u64;
  name: Str<16>;
  path: Str<256>;
}

export class WhoCallsExecve extends Tracer {
  events = new RingBuf<Call>(256 * 1024);
  /** Only calls of this process (0: every process). */
  targetPid: u32 = 0;

  @tracepoint("syscalls:sys_enter_execve")
  onExecve(args: TracepointArgs) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.events.submit({ pid: pid(), timestamp: ktime(), name: comm(), path: str(args.filename) });
  }
}

/** One line as the seed prints it: "%-18.9f %-16s %-6d", and the path with -a. */
export function formatCall(e: Call, first: bigint, withPath = false): string {
  const delta = e.timestamp - first;
  const seconds = `${delta / 1_000_000_000n}.${String(delta % 1_000_000_000n).padStart(9, "0")}`;
  const line = `${seconds.padEnd(18)} ${e.name.padEnd(16)} ${String(e.pid).padEnd(6)}`;
  return withPath ? `${line} ${e.path}` : line;
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "who-calls-execve",
    description: "Show which processes call execve(): seconds since the first call, command and pid",
    options: {
      args: { type: "boolean", short: "a", help: "also show the program each one runs (execve's first argument)" },
      pid: { type: "string", short: "p", value: "PID", help: "only calls made by this process" },
    },
    examples: [["", "every execve() on the machine"], ["-a", "and the programs they run"], ["-p 185", "only what process 185 runs"]],
  });
  requireTracepoints("who-calls-execve", ["syscalls:sys_enter_execve"], "CONFIG_FTRACE_SYSCALLS");
  const tracer = new WhoCallsExecve();
  tracer.targetPid = intOption("-p", values.pid);
  await tracer.start(start);
  textOnly(`${"TIME(s)".padEnd(18)} ${"COMM".padEnd(16)} ${"PID".padEnd(6)}${values.args ? " PATH" : ""}`);
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    first ??= e.timestamp;
    if (values.json) console.log(jsonLine({ time: Number(e.timestamp - first) / 1e9, comm: e.name, pid: e.pid, ...(values.args && { path: e.path }) }));
    else printLine(formatCall(e, first, values.args));
  }
}
