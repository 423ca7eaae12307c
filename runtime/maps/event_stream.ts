// What RingBuf and PerfBuffer share on the JS side: typed events delivered to `on(callback)`
// listeners and `for await` loops, drained by the tracer's poll from whichever kernel buffer
// the handlers write (a BPF ring buffer, or per-CPU perf buffers).
import type { StructType } from "../../spec/layout.ts";
import type { OwnedFd } from "../fd.ts";
import { PerfEventArray } from "../perf_event_array.ts";
import { type Decoder, makeDecoder } from "./codec.ts";
import type { ProbeNames } from "./probe_names.ts";
import { type RecordSink, RingBufReader } from "./ringbuf_reader.ts";
import { PerfReader } from "./perf_reader.ts";
import { callerFrame, fromCallback } from "./at_caller.ts";

/** Events decoded but not yet taken by a `for await` loop; beyond this they wait in the kernel. */
const QUEUE_LIMIT = 65536;

interface EventReader {
  drain(sink: RecordSink, max?: number): number;
  readonly pressure: number;
  /** Whether the kernel has written something not consumed yet. */
  readonly pending: boolean;
  /** The fds epoll reports readable when the kernel signals new events. */
  readonly pollFds: number[];
  /** Whether the kernel signals every event (while the tracer waits) or none (while it drains on a timer). */
  wakeOnEvents(on: boolean): void;
  close(): void;
}

/** What RingBuf and PerfBuffer share: events from handlers, read with `for await`, on(), or both. */
export abstract class EventStream<T> {
  /** Bytes of kernel memory for events in flight (for a perf buffer: per CPU). */
  readonly size: number;
  #reader?: EventReader;
  #decode?: Decoder<T>;
  /** Kept after the end, for its count of lost events. */
  #perfReader?: PerfReader;
  readonly #listeners = new Set<(event: T) => void>();
  /** The listeners as an array, made anew when one is given or removed: a drain delivers to the array it started with. */
  #listenerList: ((event: T) => void)[] = [];
  /** The drain in progress: its listeners and the counts of removals and additions at its start (for #take). */
  #drainList: ((event: T) => void)[] = [];
  #drainRemovals = 0;
  #drainAdditions = 0;
  /** Where each listener was given (its caller's frame), and the one being called: for the place of an error it throws. */
  readonly #givenAt = new Map<(event: T) => void, string | undefined>();
  #calling: ((event: T) => void) | undefined;
  /** Listeners removed so far: a drain looks a listener up only after one was removed during it. */
  #removals = 0;
  /** Listeners given so far: one given during a drain ends that drain after its event (see #take). */
  #additions = 0;
  readonly #queue: T[] = [];
  #queueHead = 0;
  #iterating = 0;
  #wake?: () => void;
  #ended = false;
  /** A drain is delivering events: a listener that stops the tracer must not unmap the buffer under it. */
  #draining = false;
  /** Delivers nothing more: a listener stopped the tracer. */
  #halted = false;
  /** @internal Events taken from the kernel so far, by the pump's drains or any other. */
  taken = 0;

  /** A stream with `size` bytes of kernel memory for events in flight. */
  constructor(size: number) {
    this.size = size;
  }

  /** @internal The size of each CPU's buffer when the handlers write into perf buffers. */
  get perfBufferSize(): number {
    return this.size;
  }

