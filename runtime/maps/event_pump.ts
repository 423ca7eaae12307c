// Moves events from the kernel's buffers to JS while a tracer runs, in two modes:
//
// - Flowing: drained on a timer, every 1 ms while events come (every 2 ms into buffers of 2 MiB
//   or more, such as the default RingBuf; a wakeup per event would cost the traced process an
//   interrupt, see DESIGN.md), 1 ms longer after each empty drain, at once again while a drain
//   takes events and finds a buffer more than a quarter full.
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
// PerfEventArray.wakeOnEvents), and is delivered by it. While the pump is quiet (or has no
// buffers) and beats find nothing, each waits twice as long as the last, up to 8 s; an event or a
// count that grew brings it back to a second (an idle Bun process paid ≈ 0.03 % CPU and ≈ 5
// wakeups a second, with its GC timer, for a beat a second). A quiet pump keeps it only while it has
// work: when events came since the last beat, when the heartbeat watches more than the buffers
// (a tracer's counts of map updates refused, which grow without any event), and with perf
// buffers until a beat has drained them a full period after they were switched to waking. Then
// the pump sleeps in epoll alone and the heartbeat resumes with the next event: an idle Bun
// process wakes for Bun's own timers only (bench/NOTES.md). While it runs, the pump keeps the
// process alive (the heartbeat, or a timer that never comes due).
//
// Half a second after the start, the first moment the pump is quiet (at once in an idle tracer),
// it asks the runtime for one full collection (START_GARBAGE_MS): the garbage the start left.
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
/**
 * The period while events flow into buffers that hold at least FLOWING_BYTES: half the wake-ups
 * of BUSY_DRAIN_MS. A wake-up costs the process a few times what draining a few hundred events
 * does (bench/NOTES.md, "Streaming, session 12"). The longest an event waits is unchanged: an
 * event that comes after the first empty drains waits IDLE_DRAIN_MS + 1 already.
 */
const FLOWING_DRAIN_MS = 2;
const IDLE_DRAIN_MS = 2;
const MAX_IDLE_DRAIN_MS = 10;
/** How fast a buffer can fill: 2 M events/s of 16 bytes, about what one producer CPU reaches. */
const FILL_BYTES_PER_MS = 32 * 1024;
const PRESSURE_DRAIN_AGAIN = 0.25;
/** Buffers this large hold 32 FLOWING_DRAIN_MS periods at FILL_BYTES_PER_MS (the default RingBuf, 4 MiB, 64). */
const FLOWING_BYTES = 32 * FLOWING_DRAIN_MS * FILL_BYTES_PER_MS;
/** Empty drains in a row before the pump stops draining on a timer and waits for the kernel. */
const QUIET_AFTER_EMPTY_DRAINS = 3;
const HEARTBEAT_MS = 1000;
/**
 * The longest a quiet heartbeat waits: each beat that finds nothing doubles its period up to
 * this (1, 2, 4, 8 s); one that finds something, or an event, brings it back to a second.
 */
const MAX_HEARTBEAT_MS = 8000;
/** The longest delay a timer takes (2^31 - 1 ms, ~24.8 days; a longer one fires at once): it only keeps the process alive. */
const KEEP_ALIVE_MS = 2 ** 31 - 1;
/** Events in one drain from which the perf buffers stop waking the reader per event. */
const BUSY_EVENTS_PER_DRAIN = 32;
/**
 * How long after the start the garbage it left (a cold start's compiler, the loader's buffers)
 * is collected, once, at the first moment from then on that the pump is quiet. Left to Bun, a
 * full collection of it came 7–10 s later, in the idle tracer's first quiet seconds (≈ 10 ms of
 * CPU: bench/NOTES.md, "Idle on Bun, session 10"). Half a second: after a launch's first events,
 * long before a quiet tracer's first heartbeat.
 */
export const START_GARBAGE_MS = 500;

export class EventPump {
  readonly #streams: EventStream<unknown>[];
  readonly #heartbeat: (eventsCame: boolean) => boolean;
  /** The heartbeat checks something that changes without events: it never pauses. */
  readonly #watchesMore: boolean;
  readonly #perfBuffers: boolean;
  /** When the buffers were last told to wake the pump (performance.now()). */
  #quietSince = 0;
  /** Holds the process open while the heartbeat is paused (timer pacing). */
  #keepAlive?: ReturnType<typeof setInterval>;
  readonly #maxIdleMs: number;
  /** The wait after a drain that took events (BUSY_DRAIN_MS, or FLOWING_DRAIN_MS for large buffers). */
  readonly #flowingMs: number;
  /**
   * The wait after the next empty drain. The first, right after start(), is the shortest: the
   * first event often comes just after the attach, and the listener's own first drain (on()) may
   * have run just before it. From then on empty drains wait longer (IDLE_DRAIN_MS, +1 each).
   */
  #idleMs = BUSY_DRAIN_MS;
  #emptyDrains = 0;
  /** Drains in a row that took events: from the second, events flow (see #next). */
  #eventfulDrains = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #cancelSoon?: () => void;
  /** The heartbeat's timer (timer pacing); undefined while paused. */
  #beat?: ReturnType<typeof setInterval>;
  /** The heartbeat's period now: HEARTBEAT_MS, longer while beats find nothing (nextBeatMs). */
  #beatMs = HEARTBEAT_MS;
  /** The period #beat was set with. */
  #beatArmedMs = 0;
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
  /** The start's garbage: not yet to be collected, to be collected when quiet, or collected. */
  #startGarbage: "later" | "due" | "done" = "later";
  #cancelStartGarbage?: () => void;

