// SIGTERM and SIGHUP ignored when the process started stay ignored (docs/lifecycle.md), the
// convention of shells (a signal ignored on entry cannot be trapped), nohup and programs that never
// touch them (sleep): `nohup tsbpf … &` survives the terminal's hangup. SIGINT is taken whatever
// it was, as bpftrace does: `tsbpf … &` in a non-interactive shell starts with SIGINT ignored, and
// scripts stop such a tracer with `kill -INT`, which has to run end() and print the maps.
import { ignoreSignal, libcSync, signalIgnored } from "./ffi/mod.ts";
import type { StopSignal } from "./ffi/ffi.ts";

const STOP_SIGNALS: StopSignal[] = ["SIGTERM", "SIGHUP"];
let atStart: Set<StopSignal> | undefined;

/** Notes which stop signals are ignored now; call before any handler is installed (the first call counts). */
export function noteIgnoredSignals(): void {
  atStart ??= new Set(STOP_SIGNALS.filter((s) => signalIgnored(libcSync(), s)));
}

/** Whether `signal` was ignored when the process started: then no handler of ours takes it. */
export function ignoredAtStart(signal: StopSignal): boolean {
  noteIgnoredSignals();
  return atStart!.has(signal);
}

/** The stop signals ignored at start (passed to `tsbpf run`'s child, whose runtime may have reset them). */
export function signalsIgnoredAtStart(): StopSignal[] {
  return STOP_SIGNALS.filter(ignoredAtStart);
}

/**
 * Ignores again each signal ignored at start; call after installing any signal listener: Deno's
 * listeners install its own handlers for other signals than the one asked (SIGHUP among them:
 * tests/lifecycle/ignored_signals.test.ts fails on Deno without this call).
 */
export function restoreIgnored(): void {
  noteIgnoredSignals();
  for (const s of atStart!) ignoreSignal(libcSync(), s);
}

/** Ignores `signals` again and counts them as ignored at start (in `tsbpf run`'s child: its parent's). */
export function keepIgnoring(signals: StopSignal[]): void {
  noteIgnoredSignals();
  for (const s of signals) {
    ignoreSignal(libcSync(), s);
    atStart!.add(s);
  }
}
