// How often something periodic runs, or how long until something happens: one check for
// Tracer.every(), a one-liner's interval() and durations, so a zero, negative, tiny or huge
// value is an error everywhere instead of a tight loop (setTimeout runs 0 and anything below
// 1 ms at once) or an overflow (above 2^31-1 ms, setTimeout fires after 1 ms).

/** The longest delay a timer takes: 2^31-1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `ms` if it is a number of milliseconds a timer can wait (1 ms to 24.8 days); else a RangeError
 * naming `what`, and what was given as the user wrote it (`given`).
 */
export function checkPeriodMs(ms: unknown, what: string, example: string, given?: string): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    const got = given ?? (typeof ms === "number" ? `${ms} ms` : JSON.stringify(ms) ?? String(ms));
    throw new RangeError(`${what} must be from 1 ms to ${MAX_TIMER_MS} ms (24.8 days), got ${got}; e.g. ${example}`);
  }
  return ms;
}
