// The command line's side of a running script: publishes -p/-c/-d to the script (cli/mod.ts),
// notices when the script's tracers have attached, then releases the -c command, and stops
// every started tracer when that command exits or the -d time is up. In `tsbpf run`'s child it
// also ties the child's life to the tsbpf process (cli/parent_link.ts) and ends the command
// when that process has gone.
//
// Noticing a start needs a hook in Tracer; until the runtime offers one (see docs/cli.md,
// "Requests"), `Tracer.prototype.start` is wrapped here, once per process.
//
// A one-liner starts through here: what only -c, -d or `tsbpf run`'s child need (node:process,
// node:timers, the held command) is loaded when they are given.
import { Tracer } from "../tracer/tracer.ts";
import { libc, libcSync } from "../runtime/ffi/mod.ts";
import { setJsonOutput } from "../runtime/output.ts";
import { namesAddresses } from "../runtime/maps/stacks.ts";
import { ignoredAtStart, keepIgnoring, restoreIgnored } from "../runtime/ignored_signals.ts";
import type { StopSignal } from "../runtime/ffi/ffi.ts";
import { setDefaultCgroup } from "../runtime/cgroup.ts";
import { stopAndExit } from "../tracer/process_lifecycle.ts";
import { setDefaultMetrics } from "../export/metrics_default.ts";
import { setDefaultStats } from "../tracer/stats_default.ts";
import { setDefaultPin } from "../tracer/default_pin.ts";
import { CLI_STATE, type CliState } from "./mod.ts";
import type { CommandProcess } from "./held_command.ts";
import { ProcessFd } from "../runtime/process_fd.ts";
import { processNow } from "../runtime/process_start.ts";
import { showDecisions } from "../runtime/verbose.ts";

/** The environment variable `tsbpf run` passes the session to its child in (JSON of SessionOptions). */
export const SESSION_ENV = "TSBPF_CLI";

export interface SessionOptions {
  pid?: number;
  /** When the -p process started (runtime/process_files.ts ProcessRef), read as -p was checked: its pid alone may be another's by the time the session starts. */
  pidStart?: string;
  command?: string[];
  /** The pid of the -c command, held stopped by the tsbpf process until the first tracer starts. */
  heldPid?: number;
  durationMs?: number;
  verbose?: boolean;
  /** --json: maps and events as JSON lines (runtime/output.ts). */
  json?: boolean;
  /** Set by `tsbpf run` for its child: the tsbpf process, which this one must not outlive. */
  parentPid?: number;
  /** --cgroup: every tracer traces only this cgroup v2 and its descendants. */
  cgroup?: string;
  /** --metrics: every tracer serves its aggregations to Prometheus at this address. */
  metrics?: string;
  /** --stats: every tracer reports each handler's runs and time per run at its end. */
  stats?: boolean;
  /** --pin: the script's tracer stays attached after it ends, pinned under this name. */
  pin?: string;
  /** Set by `tsbpf run` for its child: the signals its parent started with ignored, which stay so. */
  ignoredSignals?: StopSignal[];
}

const started = new Set<Tracer>();
let options: SessionOptions = {};
let stopping = false;
/** What the script sees as cliOptions (cli/mod.ts), which notes whether it read the pid. */
let state: CliState = {};
/**
 * -p's process, held by a pidfd from the session's start: its end ends the session, as
 * bpftrace's -p does, and its PID, once reaped, may be another process's.
 */
let target: ProcessFd | "gone" | undefined;
/** Ends the wait for -c's command or -p's target. */
let unwatch = () => {};

/** Call before the script is imported: publishes the options and installs the start hook. */
export async function startSession(session: SessionOptions): Promise<void> {
  await libc();
  options = session;
  // Bun's spawn resets ignored signals to their default; Deno's keeps them.
  keepIgnoring(session.ignoredSignals ?? []);
  if (session.parentPid !== undefined) await watchParent(session.parentPid, session.heldPid);
  if (session.verbose) showDecisions();
  if (session.json) setJsonOutput(true);
  if (session.cgroup !== undefined) setDefaultCgroup(session.cgroup);
  if (session.metrics !== undefined) setDefaultMetrics(session.metrics);
  if (session.stats) setDefaultStats(true);
  if (session.pin !== undefined) setDefaultPin(session.pin);
  if (session.pid !== undefined && session.heldPid === undefined) target = holdTarget(session.pid, session.pidStart);
  state = { pid: session.pid ?? session.heldPid, command: session.command, durationMs: session.durationMs, verbose: session.verbose ?? false };
  (globalThis as Record<symbol, unknown>)[CLI_STATE] = state;
  hookStart();
}

function hookStart(): void {
  const proto = Tracer.prototype as Tracer & { [hooked]?: boolean };
  if (proto[hooked]) return;
  proto[hooked] = true;
  const original = proto.start;
  // The same promise, not an async wrapper's: start()'s carries the getters that explain a
  // missing await. Registered first, onStarted runs before the script's code after its await.
  proto.start = function (this: Tracer, ...args: Parameters<Tracer["start"]>) {
    const starting = original.apply(this, args);
    starting.then(onStarted, () => {});
    return starting;
  };
}
const hooked = Symbol("tsbpf.cli.hooked");

function onStarted(t: Tracer): void {
  const first = started.size === 0;
  started.add(t);
  t.stopped.then(() => {
    started.delete(t);
    // A script that stops its tracers itself must not wait for the command or the target to end.
    if (started.size === 0) unwatch();
  });
  if (!first) return;
  stopEndingEarly();
  warnPidUnread();
  // Timers are unref'd: a script that stops on its own must not wait for them to exit.
  const held = options.heldPid;
  if (held !== undefined) void watchHeld(held);
  if (target === "gone") end();
  else if (target) unwatch = target.whenExited(end);
  const duration = options.durationMs;
  if (duration !== undefined) void import("./long_timer.ts").then(({ after }) => after(duration, end, { unref: true }));
}

