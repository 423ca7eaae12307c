// print()/printf() lines in the order they happened. Each print site of a one-liner has a ring
// buffer of its own (its values have their own layout), and the tracer drains the buffers one
// after another every millisecond or two: without this, every line of the first site's buffer
// came before any of the second's. Each event carries the kernel's ktime(). A poll can still
// miss an event stamped before one it delivered (committed to a buffer drained earlier in the
// same poll), so a line newer than everything of earlier polls waits one poll for stragglers.
// (The global timers, not node:timers: Deno would load its Node layer for them; a held line's
// 5 ms timer may keep Deno's event loop that long.)

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
  #timer?: ReturnType<typeof setTimeout>;

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
    clearTimeout(this.#timer);
    for (const p of this.#pending) if (p.round < this.#round && p.time > this.#horizon) this.#horizon = p.time;
    const ready: Pending[] = [], held: Pending[] = [];
    for (const p of this.#pending) (all || p.round < this.#round || p.time <= this.#horizon ? ready : held).push(p);
    this.#pending = held;
    this.#round++;
    ready.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.arrival - b.arrival));
    for (const p of ready) p.show();
    if (this.#pending.length) {
      this.#timer = setTimeout(() => this.flush(), HOLD_MS);
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }
}
