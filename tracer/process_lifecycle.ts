// What the process does around its running tracers (docs/lifecycle.md):
// - SIGINT, SIGTERM, SIGHUP: every tracer that handles signals stops (delivers what is left,
//   runs end(), releases its kernel objects); then, once a last OTLP push has its answer or
//   its 400 ms are up, the process ends with 128+n, even with timers or servers still open. A second signal ends it at once. For SIGINT the runtime's
//   handler is made one-shot, so a second Ctrl-C ends the process by the default action even
//   while the JavaScript never yields (no listener can run then). Not for SIGTERM and SIGHUP:
//   `tsbpf run`'s child may get those twice from one stop (its process group, and its parent
//   passing them on), and the second copy must come after end() (through the listener).
// - The reader of stdout gone (`| head` ended): as SIGPIPE would, status 141.
// - The output cannot be written (a full disk): said on stderr (runtime/stdout.ts), status 74.
// - An error nothing caught (Bun; Deno exits by itself): printed, every kernel object
//   released, status 1.
// - The end of the process, however it comes: whatever is still open is closed.
import { libcSync, oneShotSignal } from "../runtime/ffi/mod.ts";
import type { StopSignal } from "../runtime/ffi/ffi.ts";
import { ignoredAtStart, restoreIgnored } from "../runtime/ignored_signals.ts";
import { GIVEN_AT } from "../runtime/maps/at_caller.ts";
import { whenReaderGone } from "../runtime/reader_gone.ts";
import { leaveHungUpTerminal } from "../runtime/terminal_gone.ts";
import { OUTPUT_FAILED_STATUS, whenOutputFails } from "../runtime/stdout.ts";

/** What this module needs of a tracer. */
export interface RunningTracer {
  /** Delivers what is left, runs end() and releases every kernel object. */
  stop(): Promise<void>;
  /** Releases every kernel object at once, for the end of the process. */
  closeNow(): void;
}

const SIGNAL_STATUS: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** Each running tracer, and whether it stops on signals (`start({ handleSignals: false })` opts out). */
const running = new Map<RunningTracer, boolean>();
let exitHook = false;
let signalHooks = false;
/** Arms each signal's one-shot handler again (after a delivery that ended nothing reset it). */
const rearm = new Map<StopSignal, () => void>();
/** Removes the fatal-error hook: it is there only while a tracer runs, so a process (or a test runner) that has no tracer running keeps its runtime's own behaviour. */
let removeFatalHook: (() => void) | undefined;
/** Ends the watch on stdout's reader: there only while a tracer that handles signals runs. */
let unwatchOutput: (() => void) | undefined;
/** Ends what a failed write of the output does while a tracer that handles signals runs. */
let unwatchFailure: (() => void) | undefined;
/** The status of a process killed by SIGPIPE, as a shell shows it. */
const BROKEN_PIPE_STATUS = 141;
/** The status to end with once the tracers have stopped (a signal came, or stopAndExit). */
let exitStatus: number | undefined;
/** Work a stopped tracer still finishes before the process may end (its last metrics push). */
const finishing = new Set<Promise<void>>();

export function tracerStarted(t: RunningTracer, handlesSignals: boolean): void {
  running.set(t, handlesSignals);
  const host = libcSync().process;
  removeFatalHook ??= host.onFatalError((error) => {
    console.error(error);
    // Bun prints the frames it recorded, not the stack string: where the callback was given is said here.
    const given = (error as { [GIVEN_AT]?: unknown } | undefined)?.[GIVEN_AT];
    if (typeof given === "string") console.error(`(in ${given})`);
    for (const r of [...running.keys()]) r.closeNow();
    host.exit(1);
  });
  if (!exitHook) {
    exitHook = true;
    host.onExit(() => {
      for (const r of [...running.keys()]) r.closeNow();
    });
  }
  if (handlesSignals && !signalHooks) {
    signalHooks = true;
    for (const signal of Object.keys(SIGNAL_STATUS) as StopSignal[]) {
      if (ignoredAtStart(signal)) continue; // it stays ignored (runtime/ignored_signals.ts)
      host.onSignal(signal, () => onSignal(signal));
      const arm = signal === "SIGINT" ? oneShotSignal(libcSync(), signal) : undefined;
      if (arm) rearm.set(signal, arm);
    }
    restoreIgnored();
  }
  if (handlesSignals) {
    unwatchOutput ??= whenReaderGone(1, () => stopAndExit(BROKEN_PIPE_STATUS));
    unwatchFailure ??= whenOutputFails(() => stopAndExit(OUTPUT_FAILED_STATUS));
  }
}

/**
 * Keeps a signal's exit waiting for `work` (bounded by its own timeout): the last OTLP push
 * reports whether its values arrived, which an exit before its answer would leave unsaid; a -c
 * command's end, what it left running with it. A signal that finds no tracer running waits for
 * it too, so register only work that has begun, once tracing has ended: registered earlier, a
 * Ctrl-C during a slow start would wait for the whole run.
 */
export function finishBeforeExit(work: Promise<void>): void {
  const done = work.catch(() => {}).then(() => {
    finishing.delete(done);
    if (exitStatus !== undefined) exitWhenStopped();
  });
  finishing.add(done);
}

export function tracerStopped(t: RunningTracer): void {
  running.delete(t);
  if (!running.size) {
    removeFatalHook?.();
    removeFatalHook = undefined;
    unwatchOutput?.();
    unwatchOutput = undefined;
    unwatchFailure?.();
    unwatchFailure = undefined;
  }
  if (exitStatus !== undefined) exitWhenStopped();
}

function onSignal(signal: StopSignal): void {
  const status = SIGNAL_STATUS[signal];
  // The terminal may have gone: end() prints into nothing rather than failing (runtime/terminal_gone.ts).
  if (signal === "SIGHUP") leaveHungUpTerminal();
  const host = libcSync().process;
  // Again while stopping, or nothing of ours runs nor finishes any more: the signal's usual effect.
  if (exitStatus !== undefined || (running.size === 0 && finishing.size === 0)) host.exit(status);
  // The tracers have stopped, and their last work (a -c command's end) is still under way: it ends first.
  if (running.size === 0) return stopAndExit(status);
  // Only tracers that opted out run: their script manages its shutdown, and may see this signal again.
  if (![...running.values()].some((handles) => handles)) return rearm.get(signal)?.();
  stopAndExit(status);
}

/**
 * Stops every tracer that handles signals and ends the process with `status` once none runs
 * (tracers that opted out of signal handling keep the process, as their script decides).
 */
export function stopAndExit(status: number): void {
  exitStatus = status;
  libcSync().process.setExitCode(status);
  for (const [t, handles] of [...running]) if (handles) void t.stop();
  exitWhenStopped();
}

function exitWhenStopped(): void {
  if (running.size || finishing.size) return;
  // A macrotask away: the script's code after `await tracer.stopped` (or after its `for await`
  // loop) runs first, in the promise jobs stop() queued; timers and servers do not keep it.
  // Not process.soon: on Deno that resolves with the runtime's other pending work (the second
  // copy of a signal sent to the group among it), which then ended the process first.
  const status = exitStatus!;
  const { process } = libcSync();
  // Work registered meanwhile (in those promise jobs) is waited for too: its end calls this again.
  process.nextTask(() => {
    if (!running.size && !finishing.size) process.exit(status);
  });
}
