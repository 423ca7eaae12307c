// A timer of any length. setTimeout takes a signed 32-bit delay (2^31-1 ms, about 24.8 days)
// and fires a longer one after 1 ms (`-d 600h` stopped at once), so a long wait is a chain.
import { clearTimeout, setTimeout } from "node:timers";

const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `f` once `ms` have passed; returns what cancels it. `unref`: the timer alone does not
 * keep the process alive (a script that stops on its own must not wait for it).
 */
export function after(ms: number, f: () => void, options: { unref?: boolean } = {}): () => void {
  const end = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const left = end - performance.now();
    if (left <= 0) return f();
    timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_DELAY_MS));
    if (options.unref) timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
