// RingBuf<T>: events from handlers to JS. Declared as a field of a tracer; handlers call
// `submit`, user code receives typed objects through `for await` or `on(callback)`.
// On a kernel without BPF ring buffers (before 5.8) it runs as per-CPU perf buffers, each of
// `size` bytes, with the same API (see PerfBuffer).
import { PAGE_SIZE } from "./ringbuf_reader.ts";
import { EventStream } from "./event_stream.ts";
import { kernelOnly } from "../../lang/kernel_only.ts";

/** BPF_MAP_TYPE_RINGBUF: events of type `T` that handlers submit(), in order, from every CPU (per-CPU perf buffers before Linux 5.8). */
export class RingBuf<T> extends EventStream<T> {
  /** `size`: bytes of kernel memory for events in flight; a power of two, at least 4096. */
  constructor(size = 256 * 1024) {
    if (!Number.isInteger(size) || size < PAGE_SIZE || (size & (size - 1)) !== 0) {
      throw new RangeError(`RingBuf size must be a power of two of at least ${PAGE_SIZE} bytes, got ${size}`);
    }
    super(size);
  }

  /** Called in a handler: sends one event to user space. */
  submit(_event: T): void {
    kernelOnly("RingBuf.submit");
  }
}