  /** Calls `listener` for every event; returns a function that unsubscribes it. */
  on(listener: (event: T) => void): () => void {
    this.#listeners.add(listener);
    this.#listenerList = [...this.#listeners];
    this.#additions++;
    this.#givenAt.set(listener, callerFrame(publicOn()));
    // Events that arrived before anyone listened are delivered now, not at the next poll tick.
    queueMicrotask(() => this.drain());
    return () => {
      if (!this.#listeners.delete(listener)) return false;
      this.#listenerList = [...this.#listeners];
      this.#removals++;
      return this.#givenAt.delete(listener);
    };
  }

  /** The events as they arrive, until the tracer stops (`for await (const e of t.events)`). */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    this.#iterating++;
    this.drain();
    try {
      for (;;) {
        while (this.#queueHead < this.#queue.length) {
          const e = this.#queue[this.#queueHead];
          this.#queue[this.#queueHead++] = undefined as T;
          yield e;
        }
        this.#queue.length = this.#queueHead = 0;
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      this.#iterating--;
    }
  }

  /**
   * Events the kernel reported dropping from a full perf buffer (PERF_RECORD_LOST records
   * read so far); always 0 for a BPF ring buffer. `Tracer.lost()` counts both kinds per handler.
   */
  get perfLost(): number {
    return this.#perfReader?.lost ?? 0;
  }

  /** Whether the handlers write into per-CPU perf buffers (a PerfBuffer, or a RingBuf on a kernel without ring buffers). */
  get isPerfBuffer(): boolean {
    return this.#perfReader !== undefined;
  }

  /** @internal Connects the stream to its kernel map: a ring buffer, or a perf event array. */
  attach(map: OwnedFd, type: StructType, probeNames?: ProbeNames): void {
    this.#perfReader = map instanceof PerfEventArray ? new PerfReader(map) : undefined;
    this.#reader = this.#perfReader ?? new RingBufReader(map.fd, this.size);
    this.#decode = makeDecoder<T>(type, probeNames);
    this.#ended = false;
    this.#halted = false;
  }

  /** @internal Delivers what the kernel has written; returns the number of events. */
  drain(): number {
    const reader = this.#reader;
    if (!reader || this.#draining || this.#halted || (!this.#listeners.size && !this.#iterating)) return 0;
    this.#draining = true;
    try {
      const n = this.#deliver(reader);
      this.taken += n;
      return n;
    } catch (e) {
      // A listener's error names where it was given: Bun keeps no frame of an arrow that ends in a call.
      const calling = this.#calling;
      this.#calling = undefined;
      throw calling ? fromCallback(e, this.#givenAt.get(calling), "the listener given to on()") : e;
    } finally {
      this.#draining = false;
      if (this.#ended) this.#close(); // end() ran inside a listener: unmap now that the drain is over
    }
  }

  #deliver(reader: EventReader): number {
    const room = this.#iterating ? QUEUE_LIMIT - (this.#queue.length - this.#queueHead) : Infinity;
    if (room <= 0) return 0;
    // No array or closure made per drain: the pump drains a thousand times a second.
    this.#drainList = this.#listenerList;
    this.#drainRemovals = this.#removals;
    this.#drainAdditions = this.#additions;
    const n = reader.drain(this.#take, room);
    if (n && this.#wake) {
      this.#wake();
      this.#wake = undefined;
    }
    return n;
  }

  /** Delivers one record of the drain in progress to its listeners and `for await` loops. */
  readonly #take: RecordSink = (view, bytes, offset) => {
    if (this.#halted) return false; // the rest of this batch is dropped with the buffer
    const event = this.#decode!(view, bytes, offset);
    const listeners = this.#drainList, removals = this.#drainRemovals;
    for (let i = 0; i < listeners.length; i++) {
      const l = listeners[i];
      if (this.#halted || (this.#removals !== removals && !this.#listeners.has(l))) continue;
      this.#calling = l;
      l(event);
    }
    this.#calling = undefined;
    if (this.#iterating && !this.#halted) this.#queue.push(event);
    // Halted, or everyone unsubscribed: what follows stays in the kernel for the next listener.
    // A listener given during this drain is not in its list: what follows stays in the kernel
    // for the drain on() queued, which delivers to the listeners there are then.
    return !this.#halted && (this.#listeners.size > 0 || this.#iterating > 0) && this.#additions === this.#drainAdditions;
  };

  /** @internal Whether a listener is being called: the one that stops the tracer, if it does. */
  get delivering(): boolean {
    return this.#draining;
  }

  /** @internal Delivers nothing more, not even the rest of the events being delivered now. */
  halt(): void {
    this.#halted = true;
  }

  /** @internal The share of the buffer the last drain found filled (0..1): above a quarter, drain again at once. */
  get pressure(): number {
    return this.#reader?.pressure ?? 0;
  }

  /** @internal Events wait in the kernel that no one takes now (no listener, or a full `for await` queue). */
  get stalled(): boolean {
    const reader = this.#reader;
    if (!reader || this.#halted || !reader.pending) return false;
    const room = this.#iterating ? QUEUE_LIMIT - (this.#queue.length - this.#queueHead) : 0;
    return !this.#listeners.size && room <= 0;
  }

  /** @internal The fds to wait on (epoll) for the kernel's signal that events arrived. */
  get pollFds(): number[] {
    return this.#reader?.pollFds ?? [];
  }

  /** @internal Makes the kernel signal each event (the pump is waiting), or not (it drains on a timer). */
  wakeOnEvents(on: boolean): void {
    this.#reader?.wakeOnEvents(on);
  }

  /** @internal Final drain, then ends every `for await` loop. */
  end(): void {
    this.drain();
    this.#ended = true;
    if (!this.#draining) this.#close();
    this.#wake?.();
    this.#wake = undefined;
  }

  #close(): void {
    this.#reader?.close();
    this.#reader = undefined;
  }
}

/** on() as scripts call it: outside the class, whose name a bundler keeps only without self-references. */
function publicOn(): unknown {
  return EventStream.prototype.on;
}