  /**
   * `heartbeat` runs once a second while the pump runs (the loss check): whether events came or
   * wait since the last; it returns whether it found something (a count grew). While the pump is
   * quiet and beats find nothing, they come less often (up to every MAX_HEARTBEAT_MS).
   * `watchesMore`: it checks something that changes without events (false: a quiet pump may
   * pause it until events come again).
   */
  constructor(streams: EventStream<unknown>[], heartbeat: (eventsCame: boolean) => boolean, watchesMore = true) {
    this.#streams = streams;
    this.#heartbeat = heartbeat;
    this.#watchesMore = watchesMore;
    this.#perfBuffers = streams.some((s) => s.isPerfBuffer);
    // Idle drains are at most as far apart as the smallest buffer takes to fill to half.
    const smallest = Math.min(...streams.map((s) => s.size));
    this.#maxIdleMs = Math.max(IDLE_DRAIN_MS, Math.min(MAX_IDLE_DRAIN_MS, Math.floor(smallest / FILL_BYTES_PER_MS / 2)));
    this.#flowingMs = smallest >= FLOWING_BYTES ? FLOWING_DRAIN_MS : BUSY_DRAIN_MS;
  }

  /** Drains once now, then keeps draining until stop(). */
  start(): void {
    if (this.#stopped) return; // stopped before it started (by the tracer's begin())
    this.#cancelStartGarbage = libcSync().process.after(START_GARBAGE_MS, () => {
      this.#startGarbage = "due";
      this.#collectStartGarbage();
    });
    if (libcSync().pacesWithEpoll) {
      try {
        this.#epoll = new Epoll(this.#streams.flatMap((s) => s.pollFds));
      } catch (e) {
        return this.#drainOnTimer(e);
      }
      void this.#run();
      return;
    }
    this.#armBeat();
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
    this.#cancelStartGarbage?.();
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
    // At once again only after a drain that took something: a stream's pressure is the share its
    // last reading took, and a drain that reads nothing (no listener now, a full `for await`
    // queue) leaves it as it was; draining again at once on it was a loop without a wait.
    if (events && pressure >= PRESSURE_DRAIN_AGAIN) {
      for (const s of this.#streams) s.wakeOnEvents(false);
      return "again";
    }
    if (events) {
      // Events flow (a busy drain, or the second drain in a row that found some): the timer
      // drains them, and a wakeup per event would cost the producer an interrupt each (perf
      // buffers; at a few events per drain they kept waking, and slowed the producer 4×).
      // Sparse events (a drain's worth, then empty drains) keep waking on, and the pump goes quiet.
      if (events >= BUSY_EVENTS_PER_DRAIN || this.#eventfulDrains > 0) for (const s of this.#streams) s.wakeOnEvents(false);
      this.#eventfulDrains++;
      this.#emptyDrains = 0;
      this.#idleMs = IDLE_DRAIN_MS;
      return this.#flowingMs;
    }
    this.#eventfulDrains = 0;
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
    if (this.#waiting) return this.#collectStartGarbage();
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
    // Waiting in the kernel already: an event during the collection wakes the pump after it.
    this.#collectStartGarbage();
  }

  /** No epoll (out of fds, or no thread to wait in): drain on the idle timer, as before there was a quiet mode. */
  #drainOnTimer(e?: unknown): void {
    if (e !== undefined) verbose(`event buffers: cannot wait for the kernel (${(e as Error).message}); draining every ${this.#maxIdleMs} ms`);
    this.#noEpoll = true;
    this.#quiet = false;
    for (const s of this.#streams) s.wakeOnEvents(false);
    if (this.#beat === undefined) this.#armBeat();
    this.#timer = setTimeout(this.#drain, this.#maxIdleMs);
  }

  /** Back to draining on a short period. */
  #flowing(): void {
    this.#quiet = false;
    this.#emptyDrains = 0;
    this.#idleMs = IDLE_DRAIN_MS;
    if (this.#stopped) return;
    // Events come: the loss check is due within a second again.
    if (this.#beatMs !== HEARTBEAT_MS) {
      this.#beatMs = HEARTBEAT_MS;
      this.#nextBeat = Math.min(this.#nextBeat, performance.now() + HEARTBEAT_MS);
      if (this.#beat !== undefined) this.#armBeat();
    }
    // Paced by timers, with the heartbeat paused while quiet: it resumes.
    if (this.#keepAlive !== undefined && this.#beat === undefined) this.#armBeat();
  }

  /** (Re)sets the heartbeat's timer to the current period (timer pacing). */
  #armBeat(): void {
    if (this.#beat !== undefined) clearInterval(this.#beat);
    this.#beat = setInterval(this.#onHeartbeat, this.#beatMs);
    this.#beatArmedMs = this.#beatMs;
  }

  #goFlowing(): void {
    this.#flowing();
    // The buffers keep waking per event until a drain finds them busy: sparse events (one every
    // few ms) would otherwise switch every CPU's slot twice per event.
    this.#drain();
  }

  #onHeartbeat = (): void => {
    const eventsCame = this.#eventsSinceBeat();
    const woke = this.#beatOnce();
    if (this.#stopped || this.#beat === undefined) return;
    if (!woke && this.#beatMayPause(eventsCame)) {
      // Quiet, and this beat found nothing to check: sleep in epoll alone until the next event.
      this.#keepAlive ??= setInterval(() => {}, KEEP_ALIVE_MS);
      clearInterval(this.#beat);
      this.#beat = undefined;
      return;
    }
    if (this.#beatMs !== this.#beatArmedMs) this.#armBeat();
    if (woke) this.#drain();
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
    if (this.#takenSoFar() !== this.#taken) return true;
    // Indexed loops, no closure or iterator: an idle beat allocates nothing (Bun's GC timer runs
    // once a second while the heap changes).
    const streams = this.#streams;
    for (let i = 0; i < streams.length; i++) if (streams[i].stalled) return true;
    return false;
  }

  #takenSoFar(): number {
    let taken = 0;
    const streams = this.#streams;
    for (let i = 0; i < streams.length; i++) taken += streams[i].taken;
    return taken;
  }

  /**
   * The heartbeat; true when a quiet pump found events (it is flowing again and should drain).
   * Sets the period until the next one (nextBeatMs).
   */
  #beatOnce(): boolean {
    const woke = this.#quiet && this.#drainAll().events > 0 && !this.#stopped;
    if (woke) this.#flowing();
    if (this.#stopped) return false;
    const eventsCame = this.#eventsSinceBeat();
    this.#taken = this.#takenSoFar();
    const found = this.#heartbeat(eventsCame);
    // A pump without buffers has nothing to drain: it is as quiet as one waiting in epoll.
    const quiet = this.#quiet || this.#streams.length === 0;
    this.#beatMs = nextBeatMs(this.#beatMs, quiet && !eventsCame && !found);
    return woke;
  }

  /**
   * Paced by epoll: drains, then sleeps in epoll_wait for as long as a timer would have waited.
   * A wait that fails switches to timers; anything else thrown (a listener's error) rejects, as
   * it would be thrown from a timer's callback.
   */
  async #run(): Promise<void> {
    const epoll = this.#epoll!;
    this.#nextBeat = performance.now() + this.#beatMs;
    while (!this.#stopped) {
      const { events, pressure } = this.#drainAll();
      if (this.#stopped) return;
      const next = this.#next(events, pressure);
      if (next === "quiet") {
        if (!(await this.#sleepQuiet(epoll))) return;
      } else {
        // Awaited here, not through #waited: a flowing pump sleeps a thousand times a second.
        // A sleep of 0 still lets pending I/O run first.
        try {
          await epoll.sleep(next === "again" ? 0 : next);
        } catch (e) {
          if (!this.#stopped) this.#drainOnTimer(e);
          return;
        }
        if (this.#stopped) return;
      }
      if (performance.now() >= this.#nextBeat) {
        this.#beatOnce();
        this.#nextBeat = performance.now() + this.#beatMs;
      }
    }
  }

  /** Waits in epoll on the buffers (running the heartbeat when due) until one has something; false: stop looping. */
  async #sleepQuiet(epoll: Epoll): Promise<boolean> {
    const state = this.#enterQuiet();
    if (this.#stopped || state === "failed") return false;
    if (state === "flowing") return (this.#flowing(), true);
    if (state === "stalled") return this.#waited(epoll.sleep(this.#maxIdleMs));
    this.#collectStartGarbage();
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
      const woke = this.#beatOnce();
      this.#nextBeat = performance.now() + this.#beatMs;
      if (woke) return true;
      if (this.#stopped) return false;
    }
  }

  /** Once the start's garbage is due (START_GARBAGE_MS) and the pump is quiet: one full collection. */
  #collectStartGarbage(): void {
    if (this.#startGarbage !== "due" || this.#stopped) return;
    if (this.#streams.length && !this.#quiet) return; // events flow: the next quiet spell does it
    this.#startGarbage = "done";
    if (libcSync().process.collectGarbage()) verbose("collected the garbage the start left");
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

/**
 * The heartbeat's next period: twice the last (up to MAX_HEARTBEAT_MS) after a beat of a quiet
 * pump that found nothing, a second after any other. A refused update that comes after a long
 * quiet spell is reported within MAX_HEARTBEAT_MS, and then every second while the count grows.
 */
function nextBeatMs(lastMs: number, foundNothing: boolean): number {
  return foundNothing ? Math.min(lastMs * 2, MAX_HEARTBEAT_MS) : HEARTBEAT_MS;
}
