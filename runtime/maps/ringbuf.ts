// RingBuf<T>: events from handlers to JS. Declared as a field of a tracer; handlers call
// `submit`, user code receives typed objects through `for await` or `on(callback)`.
import type { StructType } from "../../compiler/types.ts";
import { type Decoder, makeDecoder } from "./codec.ts";
import { PAGE_SIZE, RingBufReader } from "./ringbuf_reader.ts";
import { kernelOnly } from "../kernel_only.ts";

/** Events decoded but not yet taken by a `for await` loop; beyond this they wait in the kernel. */
const QUEUE_LIMIT = 65536;

export class RingBuf<T> {
  readonly size: number;
  #reader?: RingBufReader;
  #decode?: Decoder<T>;
  readonly #listeners = new Set<(event: T) => void>();
  readonly #queue: T[] = [];
  #queueHead = 0;
  #iterating = 0;
  #wake?: () => void;
  #ended = false;

  /** `size`: bytes of kernel memory for events in flight; a power of two, at least 4096. */
  constructor(size = 256 * 1024) {
    if (!Number.isInteger(size) || size < PAGE_SIZE || (size & (size - 1)) !== 0) {
      throw new RangeError(`RingBuf size must be a power of two of at least ${PAGE_SIZE} bytes, got ${size}`);
    }
    this.size = size;
  }

  /** Called in a handler: sends one event to user space. */
  submit(_event: T): void {
    kernelOnly("RingBuf.submit");
  }

  /** Calls `listener` for every event; returns a function that unsubscribes it. */
  on(listener: (event: T) => void): () => void {
    this.#listeners.add(listener);
    // Events that arrived before anyone listened are delivered now, not at the next poll tick.
    queueMicrotask(() => this.drain());
    return () => this.#listeners.delete(listener);
  }

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

  /** @internal Connects the buffer to its kernel map. */
  attach(mapFd: number, type: StructType): void {
    this.#reader = new RingBufReader(mapFd, this.size);
    this.#decode = makeDecoder<T>(type);
    this.#ended = false;
  }

  /** @internal Delivers what the kernel has written; returns the number of events. */
  drain(): number {
    const reader = this.#reader;
    if (!reader || (!this.#listeners.size && !this.#iterating)) return 0;
    const decode = this.#decode!;
    const room = this.#iterating ? QUEUE_LIMIT - (this.#queue.length - this.#queueHead) : Infinity;
    if (room <= 0) return 0;
    const listeners = [...this.#listeners];
    const n = reader.drain((view, bytes, offset) => {
      const event = decode(view, bytes, offset);
      for (const l of listeners) l(event);
      if (this.#iterating) this.#queue.push(event);
    }, room);
    if (n && this.#wake) {
      this.#wake();
      this.#wake = undefined;
    }
    return n;
  }

  /** @internal The share of the buffer the last drain found filled (0..1): above a quarter, drain again at once. */
  get pressure(): number {
    return (this.#reader?.lastDrainBytes ?? 0) / this.size;
  }

  /** @internal Final drain, then ends every `for await` loop. */
  end(): void {
    this.drain();
    this.#ended = true;
    this.#reader?.close();
    this.#reader = undefined;
    this.#wake?.();
    this.#wake = undefined;
  }
}
