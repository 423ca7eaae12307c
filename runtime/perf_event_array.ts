// The kernel side of a perf buffer: a BPF_MAP_TYPE_PERF_EVENT_ARRAY whose slot for each online
// CPU holds a BPF output event (PERF_COUNT_SW_BPF_OUTPUT) opened on that CPU. A handler's
// bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, ...) writes into its own CPU's event,
// whose mmapped buffer the reader (maps/perf_reader.ts) drains.
//
// Each CPU can have two events writing into the one buffer: the quiet one (the kernel wakes
// readers only when the buffer is full: tsbpf drains on a timer while events flow, and a wakeup
// per event would cost the traced process an interrupt) and, once the reader first waits, a
// waking twin (a wakeup per event) redirected into the same buffer (PERF_EVENT_IOC_SET_OUTPUT).
// wakeOnEvents() points the map's slots at one or the other.
import { mapCreate, MapType, mapUpdate } from "./bpf.ts";
import { OwnedFd } from "./fd.ts";
import { type PerfEvent, perfEventOpen, PerfType } from "./perf.ts";
import { onlineCpus, possibleCpus } from "./cpus.ts";
import { libcSync } from "./ffi/mod.ts";
import { syscallError } from "./errors.ts";

const PERF_COUNT_SW_BPF_OUTPUT = 10n;
const PERF_SAMPLE_RAW = 1n << 10n;
const PERF_EVENT_IOC_SET_OUTPUT = 0x2405; // _IO('$', 5)

interface CpuEvent {
  cpu: number;
  /** The event whose buffer is mmapped, which wakes no one until the buffer is full. */
  event: PerfEvent;
  /** Writes into `event`'s buffer and wakes readers at every record; opened on the first wakeOnEvents(true). */
  waking?: PerfEvent;
}

/** The map's fd, owning the per-CPU events too: closing it closes them all. */
export class PerfEventArray extends OwnedFd {
  #waking = false;

  constructor(fd: number, label: string, readonly events: CpuEvent[], readonly perCpuSize: number) {
    super(fd, label);
  }

  /**
   * Points each CPU's slot at its waking twin (`on`) or back at the quiet event. The buffers
   * must be mmapped first (the twin writes into the quiet event's buffer). A record written by
   * a handler that read its slot just before the switch raises no wakeup: the reader's own
   * periodic drain delivers it.
   */
  wakeOnEvents(on: boolean): void {
    if (on === this.#waking || this.closed) return;
    const key = new Uint8Array(4), value = new Uint8Array(4);
    for (const e of this.events) {
      if (on) e.waking ??= openWakingTwin(e.cpu, e.event, this.label);
      new DataView(key.buffer).setUint32(0, e.cpu, true);
      new DataView(value.buffer).setUint32(0, (on ? e.waking! : e.event).fd, true);
      mapUpdate(this.fd, key, value);
    }
    this.#waking = on;
  }

  /** Whether the slots point at the waking twins (a wakeup per record). */
  get waking(): boolean {
    return this.#waking;
  }

  override close(): void {
    for (const { event, waking } of this.events) {
      waking?.close();
      event.close();
    }
    super.close();
  }
}

function openWakingTwin(cpu: number, quiet: PerfEvent, name: string): PerfEvent {
  const twin = perfEventOpen({
    type: PerfType.SOFTWARE, config: PERF_COUNT_SW_BPF_OUTPUT, period: 1n, sampleType: PERF_SAMPLE_RAW,
    wakeupEvents: 1, pid: -1, cpu, label: `waking BPF output of ${name} on CPU ${cpu}`,
  });
  const r = libcSync().ioctl(twin.fd, PERF_EVENT_IOC_SET_OUTPUT, BigInt(quiet.fd));
  if (r < 0) {
    twin.close();
    throw syscallError("ioctl(PERF_EVENT_IOC_SET_OUTPUT)", r, twin.label);
  }
  return twin;
}

/** `perCpuSize`: bytes of event data per CPU (a power of two of pages). */
export function createPerfEventArray(name: string, perCpuSize: number): PerfEventArray {
  const map = mapCreate({ type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: possibleCpus(), name });
  const events: CpuEvent[] = [];
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
