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
// The heartbeat (once a second) runs the loss check (told whether events came since the last one:
// with none, and none waiting, no buffer can have been full) and drains once more: a perf buffer's
// event written while its CPU was switching modes raises no notification (see
// PerfEventArray.wakeOnEvents), and is delivered by it. A quiet pump keeps it only while it has
// work: when events came since the last beat, when the heartbeat watches more than the buffers
// (a tracer's counts of map updates refused, which grow without any event), and with perf
// buffers until a beat has drained them a full period after they were switched to waking. Then
// the pump sleeps in epoll alone and the heartbeat resumes with the next event: an idle Bun
// process wakes for Bun's own timers only (bench/NOTES.md). While it runs, the pump keeps the
// process alive (the heartbeat, or a timer that never comes due).
//
// How the waits are made depends on the runtime (libc.pacesWithEpoll): with timers (setTimeout,
// setInterval; Bun's cost nothing to load), or, on Deno, with the timeouts of epoll_wait calls on
// the waiting thread: Deno loads its timers on their first use (≈ 6 ms and 3 MB of a warm start),
// and its setTimeout(1) fires after ≈ 2 ms. Then a flowing pump sleeps in epoll_wait on a set
// holding only the eventfd that stop() writes (runtime/epoll.ts), a quiet one on the buffers' set
// until the next heartbeat is due, and the pending wait is what keeps the process alive.
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
/** The longest delay a timer takes (2^31 - 1 ms, ~24.8 days; a longer one fires at once): it only keeps the process alive. */
const KEEP_ALIVE_MS = 2 ** 31 - 1;
/** Events in one drain from which the perf buffers stop waking the reader per event. */
const BUSY_EVENTS_PER_DRAIN = 32;

export class EventPump {
  readonly #streams: EventStream<unknown>[];
  readonly #heartbeat: (eventsCame: boolean) => void;
  /** The heartbeat checks something that changes without events: it never pauses. */
  readonly #watchesMore: boolean;
  readonly #perfBuffers: boolean;
  /** When the buffers were last told to wake the pump (performance.now()). */
  #quietSince = 0;
  /** Holds the process open while the heartbeat is paused (timer pacing). */
  #keepAlive?: ReturnType<typeof setInterval>;
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
  /** When the next heartbeat is due (performance.now()), while paced by epoll. */
  #nextBeat = 0;

  /**
   * `heartbeat` runs once a second while the pump runs (the loss check): whether events came or
   * wait since the last. `watchesMore`: it checks something that changes without events (false:
   * a quiet pump may pause it until events come again).
   */
  constructor(streams: EventStream<unknown>[], heartbeat: (eventsCame: boolean) => void, watchesMore = true) {
    this.#streams = streams;
    this.#heartbeat = heartbeat;
    this.#watchesMore = watchesMore;
    this.#perfBuffers = streams.some((s) => s.isPerfBuffer);
    // Idle drains are at most as far apart as the smallest buffer takes to fill to half.
    const smallest = Math.min(...streams.map((s) => s.size));
    this.#maxIdleMs = Math.max(IDLE_DRAIN_MS, Math.min(MAX_IDLE_DRAIN_MS, Math.floor(smallest / FILL_BYTES_PER_MS / 2)));
  }

