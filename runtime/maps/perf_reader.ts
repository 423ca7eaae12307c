// Consumes the per-CPU buffers of a perf event array through their mmapped pages, without
// syscalls: the same polling as the ring buffer reader, once per CPU.
//
// Layout (include/uapi/linux/perf_event.h): page 0 is struct perf_event_mmap_page, with
// data_head (the kernel's write position) at byte 1024 and data_tail (ours: mapping it
// writable tells the kernel not to overwrite what we have not read) at 1032; the data area
// follows, a power of two of pages, mapped once: a record may wrap around its end. Records
// start with struct perf_event_header { u32 type; u16 misc; u16 size } and are 8-byte aligned.
// PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: header, u32 size, the event. PERF_RECORD_LOST:
// header, u64 id, u64 lost, written when the kernel next finds room after dropping events.
import { libcSync } from "../ffi/mod.ts";
import { syscallError } from "../errors.ts";
import type { PerfEventArray } from "../perf_event_array.ts";
import { PAGE_SIZE, type RecordSink } from "./ringbuf_reader.ts";

const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
const PERF_RECORD_LOST = 2, PERF_RECORD_SAMPLE = 9;
const HEAD = 1024 / 4, TAIL = 1032 / 8;

interface CpuBuffer {
  address: bigint;
  /** The control page as u32s: data_head's halves, read with plain loads (see ringbuf_reader.ts). */
  control: Uint32Array;
  tail: BigUint64Array;
  data: Uint8Array;
  view: DataView;
  pos: number;
}

export class PerfReader {
  readonly #size: number;
  readonly #mask: number;
  #cpus: CpuBuffer[] = [];
  /** A wrapped record is copied here to be read in one piece (records are under 64 KiB). */
  readonly #wrapped = new Uint8Array(65536);
  readonly #wrappedView = new DataView(this.#wrapped.buffer);
  /** Events the kernel reported dropping (PERF_RECORD_LOST), over every CPU. */
  lost = 0;
  /** The largest share of one CPU's buffer the last drain consumed (0..1). */
  pressure = 0;
  readonly #array: PerfEventArray;

  constructor(array: PerfEventArray) {
    const c = libcSync();
    this.#array = array;
    this.#size = array.perCpuSize;
    this.#mask = this.#size - 1;
    const length = PAGE_SIZE + this.#size;
    try {
      for (const { cpu, event } of array.events) {
        const address = c.mmap(length, PROT_READ | PROT_WRITE, MAP_SHARED, event.fd, 0);
        if (address < 0n) throw syscallError(`mmap(perf buffer of CPU ${cpu})`, Number(address));
        const pages = c.view(address, length);
        const tail = new BigUint64Array(pages, 0, PAGE_SIZE / 8);
        this.#cpus.push({
          address, control: new Uint32Array(pages, 0, PAGE_SIZE / 4), tail,
          data: new Uint8Array(pages, PAGE_SIZE, this.#size), view: new DataView(pages, PAGE_SIZE, this.#size), pos: Number(tail[TAIL]),
        });
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Hands every event record to `sink`, CPU by CPU; returns how many. Counts PERF_RECORD_LOST.
   * Like RingBufReader.drain, hands the space read back every sixteenth of a buffer.
   */
  drain(sink: RecordSink, max = Infinity): number {
    let n = 0, pressure = 0, halted = false;
    const releaseEvery = this.#size / 16;
    for (const b of this.#cpus) {
      if (halted) break;
      const head = headOf(b.control);
      let pos = b.pos, released = pos;
      // As in RingBufReader.drain: a sink that throws keeps the position, past the record it threw on.
      try {
        while (pos < head && n < max) {
          if (pos - released >= releaseEvery) {
            Atomics.store(b.tail, TAIL, BigInt(pos));
            released = pos;
          }
          let at = pos & this.#mask;
          let view = b.view, bytes = b.data;
          const size = view.getUint16(at + 6, true);
          if (size < 8) break; // not a record: never written by the kernel; stop rather than spin
          if (at + size > this.#size) {
            // Headers never wrap (8-byte records in a power-of-two area); the rest may.
            const first = this.#size - at;
            this.#wrapped.set(b.data.subarray(at), 0);
            this.#wrapped.set(b.data.subarray(0, size - first), first);
            view = this.#wrappedView;
            bytes = this.#wrapped;
            at = 0;
          }
          const type = view.getUint32(at, true);
          pos += size;
          if (type === PERF_RECORD_SAMPLE) {
            const more = sink(view, bytes, at + 12, view.getUint32(at + 8, true));
            n++;
            if (more === false) {
              halted = true;
              break;
            }
          } else if (type === PERF_RECORD_LOST) {
            this.lost += Number(view.getBigUint64(at + 16, true));
          }
        }
      } finally {
        pressure = Math.max(pressure, (pos - b.pos) / this.#size);
        if (pos !== b.pos) {
          b.pos = pos;
          Atomics.store(b.tail, TAIL, BigInt(pos));
        }
      }
    }
    this.pressure = pressure;
    return n;
  }

  /** Whether a CPU's buffer holds records not consumed yet. */
  get pending(): boolean {
    return this.#cpus.some((b) => headOf(b.control) > b.pos);
  }

  /** Each CPU's mmapped event: epoll reports it readable after the kernel's wakeup. */
  get pollFds(): number[] {
    return this.#array.closed ? [] : this.#array.events.map((e) => e.event.fd);
  }

  /** A wakeup per event costs the producer an interrupt: only while the pump waits (see PerfEventArray). */
  wakeOnEvents(on: boolean): void {
    this.#array.wakeOnEvents(on);
  }

  close(): void {
    const c = libcSync();
    for (const b of this.#cpus) c.munmap(b.address, PAGE_SIZE + this.#size);
    this.#cpus = [];
  }
}

function headOf(control: Uint32Array): number {
  // Two 32-bit halves; re-read if the high half moved in between (x86-64 loads are ordered).
  for (;;) {
    const hi = control[HEAD + 1], lo = control[HEAD];
    if (control[HEAD + 1] === hi) return hi * 0x100000000 + lo;
  }
}
