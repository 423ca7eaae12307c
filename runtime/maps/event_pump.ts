// Moves events from the kernel's buffers to JS while a tracer runs, in two modes:
//
// - Flowing: drained on a timer, every 1 ms while events come (a wakeup per event would cost
//   the traced process an interrupt, see DESIGN.md), 1 ms longer after each empty drain, at
//   once again while a buffer is found more than a quarter full.
// - Quiet: after a few empty drains the JS thread sleeps in the kernel's own notification:
//   epoll on the ring buffers and perf buffers, waited on by another thread (runtime/epoll.ts).
//   The first event wakes it, and it is back to flowing. An idle tracer wakes about once a
//   second (the heartbeat) instead of hundreds of times.
//
// A ring buffer signals only the record after a caught-up consumer, so its epoll registration
// costs nothing while events flow. A perf buffer signals per record only while asked
// (PerfEventArray.wakeOnEvents): from the first quiet spell until a drain finds it busy.
//
// The heartbeat (once a second, in both modes) runs the loss check (told whether events came since
// the last one: with none, and none waiting, no buffer can have been full) and drains once more: a perf
// buffer's event written while its CPU was switching modes raises no notification (see
// PerfEventArray.wakeOnEvents), and is delivered by it. It is also what keeps the process alive
// while the tracer runs.
import { libcSync } from "../ffi/mod.ts";
import { Epoll } from "../epoll.ts";
import { verbose } from "../verbose.ts";
import type { EventStream } from "./event_stream.ts";

const BUSY_DRAIN_MS = 1;
const IDLE_DRAIN_MS = 2;
const MAX_IDLE_DRAIN_MS = 10;
/** How fast a buffer can fill: 2 M events/s of 16 bytes, about what one producer CPU reaches. */
const FILL_BYTES_PER_MS = 32 * 1024;
const PRESSURE_DRAIN_AGAIN = 0.25;
/** Empty drains in a row before the pump stops draining on a timer and waits for the kernel. */
const QUIET_AFTER_EMPTY_DRAINS = 3;
const HEARTBEAT_MS = 1000;
/** Events in one drain from which the perf buffers stop waking the reader per event. */
const BUSY_EVENTS_PER_DRAIN = 32;

export class EventPump {
  readonly #streams: EventStream<unknown>[];
  readonly #heartbeat: (eventsCame: boolean) => void;
  readonly #maxIdleMs: number;
  #idleMs = IDLE_DRAIN_MS;
  #emptyDrains = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #cancelSoon?: () => void;
  #beat?: ReturnType<typeof setInterval>;
  #epoll?: Epoll;
  #quiet = false;
  /** An epoll wait is in progress (it may outlive a quiet spell: the next one reuses it). */
  #waiting = false;
  #stopped = false;
  #noEpoll = false;
  /** Events the streams had taken at the last heartbeat (a listener's first drain runs outside the pump). */
  #taken = 0;

  /** `heartbeat` runs once a second while the pump runs (the loss check): whether events came or wait since the last. */
  constructor(streams: EventStream<unknown>[], heartbeat: (eventsCame: boolean) => void) {
    this.#streams = streams;
    this.#heartbeat = heartbeat;
    // Idle drains are at most as far apart as the smallest buffer takes to fill to half.
    const smallest = Math.min(...streams.map((s) => s.size));
    this.#maxIdleMs = Math.max(IDLE_DRAIN_MS, Math.min(MAX_IDLE_DRAIN_MS, Math.floor(smallest / FILL_BYTES_PER_MS / 2)));
  }

