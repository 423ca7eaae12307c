// Consumes a BPF ring buffer through its mmapped pages, without syscalls while records fit the
// window it has mapped.
//
// Layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos (we write it), page 1 holds
// producer_pos, then the data area. The kernel offers the data area twice in a row, so that a
// record that wraps is contiguous (libbpf maps both), but it fills the whole mapping with pages
// at mmap: 8 MiB of RSS for a 4 MiB ring. We map a window of the data area at a time (all of a
// small ring), move it when the reader passes its end, and copy the rare record that runs past
// a window's end into a scratch buffer. Each record has an 8-byte header: u32 length (bit 31
// busy, bit 30 discarded), u32 page offset; records are 8-byte aligned, so a header never wraps.
import { libcSync } from "../ffi/mod.ts";
import { syscallError } from "../errors.ts";

const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
const BUSY = 0x80000000, DISCARD = 0x40000000, HEADER = 8;
export const PAGE_SIZE = 4096;
/**
 * The most of the data area mapped at once: a 4 MiB ring costs 256 KiB of RSS, and the window
 * moves (munmap + mmap) once per 256 KiB of records, about 6 500 events of 40 bytes.
 */
export const RINGBUF_WINDOW = 256 * 1024;

/** Takes one record; returns false to end the drain there (the stream was halted: its map may be closing). */
export type RecordSink = (view: DataView, bytes: Uint8Array, offset: number, length: number) => boolean | void;

export class RingBufReader {
  readonly #fd: number;
  readonly #size: number;
  readonly #mask: number;
  readonly #window: number;
  #consumerAddr: bigint;
  #producerAddr: bigint;
  readonly #consumer: BigUint64Array;
  readonly #producer: Uint32Array;
  /** The mapped window: data-area offsets [#windowStart, #windowStart + #window). */
  #windowAddr = 0n;
  #windowStart = -1;
  #data = new Uint8Array(0);
  #view = new DataView(this.#data.buffer);
  /** Where a record that runs past the end of a window is put together. */
  #joined = new Uint8Array(0);
  #joinedView = new DataView(this.#joined.buffer);
  #pos: number;
  /** Bytes the last drain consumed: how hard the producer is pushing. */
  lastDrainBytes = 0;
  /** The map's fd: epoll reports it readable while records wait (the kernel signals the first one after we caught up). */
  readonly pollFds: number[];

