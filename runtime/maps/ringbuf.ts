// RingBuf<T>: events from handlers to JS. Declared as a field of a tracer; handlers call
// `submit`, user code receives typed objects through `for await` or `on(callback)`.
// On a kernel without BPF ring buffers (before 5.8) it runs as per-CPU perf buffers, each of
// `size` bytes (without a size: PerfBuffer's default per CPU, not 4 MiB on every CPU), with the same API.
import { refuseArguments } from "./refused_arguments.ts";
import { DEFAULT_PERF_BUFFER_BYTES, DEFAULT_RINGBUF_BYTES } from "../../spec/tracer_spec.ts";
import { PAGE_SIZE } from "./ringbuf_reader.ts";
import { EventStream } from "./event_stream.ts";
import { kernelOnly } from "../../lang/kernel_only.ts";

/** BPF_MAP_TYPE_RINGBUF: events of type `T` that handlers submit(), in order, from every CPU (per-CPU perf buffers before Linux 5.8). */
export class RingBuf<T> extends EventStream<T> {
  readonly #sized: boolean;

  /** `size`: bytes of kernel memory for events in flight; a power of two, at least 4096 (default 4 MiB). */
  constructor(size?: number) {
    const bytes = size ?? DEFAULT_RINGBUF_BYTES;
    super(bytes);
    if (!Number.isInteger(bytes) || bytes < PAGE_SIZE || (bytes & (bytes - 1)) !== 0) {
      refuseArguments(this, new RangeError(`RingBuf size must be a power of two of at least ${PAGE_SIZE} bytes, got ${bytes}`), new.target);
    }
    this.#sized = size !== undefined;
  }

  /** @internal Each CPU's buffer on a kernel without ring buffers: the size asked for, else PerfBuffer's default. */
  override get perfBufferSize(): number {
    return this.#sized ? this.size : DEFAULT_PERF_BUFFER_BYTES;
  }

  /** Called in a handler: sends one event to user space. */
  submit(_event: T): void {
    kernelOnly("RingBuf.submit");
  }
}