  /** Drains once now, then keeps draining until stop(). */
  start(): void {
    if (this.#stopped) return; // stopped before it started (by the tracer's begin())
    this.#beat = setInterval(this.#onHeartbeat, HEARTBEAT_MS);
    if (this.#streams.length) this.#drain();
  }

  /**
   * No drain runs after this; a thread waiting in epoll is woken and ends. Resolves once the
   * epoll set's fds are closed (at once, or when that thread has returned: well under a millisecond).
   */
  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#cancelSoon?.();
    clearInterval(this.#beat);
    const closed = this.#epoll?.close();
    this.#epoll = undefined;
    return closed ?? Promise.resolve();
  }

  #drainAll(): { events: number; pressure: number } {
    let events = 0, pressure = 0;
    for (const s of this.#streams) {
      events += s.drain();
      pressure = Math.max(pressure, s.pressure);
    }
    return { events, pressure };
  }

  #drain = (): void => {
    this.#timer = undefined;
    this.#cancelSoon = undefined;
    const { events, pressure } = this.#drainAll();
    if (this.#stopped) return; // a listener stopped the tracer
    if (pressure >= PRESSURE_DRAIN_AGAIN) {
      for (const s of this.#streams) s.wakeOnEvents(false);
      this.#cancelSoon = libcSync().process.soon(this.#drain);
    } else if (events) {
      // Busy: now a wakeup per event would cost the producer more than it saves (perf buffers).
      if (events >= BUSY_EVENTS_PER_DRAIN) for (const s of this.#streams) s.wakeOnEvents(false);
      this.#emptyDrains = 0;
      this.#idleMs = IDLE_DRAIN_MS;
      this.#timer = setTimeout(this.#drain, BUSY_DRAIN_MS);
    } else if (++this.#emptyDrains >= QUIET_AFTER_EMPTY_DRAINS && !this.#noEpoll) {
      this.#goQuiet();
    } else {
      this.#timer = setTimeout(this.#drain, this.#idleMs);
      this.#idleMs = Math.min(this.#idleMs + 1, this.#maxIdleMs);
    }
  };

  #goQuiet(): void {
    this.#quiet = true;
    try {
      for (const s of this.#streams) s.wakeOnEvents(true);
    } catch (e) {
      return this.#drainOnTimer(e); // no waking perf events (out of fds)
    }
    // What came before the buffers were told to wake us raised no notification.
    const early = this.#drainAll().events;
    if (this.#stopped) return;
    if (early) return this.#goFlowing();
    if (this.#streams.some((s) => s.stalled)) {
      // Events wait that nobody takes yet (no listener, a full `for await` queue): epoll would
      // report them again at once. Look again on the slowest timer, as before there was a quiet mode.
      this.#quiet = false;
      for (const s of this.#streams) s.wakeOnEvents(false);
      this.#timer = setTimeout(this.#drain, this.#maxIdleMs);
      return;
    }
    if (this.#waiting) return;
    try {
      this.#epoll ??= new Epoll(this.#streams.flatMap((s) => s.pollFds));
    } catch (e) {
      return this.#drainOnTimer(e);
    }
    this.#waiting = true;
    this.#epoll.wait().then(() => {
      this.#waiting = false;
      if (this.#quiet && !this.#stopped) this.#goFlowing();
    }, (e) => {
      this.#waiting = false;
      if (!this.#stopped) this.#drainOnTimer(e);
    });
  }

  /** No epoll (out of fds, or no thread to wait in): drain on the idle timer, as before there was a quiet mode. */
  #drainOnTimer(e?: unknown): void {
    if (e !== undefined) verbose(`event buffers: cannot wait for the kernel (${(e as Error).message}); draining every ${this.#maxIdleMs} ms`);
    this.#noEpoll = true;
    this.#quiet = false;
    for (const s of this.#streams) s.wakeOnEvents(false);
    this.#timer = setTimeout(this.#drain, this.#maxIdleMs);
  }

  #goFlowing(): void {
    this.#quiet = false;
    this.#emptyDrains = 0;
    this.#idleMs = IDLE_DRAIN_MS;
    // The buffers keep waking per event until a drain finds them busy: sparse events (one every
    // few ms) would otherwise switch every CPU's slot twice per event.
    this.#drain();
  }

  #onHeartbeat = (): void => {
    if (this.#quiet && this.#drainAll().events && !this.#stopped) this.#goFlowing();
    if (this.#stopped) return;
    let taken = 0;
    for (const s of this.#streams) taken += s.taken;
    const eventsCame = taken !== this.#taken || this.#streams.some((s) => s.stalled);
    this.#taken = taken;
    this.#heartbeat(eventsCame);
  };
}
