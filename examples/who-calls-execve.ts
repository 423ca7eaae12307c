// who-calls-execve: every process that calls execve(), with the seconds since the first one,
// its command and pid; -a adds the program it asks to run (execve's first argument). The seed
// tool of "Exploring Kernel Tracing with eBPF" (reflexive.space), which attached a kprobe to
// sys_execve; here on the syscalls:sys_enter_execve tracepoint, so kernels without kprobes run it.
//
//   sudo bun run examples/who-calls-execve.ts [-a] [-p PID] [--json]
//   sudo deno run --allow-ffi examples/who-calls-execve.ts -a
//
// Stop it with Ctrl-C.
import { parseArgs } from "node:util";
import { comm, ktime, pid, RingBuf, str, Tracer, tracepoint, type Str, type TracepointArgs, type u32, type u64 } from "tsbpf";
import { COMMON, commandLine, intOption, jsonLine, requireTracepoints } from "./_tool.ts";

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

const USAGE = `usage: who-calls-execve.ts [-h] [-a] [-p PID] [--json]

Show which processes call execve(): seconds since the first call, command and pid

options:
  -h, --help     show this help message and exit
  -a, --args     also show the program each one runs (execve's first argument)
  -p, --pid PID  only calls made by this process
  --json         one JSON object per call

examples:
    who-calls-execve.ts        # every execve() on the machine
    who-calls-execve.ts -a     # and the programs they run
    who-calls-execve.ts -p 185 # only what process 185 runs`;

if (import.meta.main) {
  const { values } = commandLine(USAGE, () => parseArgs({ options: { ...COMMON, args: { type: "boolean", short: "a" }, pid: { type: "string", short: "p" } } }));
  requireTracepoints("who-calls-execve", ["syscalls:sys_enter_execve"], "CONFIG_FTRACE_SYSCALLS");
  const tracer = new WhoCallsExecve();
  tracer.targetPid = intOption("-p", values.pid);
  await tracer.start();
  if (!values.json) console.log(`${"TIME(s)".padEnd(18)} ${"COMM".padEnd(16)} ${"PID".padEnd(6)}${values.args ? " PATH" : ""}`);
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    first ??= e.timestamp;
    if (values.json) console.log(jsonLine({ time: Number(e.timestamp - first) / 1e9, comm: e.name, pid: e.pid, ...(values.args && { path: e.path }) }));
    else console.log(formatCall(e, first, values.args));
  }
}