  /** Drains once now, then keeps draining until stop(). */
  start(): void {
    if (this.#stopped) return; // stopped before it started (by the tracer's begin())
    if (libcSync().pacesWithEpoll) {
      try {
        this.#epoll = new Epoll(this.#streams.flatMap((s) => s.pollFds));
      } catch (e) {
        return this.#drainOnTimer(e);
      }
      void this.#run();
      return;
    }
    this.#beat = setInterval(this.#onHeartbeat, HEARTBEAT_MS);
    if (this.#streams.length) this.#drain();
  }

  /**
   * No drain runs after this; a thread waiting in epoll is woken and ends. Resolves once the
   * epoll set's fds are closed (at once, or when that thread has returned: well under a millisecond).
   */
  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#cancelSoon?.();
    if (this.#beat !== undefined) clearInterval(this.#beat);
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    const closed = this.#epoll?.close();
    this.#epoll = undefined;
    return closed ?? Promise.resolve();
  }

  #drainAll(): { events: number; pressure: number } {
    let events = 0, pressure = 0;
    try {
      for (const s of this.#streams) {
        events += s.drain();
        pressure = Math.max(pressure, s.pressure);
      }
    } catch (e) {
      // A listener threw: the error goes on as before (it ends the process unless the script
      // catches uncaught errors), but a script that survives it still gets its next events.
      if (!this.#stopped) this.#goOnAfterError();
      throw e;
    }
    return { events, pressure };
  }

  /** Drains again soon, whatever the drain that threw was in the middle of. */
  #goOnAfterError(): void {
    this.#flowing();
    for (const s of this.#streams) s.wakeOnEvents(false);
    if (libcSync().pacesWithEpoll && !this.#noEpoll) {
      // The loop that threw has ended (its promise rejects with the error): a new one takes over.
      libcSync().process.soon(() => void this.#run());
      return;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#drain, BUSY_DRAIN_MS);
  }

  /** After a drain: drain again at once ("again"), after this many ms, or go quiet. */
  #next(events: number, pressure: number): "again" | "quiet" | number {
    if (pressure >= PRESSURE_DRAIN_AGAIN) {
      for (const s of this.#streams) s.wakeOnEvents(false);
      return "again";
    }
    if (events) {
      // Busy: now a wakeup per event would cost the producer more than it saves (perf buffers).
      if (events >= BUSY_EVENTS_PER_DRAIN) for (const s of this.#streams) s.wakeOnEvents(false);
      this.#emptyDrains = 0;
      this.#idleMs = IDLE_DRAIN_MS;
      return BUSY_DRAIN_MS;
    }
    if (++this.#emptyDrains >= QUIET_AFTER_EMPTY_DRAINS && !this.#noEpoll) return "quiet";
    const ms = this.#idleMs;
    this.#idleMs = Math.min(this.#idleMs + 1, this.#maxIdleMs);
    return ms;
  }

  #drain = (): void => {
    this.#timer = undefined;
    this.#cancelSoon = undefined;
    const { events, pressure } = this.#drainAll();
    if (this.#stopped) return; // a listener stopped the tracer
    const next = this.#next(events, pressure);
    if (next === "again") this.#cancelSoon = libcSync().process.soon(this.#drain);
    else if (next === "quiet") this.#goQuiet();
    else this.#timer = setTimeout(this.#drain, next);
  };

  /**
   * Tells the buffers to wake the reader and drains what came before. "flowing": events came
   * meanwhile; "stalled": events wait that nobody takes yet (no listener, a full `for await`
   * queue), which epoll would report again at once; "quiet": nothing waits, sleep in epoll;
   * "failed": no waking perf events (out of fds), drain on timers from now on.
   */
  #enterQuiet(): "flowing" | "stalled" | "quiet" | "failed" {
    this.#quiet = true;
    try {
      for (const s of this.#streams) s.wakeOnEvents(true);
      this.#quietSince = performance.now();
    } catch (e) {
      this.#drainOnTimer(e);
      return "failed";
    }
    // What came before the buffers were told to wake us raised no notification.
    if (this.#drainAll().events) return "flowing";
    if (this.#streams.some((s) => s.stalled)) {
      this.#quiet = false;
      for (const s of this.#streams) s.wakeOnEvents(false);
      return "stalled";
    }
    return "quiet";
  }

  #goQuiet(): void {
    const state = this.#enterQuiet();
    if (state === "failed") return;
    if (this.#stopped) return;
    if (state === "flowing") return this.#goFlowing();
    // Stalled: look again on the slowest timer, as before there was a quiet mode.
    if (state === "stalled") return void (this.#timer = setTimeout(this.#drain, this.#maxIdleMs));
    if (this.#waiting) return;
    try {
      this.#epoll ??= new Epoll(this.#streams.flatMap((s) => s.pollFds));
    } catch (e) {
      return this.#drainOnTimer(e);
    }
    this.#waiting = true;
    this.#epoll.wait(-1).then(() => {
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
    this.#beat ??= setInterval(this.#onHeartbeat, HEARTBEAT_MS);
    this.#timer = setTimeout(this.#drain, this.#maxIdleMs);
  }

  /** Back to draining on a short period. */
  #flowing(): void {
    this.#quiet = false;
    this.#emptyDrains = 0;
    this.#idleMs = IDLE_DRAIN_MS;
    // Paced by timers, with the heartbeat paused while quiet: it resumes.
    if (this.#keepAlive !== undefined && !this.#stopped) this.#beat ??= setInterval(this.#onHeartbeat, HEARTBEAT_MS);
  }

  #goFlowing(): void {
    this.#flowing();
    // The buffers keep waking per event until a drain finds them busy: sparse events (one every
    // few ms) would otherwise switch every CPU's slot twice per event.
    this.#drain();
  }

  #onHeartbeat = (): void => {
    const eventsCame = this.#eventsSinceBeat();
    if (this.#beatOnce()) return this.#drain();
    if (this.#stopped || !this.#beatMayPause(eventsCame)) return;
    // Quiet, and this beat found nothing to check: sleep in epoll alone until the next event.
    this.#keepAlive ??= setInterval(() => {}, KEEP_ALIVE_MS);
    clearInterval(this.#beat);
    this.#beat = undefined;
  };

  /**
   * Whether a quiet pump's heartbeat has nothing left to do until the next event: no event came
   * since the last beat, it watches nothing else, and a perf buffer's record written as its CPU
   * switched to waking (which raised no notification) has been drained by a beat since.
   */
  #beatMayPause(eventsCame: boolean): boolean {
    if (!this.#quiet || eventsCame || this.#watchesMore) return false;
    return !this.#perfBuffers || performance.now() - this.#quietSince >= HEARTBEAT_MS;
  }

  /** Whether events were taken or wait since the last heartbeat: the loss check has work. */
  #eventsSinceBeat(): boolean {
    return this.#takenSoFar() !== this.#taken || this.#streams.some((s) => s.stalled);
  }

  #takenSoFar(): number {
    let taken = 0;
    for (const s of this.#streams) taken += s.taken;
    return taken;
  }

  /** The heartbeat; true when a quiet pump found events (it is flowing again and should drain). */
  #beatOnce(): boolean {
    const woke = this.#quiet && this.#drainAll().events > 0 && !this.#stopped;
    if (woke) this.#flowing();
    if (this.#stopped) return false;
    const eventsCame = this.#eventsSinceBeat();
    this.#taken = this.#takenSoFar();
    this.#heartbeat(eventsCame);
    return woke;
  }

  /**
   * Paced by epoll: drains, then sleeps in epoll_wait for as long as a timer would have waited.
   * A wait that fails switches to timers; anything else thrown (a listener's error) rejects, as
   * it would be thrown from a timer's callback.
   */
  async #run(): Promise<void> {
    const epoll = this.#epoll!;
    this.#nextBeat = performance.now() + HEARTBEAT_MS;
    while (!this.#stopped) {
      const { events, pressure } = this.#drainAll();
      if (this.#stopped) return;
      const next = this.#next(events, pressure);
      // A sleep of 0 still lets pending I/O run first.
      const goOn = next === "quiet" ? await this.#sleepQuiet(epoll) : await this.#waited(epoll.sleep(next === "again" ? 0 : next));
      if (!goOn) return;
      if (performance.now() >= this.#nextBeat) {
        this.#nextBeat = performance.now() + HEARTBEAT_MS;
        this.#beatOnce();
      }
    }
  }

  /** Waits in epoll on the buffers (running the heartbeat when due) until one has something; false: stop looping. */
  async #sleepQuiet(epoll: Epoll): Promise<boolean> {
    const state = this.#enterQuiet();
    if (this.#stopped || state === "failed") return false;
    if (state === "flowing") return (this.#flowing(), true);
    if (state === "stalled") return this.#waited(epoll.sleep(this.#maxIdleMs));
    for (;;) {
      let ready: boolean;
      // No beat due while quiet once one has found nothing came: wait for the kernel alone.
      const beat = !this.#beatMayPause(this.#eventsSinceBeat());
      try {
        ready = await epoll.wait(beat ? Math.max(0, Math.ceil(this.#nextBeat - performance.now())) : -1);
      } catch (e) {
        if (!this.#stopped) this.#drainOnTimer(e);
        return false;
      }
      if (this.#stopped) return false;
      if (ready) return (this.#flowing(), true);
      this.#nextBeat = performance.now() + HEARTBEAT_MS;
      if (this.#beatOnce()) return true;
      if (this.#stopped) return false;
    }
  }

  /** Whether the pump goes on after `wait`: false once stopped, or when the wait failed (then it drains on timers). */
  async #waited(wait: Promise<unknown>): Promise<boolean> {
    try {
      await wait;
    } catch (e) {
      if (!this.#stopped) this.#drainOnTimer(e);
      return false;
    }
    return !this.#stopped;
  }
}
