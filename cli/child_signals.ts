// Whether `tsbpf run`'s child already has a signal that reached tsbpf, so that tsbpf passes on
// only what the child did not get. A signal sent to the whole process group (Ctrl-C in a
// terminal, `kill -INT -PGID`, timeout(1)) reaches both processes; passed on as well, the child
// got it twice, and a second SIGINT ends it at once (tracer/process_lifecycle.ts makes its
// handler one-shot so that a second Ctrl-C ends a script that never yields): with no end(), no
// final prints. Signals carry no sender a runtime shows, so tsbpf asks the kernel about the child
// instead (/proc/PID/status): the signal is still pending there, or it has been delivered, which
// for SIGINT resets the child's one-shot handler (no longer in SigCgt). That handler is there
// from the child's session start (cli/session.ts installs SIGINT, then SIGHUP and SIGTERM,
// listeners first thing, leaving out those ignored at start), so "the last of them caught, SIGINT
// not" can only mean a SIGINT was delivered.
// The child is named by a pidfd (runtime/process_fd.ts), not by its PID alone: once the runtime
// has reaped it, and before its exit listener has taken the relay's listeners off, a signal
// passed on or a /proc/PID read would otherwise reach whatever process took the PID.
import process from "node:process";
import { readTextFile } from "../runtime/files.ts";
import { ProcessFd } from "../runtime/process_fd.ts";

const SIGNO = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 } as const;
export type PassedSignal = keyof typeof SIGNO;

/**
 * What the kernel says of a signal in process `pid` (held by `owned`, when there is a pidfd),
 * or undefined when it has gone. The child's
 * session has started once the last listener it installs is caught: SIGTERM, or SIGHUP when
 * SIGTERM was ignored at start. With both ignored there is no such sign (sessionStarted is false).
 */
export function signalState(pid: number, signal: PassedSignal, ignoredAtStart: readonly string[] = [], owned?: ProcessFd): { pending: boolean; caught: boolean; sessionStarted: boolean } | undefined {
  const status = readTextFile(`/proc/${pid}/status`);
  // Read from the child's PID, it is the child's as long as the child has not been reaped since.
  if (!status || (owned && !owned.stillThere())) return undefined;
  const mask = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)`, "m").exec(status)?.[1] ?? "0"}`);
  const has = (m: bigint, signo: number) => ((m >> BigInt(signo - 1)) & 1n) === 1n;
  const signo = SIGNO[signal];
  const sessionSign = (["SIGTERM", "SIGHUP"] as const).find((s) => !ignoredAtStart.includes(s));
  return {
    pending: has(mask("SigPnd") | mask("ShdPnd"), signo),
    caught: has(mask("SigCgt"), signo),
    sessionStarted: sessionSign !== undefined && has(mask("SigCgt"), SIGNO[sessionSign]),
  };
}

/** Decides, for each signal tsbpf gets, whether to pass it on to the child `pid`. */
export class SignalRelay {
  /** SIGINT was passed on: a reset handler is then explained by that, and the next one is a second. */
  #passedInt = false;
  /** A delivered SIGINT was taken for the group's copy of ours (and not passed on), once. */
  #skippedInt = false;

  /** The child, by a pidfd; undefined on a kernel without them (then by its PID, as kill(1) does). */
  readonly #child: ProcessFd | undefined;

  /**
   * To be made right after the spawn, before the runtime can reap the child (see
   * runtime/process_fd.ts); closed once the child has exited. `ignoredAtStart`: the signals the
   * child keeps ignoring (it installs no listener for them).
   */
  constructor(readonly pid: number, readonly ignoredAtStart: readonly string[] = []) {
    this.#child = ProcessFd.open(pid);
  }

  /** Passes `signal` on to the child, unless it has it already (or has gone). */
  pass(signal: PassedSignal): void {
    if (!this.shouldPass(signal)) return;
    // Not child.kill: Deno's child would then report the signal sent, not the child's status.
    if (this.#child) {
      this.#child.signal(SIGNO[signal]);
      return;
    }
    try {
      process.kill(this.pid, signal);
    } catch { /* it has just exited */ }
  }

  /** Lets the child go (its pidfd); nothing is passed on after. */
  close(): void {
    this.#child?.close();
  }

  shouldPass(signal: PassedSignal): boolean {
    const state = signalState(this.pid, signal, this.ignoredAtStart, this.#child);
    if (!state) return true; // it has gone: passing it on does nothing
    if (state.pending) return false; // sent to the group: the child has it
    if (signal === "SIGINT" && state.sessionStarted && !state.caught && !this.#passedInt && !this.#skippedInt) {
      // Delivered to the child, not by us: the group's copy of this one. (Once: were it an
      // earlier signal sent to the child alone, the next one is passed on as a second.)
      this.#skippedInt = true;
      this.#recheck();
      return false;
    }
    if (signal === "SIGINT") this.#passedInt = true;
    return true;
  }

  /**
   * A script whose tracers leave signals to it (start({ handleSignals: false })) gets its
   * SIGINT handler armed again once its listener ran: a later Ctrl-C is then a first one again,
   * and the group's copy of it is to be skipped as well. Looked at once, a moment later.
   */
  #recheck(): void {
    const timer = setTimeout(() => {
      if (signalState(this.pid, "SIGINT", [], this.#child)?.caught) this.#skippedInt = false;
    }, REARM_CHECK_MS);
    (timer as { unref?: () => void }).unref?.();
  }
}

const REARM_CHECK_MS = 250;
