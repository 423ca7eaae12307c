// Whether this kernel has BPF ring buffers, as far as trying tells: apart from runtime/features.ts
// (whose hasRingBuffers asks the kernel's BTF when trying cannot tell) so that what checks this
// alone, a bundle's start (tracer/assumptions.ts), does not load the BTF reader with it.
import { mapCreate, MapType } from "./bpf.ts";
import { SyscallError } from "./errors.ts";
import { libcSync } from "./ffi/mod.ts";

let tried: { answer: boolean | undefined } | undefined;

/**
 * Asked of the kernel by creating a one-page ring buffer (as libbpf probes map types), once per
 * process; undefined when it refuses for lack of privilege. TSBPF_NO_RINGBUF=1 answers no, to run
 * RingBufs as perf buffers on any kernel (for testing that path).
 */
export function ringBuffersByTrying(): boolean | undefined {
  tried ??= { answer: ringBuffersDisabled() ? false : ringBufferCreates() };
  return tried.answer;
}

function ringBufferCreates(): boolean | undefined {
  try {
    mapCreate({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: "tsbpf_probe" }).close();
    return true;
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    // EINVAL: a map type this kernel does not know. EPERM, EACCES and the rest: ask the BTF.
    return e.errno === 22 ? false : undefined;
  }
}

/** TSBPF_NO_RINGBUF is set (compiled specs differ, so it is part of the compile cache's key: compile_cache.ts). */
function ringBuffersDisabled(): boolean {
  return !!libcSync().getenv("TSBPF_NO_RINGBUF");
}
