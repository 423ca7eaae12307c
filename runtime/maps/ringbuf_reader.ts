// Consumes a BPF ring buffer through its mmapped pages, without syscalls.
//
// Layout (kernel/bpf/ringbuf.c): page 0 holds consumer_pos (we write it), page 1 holds
// producer_pos, then the data area. The kernel offers the data area twice in a row, so that a
// record that wraps is contiguous (libbpf maps both), but it fills the whole mapping with pages
// at mmap: 8 MiB of RSS for a 4 MiB ring. We map it once and copy the rare record that wraps
// into a scratch buffer. Each record has an 8-byte header: u32 length (bit 31 busy, bit 30
// discarded), u32 page offset; records are 8-byte aligned, so a header never wraps.
import { libcSync } from "../ffi/mod.ts";
import { syscallError } from "../errors.ts";

const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
const BUSY = 0x80000000, DISCARD = 0x40000000, HEADER = 8;
export const PAGE_SIZE = 4096;

export type RecordSink = (view: DataView, bytes: Uint8Array, offset: number, length: number) => void;

export class RingBufReader {
  readonly #size: number;
  readonly #mask: number;
  #consumerAddr: bigint;
  #producerAddr: bigint;
  readonly #consumer: BigUint64Array;
  readonly #producer: Uint32Array;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  /** Where a record that wraps around the end of the data area is put together. */
  #wrapped = new Uint8Array(0);
  #wrappedView = new DataView(this.#wrapped.buffer);
  #pos: number;
  /** Bytes the last drain consumed: how hard the producer is pushing. */
  lastDrainBytes = 0;
  /** The map's fd: epoll reports it readable while records wait (the kernel signals the first one after we caught up). */
  readonly pollFds: number[];

  constructor(mapFd: number, size: number) {
    const c = libcSync();
    this.#size = size;
    this.#mask = size - 1;
    this.pollFds = [mapFd];
    this.#consumerAddr = c.mmap(PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0);
    if (this.#consumerAddr < 0n) throw syscallError("mmap(ring buffer consumer page)", Number(this.#consumerAddr));
    this.#producerAddr = c.mmap(this.mappedBytes, PROT_READ, MAP_SHARED, mapFd, PAGE_SIZE);
    if (this.#producerAddr < 0n) {
      c.munmap(this.#consumerAddr, PAGE_SIZE);
      throw syscallError("mmap(ring buffer data)", Number(this.#producerAddr));
    }
    this.#consumer = new BigUint64Array(c.view(this.#consumerAddr, PAGE_SIZE), 0, 1);
    const producerPages = c.view(this.#producerAddr, this.mappedBytes);
    // Plain loads only: in Bun an Atomics op on this read-only mapping crashes once JIT-compiled.
    this.#producer = new Uint32Array(producerPages, 0, 2);
    this.#data = new Uint8Array(producerPages, PAGE_SIZE, size);
    this.#view = new DataView(producerPages, PAGE_SIZE, size);
    this.#pos = Number(this.#consumer[0]);
  }

  #producerPos(): number {
    // Two 32-bit halves; re-read if the high half moved in between (x86-64 loads are ordered).
    for (;;) {
      const hi = this.#producer[1], lo = this.#producer[0];
      if (this.#producer[1] === hi) return hi * 0x100000000 + lo;
    }
  }

  /** Hands every committed record to `sink`; returns how many it consumed. */
  drain(sink: RecordSink, max = Infinity): number {
    if (this.#consumerAddr === 0n) return 0;
    const producer = this.#producerPos();
    let pos = this.#pos;
    let n = 0;
    while (pos < producer && n < max) {
      const at = pos & this.#mask;
      const header = this.#view.getUint32(at, true);
      if (header & BUSY) break;
      const length = header & ~(BUSY | DISCARD);
      if (!(header & DISCARD)) {
        if (at + HEADER + length <= this.#size) sink(this.#view, this.#data, at + HEADER, length);
        else {
          const bytes = this.#joinWrapped(at + HEADER, length);
          sink(this.#wrappedView, bytes, 0, length);
        }
        n++;
      }
      pos += (length + HEADER + 7) & ~7;
    }
    this.lastDrainBytes = pos - this.#pos;
    if (pos !== this.#pos) {
      this.#pos = pos;
      Atomics.store(this.#consumer, 0, BigInt(pos));
    }
    return n;
  }

  /** The record of `length` bytes at `start` that runs past the end of the data area, in one piece. */
  #joinWrapped(start: number, length: number): Uint8Array {
    if (this.#wrapped.length < length) {
      this.#wrapped = new Uint8Array(Math.max(length, 2 * this.#wrapped.length));
      this.#wrappedView = new DataView(this.#wrapped.buffer);
    }
    // A header never wraps, but the data after it may start past the end too.
    const first = Math.max(0, this.#size - start);
    this.#wrapped.set(this.#data.subarray(start, start + first), 0);
    this.#wrapped.set(this.#data.subarray(start + first - this.#size, start + length - this.#size), first);
    return this.#wrapped;
  }

  /** Bytes of the producer's mapping: its page and the data area, once. */
  get mappedBytes(): number {
    return PAGE_SIZE + this.#size;
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
    c.munmap(this.#producerAddr, this.mappedBytes);
    this.#consumerAddr = 0n;
    this.#producerAddr = 0n;
  }
}