/** -c: the held command runs now; its end ends the session. */
async function watchHeld(pid: number): Promise<void> {
  const [held] = await Promise.all([heldCommand(pid), recordMappings(pid)]);
  held.release();
  if (started.size > 0) unwatch = held.whenEnded(end);
}

/**
 * -p: the process, by a pidfd opened now, if it is still the one -p named (its start time then):
 * "gone" when it has ended meanwhile; undefined on a kernel without pidfds (it is not watched).
 */
function holdTarget(pid: number, start: string | undefined): ProcessFd | "gone" | undefined {
  const fd = ProcessFd.open(pid);
  if (!fd) return undefined;
  // Still there after the pidfd was opened: /proc/PID was its process, whose start time says whether -p named it.
  if ((start === undefined || processNow(pid)?.start === start) && fd.stillThere()) return fd;
  fd.close();
  return "gone";
}

/**
 * -c with a tracer that names user addresses (usym(), ustack()): the command is often gone by the
 * time its events are printed, and /proc/PID/maps with it, so its mappings are recorded from
 * before it runs (runtime/symbolize/mapping_log.ts). Whatever cannot be named is said once.
 */
async function recordMappings(pid: number): Promise<void> {
  if (!namesAddresses()) return;
  const [{ MappingLog }, { userSymbols }] = await Promise.all([import("../runtime/symbolize/mapping_log.ts"), import("../runtime/symbolize/user.ts")]);
  let log;
  try {
    log = MappingLog.open(pid);
  } catch (e) {
    console.error(`tsbpf: -c: cannot record the command's mappings (${(e as Error).message}): its user addresses print in hex once it has exited`);
    return;
  }
  userSymbols().recordedBy(log, () => {
    console.error(`tsbpf: user addresses of processes that exited before they were printed show in hex: -c records the mappings of the command's own process (pid ${pid}) only, not of the processes it starts`);
  });
}

/** -p and -c reach a script only through cliOptions.pid: one that never read it traces everything. */
function warnPidUnread(): void {
  if (state.pid === undefined || state.pidRead) return;
  const given = options.heldPid !== undefined ? `-c (pid ${state.pid})` : `-p ${state.pid}`;
  console.error(`tsbpf: ${given}: the script does not read cliOptions.pid, so it traces every process, not only this one (docs/cli.md, "Scripts")`);
}

/**
 * The end of -c's command, of -p's process or of -d: every tracer stops, and a script run by `tsbpf run` ends
 * with them, as on a signal, even with timers or servers open (its parent reports the command's
 * status). A one-liner runs in the command's own process, which reports the status itself.
 */
async function end(): Promise<void> {
  unwatch();
  await stopAll();
  if (options.parentPid !== undefined) stopAndExit(0);
}

/** SIGINT first: tsbpf takes the last one caught for "the listeners are in place" (cli/child_signals.ts). */
const EARLY_SIGNALS = ["SIGINT", "SIGHUP", "SIGTERM"] as const;
const earlyStatus = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
/** Removes the early signal handlers (set only in `tsbpf run`'s child). */
let stopEndingEarly = () => {};

/**
 * In `tsbpf run`'s child: die with the parent (SIGKILL, cli/parent_link.ts), and leave no -c
 * command behind when the parent has gone: it is ended when this process exits (where the
 * command's own parent-death signal is missing: no setpriv), and a signal before the first
 * tracer started (the runtime's own handlers are not installed yet) ends it as well. Those
 * early handlers are there with or without -c: tsbpf looks at them to tell whether this process
 * already got a signal sent to the whole group (cli/child_signals.ts). A script that listens for
 * the signal itself decides what it does (unless a -c command waits: it is ended).
 */
async function watchParent(parentPid: number, heldPid: number | undefined): Promise<void> {
  const [{ default: process }, held, { dieWithParent, parentGone }] = await Promise.all([import("node:process"), heldPid === undefined ? undefined : heldCommand(heldPid), import("./parent_link.ts")]);
  if (held) {
    libcSync().process.onExit(() => {
      if (parentGone(parentPid)) held.endNow();
    });
  }
  const endEarly = (signal: keyof typeof earlyStatus) => {
    if (held) held.endNow();
    else if (process.listenerCount(signal) > 1) return;
    process.exit(earlyStatus[signal]);
  };
  const early = EARLY_SIGNALS.filter((signal) => !ignoredAtStart(signal));
  for (const signal of early) process.on(signal, endEarly);
  restoreIgnored();
  stopEndingEarly = () => {
    for (const signal of early) process.off(signal, endEarly);
    stopEndingEarly = () => {};
  };
  if (!dieWithParent(parentPid)) {
    held?.endNow();
    process.exit(earlyStatus.SIGTERM);
  }
}

let heldHandle: Promise<CommandProcess> | undefined;
/** The -c command, the one handle on it this process has: made while the command is still held (before release()). */
function heldCommand(pid: number): Promise<CommandProcess> {
  return (heldHandle ??= import("./held_command.ts").then(({ CommandProcess }) => new CommandProcess(pid, true)));
}

/** Stops every tracer the script started (each prints its results in end(), as on Ctrl-C). */
export async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const t of [...started]) await t.stop();
}

/** The tracers started and not yet stopped. */
export function runningTracers(): Tracer[] {
  return [...started];
}
