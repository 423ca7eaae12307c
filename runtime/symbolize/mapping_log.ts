/**
 * The executable mappings of one process, as the kernel records them while they are made
 * (PERF_RECORD_MMAP2 of a perf event on that process, as `perf record` keeps them), so that its
 * user addresses can still be named once it has exited and /proc/PID/maps with it. tsbpf's -c
 * command is the case: it is often gone before the events that name its addresses are printed.
 *
 * The log is opened on the process before it runs what is to be traced (the -c command is held
 * stopped until then) and follows its exec: an exec (PERF_RECORD_COMM with the exec flag) drops
 * the mappings before it. Only that process is followed: the kernel refuses to map an inherited
 * per-process event's buffer, and one event per CPU would cost a buffer per CPU; its children are
 * named while they live, as any other process is. Reading the log is reading memory the kernel
 * writes, no system call, done when a lookup needs it.
 *
 * Layout (include/uapi/linux/perf_event.h): page 0 is struct perf_event_mmap_page (data_head at
 * byte 1024, data_tail at 1032), then the data area; records start with struct
 * perf_event_header { u32 type; u16 misc; u16 size }, are 8-byte aligned, and may wrap.
 */
import { libcSync } from "../ffi/mod.ts";
import { syscallError } from "../errors.ts";
import { perfEventOpen, PerfType, type PerfEvent } from "../perf.ts";
import type { Mapping } from "./proc_maps.ts";

const PAGE_SIZE = 4096;
/** 256 KiB: some two thousand mappings (a record is ~100 bytes with its path), far more than a program makes. */
const DATA_SIZE = 64 * PAGE_SIZE;
const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
const PERF_COUNT_SW_DUMMY = 9n;
// perf_event_attr flag bits: mmap (executable mappings), comm, mmap2 (with device and inode), comm_exec.
const RECORD_MMAP = 1n << 8n, RECORD_COMM = 1n << 9n, RECORD_MMAP2 = 1n << 23n, COMM_EXEC = 1n << 24n;
const PERF_RECORD_LOST = 2, PERF_RECORD_COMM = 3, PERF_RECORD_MMAP2 = 10;
const PERF_RECORD_MISC_COMM_EXEC = 1 << 13;
const PERF_RECORD_MISC_MMAP_BUILD_ID = 1 << 14;
const HEAD = 1024 / 8, TAIL = 1032 / 8;

export class MappingLog {
  readonly #event: PerfEvent;
  #address: bigint;
  readonly #control: BigUint64Array;
  readonly #data: Uint8Array;
  #pos: number;
  /** Per pid: the mappings recorded since its last exec, ascending by address, none overlapping. */
  readonly #maps = new Map<number, Mapping[]>();
  /** Records the kernel could not write (the buffer was full). */
  lost = 0;

  private constructor(event: PerfEvent, address: bigint) {
    this.#event = event;
    this.#address = address;
    const pages = libcSync().view(address, PAGE_SIZE + DATA_SIZE);
    this.#control = new BigUint64Array(pages, 0, PAGE_SIZE / 8);
    this.#data = new Uint8Array(pages, PAGE_SIZE, DATA_SIZE);
    this.#pos = Number(this.#control[TAIL]);
  }

  /** Starts recording the mappings `pid` makes from now on; throws (a syscall error) if the kernel cannot. */
  static open(pid: number): MappingLog {
    const event = perfEventOpen({
      type: PerfType.SOFTWARE, config: PERF_COUNT_SW_DUMMY, pid, cpu: -1,
      flags: RECORD_MMAP | RECORD_COMM | RECORD_MMAP2 | COMM_EXEC, label: `mappings of process ${pid}`,
    });
    const address = libcSync().mmap(PAGE_SIZE + DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, event.fd, 0);
    if (address < 0n) {
      event.close();
      throw syscallError("mmap(perf buffer)", Number(address), event.label);
    }
    return new MappingLog(event, address);
  }

  /** Whether the log has followed `pid`. */
  follows(pid: number): boolean {
    this.#drain();
    return this.#maps.has(pid);
  }

  /** The executable mappings `pid` had when it last made one, or undefined if none was recorded. */
  mappings(pid: number): Mapping[] | undefined {
    this.#drain();
    return this.#maps.get(pid);
  }

  close(): void {
    if (this.#address === 0n) return;
    libcSync().munmap(this.#address, PAGE_SIZE + DATA_SIZE);
    this.#address = 0n;
    this.#event.close();
  }

  #drain(): void {
    if (this.#address === 0n) return;
    const head = Number(Atomics.load(this.#control, HEAD));
    const record = new Uint8Array(PAGE_SIZE + 256);
    const view = new DataView(record.buffer);
    let pos = this.#pos;
    while (pos < head) {
      const at = pos % DATA_SIZE;
      const size = this.#data[at + 6] | (this.#data[at + 7] << 8);
      if (size < 8 || size > record.length) break; // not a record the kernel wrote
      const first = Math.min(size, DATA_SIZE - at);
      record.set(this.#data.subarray(at, at + first), 0);
      if (first < size) record.set(this.#data.subarray(0, size - first), first);
      this.#record(view, record, size);
      pos += size;
    }
    this.#pos = pos;
    Atomics.store(this.#control, TAIL, BigInt(pos));
  }

  #record(v: DataView, bytes: Uint8Array, size: number): void {
    const type = v.getUint32(0, true), misc = v.getUint16(4, true);
    if (type === PERF_RECORD_LOST) this.lost += Number(v.getBigUint64(16, true));
    else if (type === PERF_RECORD_COMM && misc & PERF_RECORD_MISC_COMM_EXEC) this.#maps.set(v.getUint32(8, true), []);
    else if (type === PERF_RECORD_MMAP2 && !(misc & PERF_RECORD_MISC_MMAP_BUILD_ID)) {
      const pid = v.getUint32(8, true);
      const start = Number(v.getBigUint64(16, true)), length = Number(v.getBigUint64(24, true));
      const end = bytes.indexOf(0, 72);
      const prot = v.getUint32(64, true), flags = v.getUint32(68, true);
      const hex = (n: number) => n.toString(16).padStart(2, "0");
      const m: Mapping = {
        start, end: start + length,
        perms: `${prot & 1 ? "r" : "-"}${prot & 2 ? "w" : "-"}${prot & 4 ? "x" : "-"}${flags & MAP_SHARED ? "s" : "p"}`,
        offset: Number(v.getBigUint64(32, true)),
        dev: `${hex(v.getUint32(40, true))}:${hex(v.getUint32(44, true))}`,
        inode: Number(v.getBigUint64(48, true)),
        path: new TextDecoder().decode(bytes.subarray(72, end < 0 || end > size ? size : end)),
      };
      const maps = this.#maps.get(pid) ?? [];
      // A new mapping replaces whatever it covers (mmap MAP_FIXED, mprotect adding PROT_EXEC).
      const kept = maps.filter((o) => o.end <= m.start || o.start >= m.end);
      kept.push(m);
      kept.sort((a, b) => a.start - b.start);
      this.#maps.set(pid, kept);
    }
  }
}