  constructor(mapFd: number, size: number) {
    const c = libcSync();
    this.#fd = mapFd;
    this.#size = size;
    this.#mask = size - 1;
    this.#window = Math.min(size, RINGBUF_WINDOW);
    this.pollFds = [mapFd];
    this.#consumerAddr = c.mmap(PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0);
    if (this.#consumerAddr < 0n) throw syscallError("mmap(ring buffer consumer page)", Number(this.#consumerAddr));
    this.#producerAddr = c.mmap(PAGE_SIZE, PROT_READ, MAP_SHARED, mapFd, PAGE_SIZE);
    if (this.#producerAddr < 0n) {
      c.munmap(this.#consumerAddr, PAGE_SIZE);
      throw syscallError("mmap(ring buffer producer page)", Number(this.#producerAddr));
    }
    this.#consumer = new BigUint64Array(c.view(this.#consumerAddr, PAGE_SIZE), 0, 1);
    // Plain loads only: in Bun an Atomics op on this read-only mapping crashes once JIT-compiled.
    this.#producer = new Uint32Array(c.view(this.#producerAddr, PAGE_SIZE), 0, 2);
    this.#pos = Number(this.#consumer[0]);
    try {
      this.#local(this.#pos & this.#mask);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Maps the window holding data-area offset `at` (if it is not mapped yet); returns `at` within it. */
  #local(at: number): number {
    const start = at & ~(this.#window - 1); // both sizes are powers of two
    if (start !== this.#windowStart) {
      const c = libcSync();
      if (this.#windowAddr !== 0n) c.munmap(this.#windowAddr, this.#window);
      this.#windowAddr = 0n;
      this.#windowStart = -1;
      const addr = c.mmap(this.#window, PROT_READ, MAP_SHARED, this.#fd, 2 * PAGE_SIZE + start);
      if (addr < 0n) throw syscallError("mmap(ring buffer data)", Number(addr));
      const pages = c.view(addr, this.#window);
      this.#windowAddr = addr;
      this.#windowStart = start;
      this.#data = new Uint8Array(pages);
      this.#view = new DataView(pages);
    }
    return at - start;
  }

  #producerPos(): number {
    // Two 32-bit halves; re-read if the high half moved in between (x86-64 loads are ordered).
    for (;;) {
      const hi = this.#producer[1], lo = this.#producer[0];
      if (this.#producer[1] === hi) return hi * 0x100000000 + lo;
    }
  }

  /**
   * Hands every committed record to `sink`; returns how many it consumed. The space read is
   * handed back to the kernel every sixteenth of the ring, not only at the end: a drain of a
   * large backlog takes tens of ms (a listener, a garbage collection), and the producer, which
   * keeps going meanwhile, would otherwise find the ring full with records already delivered.
   * (A sink copies what it needs: the decoders build JS values.)
   */
  drain(sink: RecordSink, max = Infinity): number {
    if (this.#consumerAddr === 0n) return 0;
    const producer = this.#producerPos();
    const releaseEvery = this.#size / 16;
    let pos = this.#pos, released = pos;
    let n = 0;
    // A sink that throws (a listener's error) ends the drain, but the space already handed back
    // may be rewritten by the kernel at once: the position is kept, past the record it threw on.
    try {
      drain: while (pos < producer && n < max) {
        if (pos - released >= releaseEvery) {
          Atomics.store(this.#consumer, 0, BigInt(pos));
          released = pos;
        }
        // The records of one stretch (up to the window's end, the producer, or the next release)
        // are read from locals: per record, no lookup of the window, no field read (this runs
        // about a million times a second while events flow).
        let at = this.#local(pos & this.#mask);
        const view = this.#view, data = this.#data, window = this.#window;
        const end = Math.min(window, at + Math.min(producer, released + releaseEvery) - pos);
        while (at < end && n < max) {
          const header = view.getUint32(at, true);
          if (header & BUSY) break drain;
          const length = header & ~(BUSY | DISCARD);
          const step = (length + HEADER + 7) & ~7;
          const record = pos, start = at + HEADER;
          pos += step;
          at += step;
          if (header & DISCARD) continue;
          n++;
          if (start + length > window) {
            // It runs past the window's end: put together (which may move the window), then a new stretch.
            const joined = this.#join((record + HEADER) & this.#mask, length);
            if (sink(this.#joinedView, joined, 0, length) === false) break drain;
            continue drain;
          }
          // Halted (a listener stopped the tracer): the map's fd may be closed, so no window is mapped after this.
          if (sink(view, data, start, length) === false) break drain;
        }
      }
    } finally {
      this.lastDrainBytes = pos - this.#pos;
      if (pos !== this.#pos) {
        this.#pos = pos;
        Atomics.store(this.#consumer, 0, BigInt(pos));
      }
    }
    return n;
  }

  /** The `length` bytes from data-area offset `start` on, across window ends and the ring's end, in one piece. */
  #join(start: number, length: number): Uint8Array {
    if (this.#joined.length < length) {
      this.#joined = new Uint8Array(Math.max(length, 2 * this.#joined.length));
      this.#joinedView = new DataView(this.#joined.buffer);
    }
    for (let copied = 0; copied < length;) {
      const at = this.#local((start + copied) & this.#mask);
      const n = Math.min(length - copied, this.#window - at);
      this.#joined.set(this.#data.subarray(at, at + n), copied);
      copied += n;
    }
    return this.#joined;
  }

  /** Bytes of the data area mapped at a time (the producer's and consumer's pages aside). */
  get windowBytes(): number {
    return this.#window;
  }

  /** A ring buffer signals only the record that follows a caught-up consumer: cheap enough to leave on. */
  wakeOnEvents(_on: boolean): void {}

  /** The share of the buffer the last drain consumed (0..1). */
  get pressure(): number {
    return this.lastDrainBytes / this.#size;
  }

  /** Whether the kernel has written records not consumed yet. */
  get pending(): boolean {
    return this.#consumerAddr !== 0n && this.#producerPos() > this.#pos;
  }

  close(): void {
    if (this.#consumerAddr === 0n) return;
    const c = libcSync();
    c.munmap(this.#consumerAddr, PAGE_SIZE);
    c.munmap(this.#producerAddr, PAGE_SIZE);
    if (this.#windowAddr !== 0n) c.munmap(this.#windowAddr, this.#window);
    this.#consumerAddr = 0n;
    this.#producerAddr = 0n;
    this.#windowAddr = 0n;
  }
}
