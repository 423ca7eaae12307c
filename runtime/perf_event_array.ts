// The kernel side of a perf buffer: a BPF_MAP_TYPE_PERF_EVENT_ARRAY whose slot for each online
// CPU holds a BPF output event (PERF_COUNT_SW_BPF_OUTPUT) opened on that CPU. A handler's
// bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, ...) writes into its own CPU's event,
// whose mmapped buffer the reader (maps/perf_reader.ts) drains.
import { mapCreate, MapType, mapUpdate } from "./bpf.ts";
import { OwnedFd } from "./fd.ts";
import { type PerfEvent, perfEventOpen, PerfType } from "./perf.ts";
import { onlineCpus, possibleCpus } from "./cpus.ts";

const PERF_COUNT_SW_BPF_OUTPUT = 10n;
const PERF_SAMPLE_RAW = 1n << 10n;

/** The map's fd, owning the per-CPU events too: closing it closes them all. */
export class PerfEventArray extends OwnedFd {
  constructor(fd: number, label: string, readonly events: { cpu: number; event: PerfEvent }[], readonly perCpuSize: number) {
    super(fd, label);
  }

  override close(): void {
    for (const { event } of this.events) event.close();
    super.close();
  }
}

/**
 * `perCpuSize`: bytes of event data per CPU (a power of two of pages). The kernel is asked to
 * wake readers only when a CPU's buffer is full: tsbpf polls the buffers instead, and each
 * wakeup would cost the traced process an interrupt.
 */
export function createPerfEventArray(name: string, perCpuSize: number): PerfEventArray {
  const map = mapCreate({ type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: possibleCpus(), name });
  const events: { cpu: number; event: PerfEvent }[] = [];
  try {
    const key = new Uint8Array(4), value = new Uint8Array(4);
    for (const cpu of onlineCpus()) {
      const event = perfEventOpen({
        type: PerfType.SOFTWARE, config: PERF_COUNT_SW_BPF_OUTPUT, period: 1n, sampleType: PERF_SAMPLE_RAW,
        wakeupWatermark: perCpuSize, pid: -1, cpu, label: `BPF output of ${name} on CPU ${cpu}`,
      });
      events.push({ cpu, event });
      new DataView(key.buffer).setUint32(0, cpu, true);
      new DataView(value.buffer).setUint32(0, event.fd, true);
      mapUpdate(map.fd, key, value);
    }
  } catch (e) {
    for (const { event } of events) event.close();
    map.close();
    throw e;
  }
  const label = map.label;
  return new PerfEventArray(map.release(), label, events, perCpuSize);
}
