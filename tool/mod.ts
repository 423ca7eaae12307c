/**
 * tsbpf/tool: what a command-line tracing tool needs around its tracer, the same in every tool
 * of examples/ and in yours: one command-line parser that gives -h/--help, --json and
 * --cgroup PATH to every tool and prints the usage from the definition, bcc's time columns and
 * log2 histograms, JSON lines (with banners kept off stdout in JSON mode), checks that the
 * kernel has what the tool needs, and bcc's stack layouts.
 *
 * ```ts
 * import { comm, pid, RingBuf, str, Tracer, tracepoint, type Str, type TracepointArgs, type u32 } from "tsbpf";
 * import { emit, intOption, parseToolArgs, requireTracepoints, textOnly } from "tsbpf/tool";
 *
 * interface Exec { pid: u32; comm: Str<16>; file: Str<128> }
 * class Execs extends Tracer {
 *   events = new RingBuf<Exec>();
 *   targetPid: u32 = 0;
 *   @tracepoint("syscalls:sys_enter_execve")
 *   onExec(args: TracepointArgs) {
 *     if (this.targetPid !== 0 && pid() !== this.targetPid) return;
 *     this.events.submit({ pid: pid(), comm: comm(), file: str(args.filename) });
 *   }
 * }
 *
 * const { values, start } = parseToolArgs({
 *   name: "execs",
 *   description: "Print every execve()",
 *   options: { pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" } },
 * });
 * requireTracepoints("execs", ["syscalls:sys_enter_execve"], "CONFIG_FTRACE_SYSCALLS");
 * const tracer = new Execs();
 * tracer.targetPid = intOption("-p", values.pid);
 * await tracer.start(start);
 * textOnly("PID     COMM             FILE");
 * for await (const e of tracer.events) {
 *   emit({ pid: e.pid, comm: e.comm, file: e.file }, () => `${String(e.pid).padEnd(7)} ${e.comm.padEnd(16)} ${e.file}`);
 * }
 * ```
 * @module
 */
export { COMMON_OPTIONS, intOption, type ParsedTool, parseToolArgs, type ToolDefinition, type ToolOption, type ToolOptionValue, type ToolPositional, toolUsage, type ToolValues, uidOption, usageError } from "./args.ts";
export { emit, hms, jsonLine, type Lines, localTime, notice, printLine, textOnly } from "./output.ts";
export { bccSlots, log2Json, log2Lines, printLog2 } from "./histograms.ts";
export { runTool } from "./run.ts";
export { requireKernelFunctions, requireTracepoints } from "./preflight.ts";
export { diskName, diskNumber, diskOption, ipAddress, processExited, readTextFile, type SyscallArgument, syscallArguments, syscallName } from "./system.ts";
export { argKind, type ArgKind, bufferText, errnoName, type ExecArgs, flagNames, formatArgs, type Names, formatResult, openFlags, quoted, returnsAddress, signalName, type SyscallReads, type SyscallSignature } from "./syscall_args.ts";
export { formatStack, functionNames, mergeByStack, missed, type StackFormat, type StackRow, threadFrames } from "./stacks.ts";
