// PerfBuffer<T>: events from handlers to JS through per-CPU perf buffers
// (BPF_MAP_TYPE_PERF_EVENT_ARRAY), the way before BPF ring buffers (Linux 4.4+). Same API as
// RingBuf: handlers call `submit`, user code reads with `for await` or `on(callback)`. Events
// of different CPUs are not ordered with each other; each CPU's are in order.
import { refuseArguments } from "./refused_arguments.ts";
import { DEFAULT_PERF_BUFFER_BYTES } from "../../spec/tracer_spec.ts";
import { PAGE_SIZE } from "./ringbuf_reader.ts";
import { EventStream } from "./event_stream.ts";
import { kernelOnly } from "../../lang/kernel_only.ts";

/** BPF_MAP_TYPE_PERF_EVENT_ARRAY: events of type `T` that handlers submit(), in one buffer per CPU (what RingBuf falls back to before Linux 5.8). */
export class PerfBuffer<T> extends EventStream<T> {
  /** `size`: bytes of kernel memory for events in flight on each CPU; a power of two, at least 4096 (default 1 MiB). */
  constructor(size = DEFAULT_PERF_BUFFER_BYTES) {
    super(size);
    if (!Number.isInteger(size) || size < PAGE_SIZE || (size & (size - 1)) !== 0) {
      refuseArguments(this, new RangeError(`PerfBuffer size must be a power of two of at least ${PAGE_SIZE} bytes (per CPU), got ${size}`), new.target);
    }
  }

  /** Called in a handler: sends one event to user space (bpf_perf_event_output on the current CPU). */
  submit(_event: T): void {
    kernelOnly("PerfBuffer.submit");
  }
}
