/**
 * What the `tsbpf` command tells a script it runs: the process to trace (`-p PID`, or the pid of
 * the `-c CMD` it started) and how long to trace (`-d`). A script uses them like any other
 * option, typically as a tracer's integer field so the filter runs in the kernel:
 *
 * ```ts
 * import { Count, pid, Tracer, tracepoint } from "tsbpf";
 * import { cliOptions } from "tsbpf/cli";
 *
 * class OpenCount extends Tracer {
 *   targetPid = 0;
 *   opens = new Count();
 *   @tracepoint("syscalls:sys_enter_openat")
 *   onOpen() { if (this.targetPid === 0 || pid() === this.targetPid) this.opens.add(); }
 * }
 *
 * const tracer = new OpenCount();
 * tracer.targetPid = cliOptions.pid ?? 0;   // sudo tsbpf run opencount.ts -p 1234, or -c 'ls /'
 * await tracer.start();
 * ```
 *
 * With `-c CMD`, the command is started only once the script's first `start()` has attached its
 * probes, and every started tracer is stopped when the command exits; with `-p PID`, when that
 * process exits (as bpftrace does: its pid may then be another's); with `-d`, when the time is up. Outside the `tsbpf` command every field is undefined and `active` is false.
 * @module
 */

export interface CliOptions {
  /** Whether the script runs under the `tsbpf` command. */
  readonly active: boolean;
  /** The process to trace: `-p PID`, or the process `-c CMD` started (held until the probes are attached). */
  readonly pid: number | undefined;
  /** `-c CMD`, split into words. */
  readonly command: readonly string[] | undefined;
  /** `-d`: how long to trace, in milliseconds; the command stops the tracers after it. */
  readonly durationMs: number | undefined;
  /** `--verbose`: print stack traces with errors. */
  readonly verbose: boolean;
}

/** The state the command sets before the script runs. Kept on globalThis (not in this module) so a second copy of tsbpf's modules sees it too. */
export const CLI_STATE: unique symbol = Symbol.for("tsbpf.cli");

/** What the tsbpf command tells the script it runs (cli/session.ts writes it). */
export interface CliState {
  /** `-p PID`, or the pid of the command `-c` started. */
  pid?: number;
  /** `-c CMD`, as words. */
  command?: string[];
  /** `-d`, in milliseconds. */
  durationMs?: number;
  /** `--verbose`. */
  verbose?: boolean;
  /** Whether the script has read cliOptions.pid. */
  pidRead?: boolean;
}

function state(): CliState | undefined {
  return (globalThis as Record<symbol, CliState | undefined>)[CLI_STATE];
}

/** The command line's options, read when accessed (the command may set them after this module loads). */
export const cliOptions: CliOptions = {
  get active() {
    return state() !== undefined;
  },
  get pid() {
    const s = state();
    // Noted so the command can say when -p/-c did not reach the script's filter (session.ts).
    if (s) s.pidRead = true;
    return s?.pid;
  },
  get command() {
    return state()?.command;
  },
  get durationMs() {
    return state()?.durationMs;
  },
  get verbose() {
    return state()?.verbose ?? false;
  },
};
