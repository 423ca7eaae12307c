// tsbpf's own u64 counter maps (lost events, refused map updates): handlers add to a slot with
// an atomic add, and the once-a-second loss check reads them. Where the kernel can (5.5+), the
// map is one array shared by the CPUs with BPF_F_MMAPABLE, mapped into this process once: the
// check then reads memory, with no syscall (on Bun, any FFI call in a timer wakes the main thread
// about three times; bench/NOTES.md, "Idle"). Older kernels get a per-CPU array, read with one
// lookup per slot.
import { mapCreate, mapInfo, mapLookup, MapType } from "../bpf.ts";
import { possibleCpus } from "../cpus.ts";
import { SyscallError } from "../errors.ts";
import type { OwnedFd } from "../fd.ts";
import { libcSync } from "../ffi/mod.ts";
import { PAGE_SIZE } from "./ringbuf_reader.ts";

/** Map flag (Linux 5.5): the array's values may be mmapped. */
export const BPF_F_MMAPABLE = 1 << 10;
const PROT_READ = 1, MAP_SHARED = 1, EINVAL = 22;

/** A counter map of `slots` u64 slots: shared and mmapable where the kernel allows, per-CPU otherwise. */
export function createCounterMap(name: string, slots: number): OwnedFd {
  const o = { keySize: 4, valueSize: 8, maxEntries: Math.max(1, slots), name };
  try {
    return mapCreate({ ...o, type: MapType.ARRAY, flags: BPF_F_MMAPABLE });
  } catch (e) {
    // Before 5.5 the flag is unknown: EINVAL.
    if (!(e instanceof SyscallError && e.errno === EINVAL)) throw e;
    return mapCreate({ ...o, type: MapType.PERCPU_ARRAY });
  }
}

/**
 * Reads a counter map (either kind, also one created by an older tsbpf, which made only per-CPU
 * ones) into buffers made once: the loss report reads it every second while the tracer runs.
 * `close()` unmaps it; the map's fd stays its owner's.
 */
export class Counters {
  #address = 0n;
  readonly #length: number = 0;
  /** The mapped slots as 32-bit halves (a u64 read as two plain loads: exact below 2^53). */
  readonly #mapped?: Uint32Array;
  readonly #slots: number;
  readonly #perCpu?: { key: Uint8Array; keyView: DataView; value: Uint8Array; view: DataView; cpus: number };

  constructor(readonly fd: number) {
    const info = mapInfo(fd);
    this.#slots = info.maxEntries;
    const c = libcSync();
    const length = Math.ceil((info.maxEntries * 8) / PAGE_SIZE) * PAGE_SIZE;
    // A failed mmap (a seccomp filter, an address-space limit) only costs the syscall per read.
    const address = info.type === MapType.ARRAY && info.flags & BPF_F_MMAPABLE ? c.mmap(length, PROT_READ, MAP_SHARED, fd, 0) : -1n;
    if (address >= 0n) {
      this.#length = length;
      this.#address = address;
      this.#mapped = new Uint32Array(c.view(address, length), 0, info.maxEntries * 2);
    } else {
      const cpus = info.type === MapType.PERCPU_ARRAY ? possibleCpus() : 1;
      const key = new Uint8Array(4), value = new Uint8Array(8 * cpus);
      this.#perCpu = { key, keyView: new DataView(key.buffer), value, view: new DataView(value.buffer), cpus };
    }
  }

  /** Whether reading costs no syscall. */
  get mapped(): boolean {
    return this.#mapped !== undefined;
  }

  /** Slot `index` (summed over the CPUs of a per-CPU map); 0 outside the map or once closed. */
  sum(index: number): number {
    if (index < 0 || index >= this.#slots) return 0;
    const m = this.#mapped;
    if (m) return this.#address === 0n ? 0 : m[index * 2] + m[index * 2 + 1] * 2 ** 32;
    const p = this.#perCpu!;
    p.keyView.setUint32(0, index, true);
    if (!mapLookup(this.fd, p.key, p.value)) return 0;
    let sum = 0;
    for (let c = 0; c < p.cpus; c++) sum += p.view.getUint32(c * 8, true) + p.view.getUint32(c * 8 + 4, true) * 2 ** 32;
    return sum;
  }

  close(): void {
    if (this.#address === 0n) return;
    libcSync().munmap(this.#address, this.#length);
    this.#address = 0n;
  }
}
