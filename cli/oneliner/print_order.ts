// print()/printf() lines in the order they happened. Each print site of a one-liner has a ring
// buffer of its own (its values have their own layout), and the tracer drains the buffers one
// after another every millisecond or two: without this, every line of the first site's buffer
// came before any of the second's. Each event carries the kernel's ktime(). A poll can still
// miss an event stamped before one it delivered (committed to a buffer drained earlier in the
// same poll), so a line newer than everything of earlier polls waits one poll for stragglers.
// The wait for stragglers is the runtime's `after` (runtime/ffi), not setTimeout: Deno's timers
// are Node's, loaded on first use (≈ 3.4 MB of a one-liner's peak memory, for its first line).
import { libcSync } from "../../runtime/ffi/mod.ts";

interface Pending {
  time: bigint;
  /** The flush round it arrived in. */
  round: number;
  arrival: number;
  show: () => void;
}

/** Longer than a poll interval of the tracer (1-2 ms): a held line is shown by then. */
const HOLD_MS = 5;

export class PrintOrder {
  #pending: Pending[] = [];
  #round = 0;
  #arrivals = 0;
  /** The latest stamp of the lines of earlier rounds: anything stamped before it has arrived. */
  #horizon = -1n;
  #scheduled = false;
  /** Cancels the pending wait for stragglers. */
  #cancelWait?: () => void;

  /** Queues a line stamped `time` (ns, the kernel's monotonic clock); it is shown after the current poll. */
  add(time: bigint | number, show: () => void): void {
    this.#pending.push({ time: BigInt(time), round: this.#round, arrival: this.#arrivals++, show });
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Shows the lines that nothing earlier can still join, earliest first; `all` at the end. */
  flush(all = false): void {
    this.#scheduled = false;
    this.#cancelWait?.();
    this.#cancelWait = undefined;
    for (const p of this.#pending) if (p.round < this.#round && p.time > this.#horizon) this.#horizon = p.time;
    const ready: Pending[] = [], held: Pending[] = [];
    for (const p of this.#pending) (all || p.round < this.#round || p.time <= this.#horizon ? ready : held).push(p);
    this.#pending = held;
    this.#round++;
    ready.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.arrival - b.arrival));
    for (const p of ready) p.show();
    if (this.#pending.length) this.#cancelWait = libcSync().process.after(HOLD_MS, () => this.flush());
  }
}
