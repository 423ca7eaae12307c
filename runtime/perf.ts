// perf_event_open(2): the attachment point for tracepoints, uprobes, kprobes and sampling.
import { libcSync, SYS } from "./ffi/mod.ts";
import { syscallError } from "./errors.ts";
import { OwnedFd } from "./fd.ts";

export const PerfType = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2 } as const;

const PERF_FLAG_FD_CLOEXEC = 8;
const ATTR_SIZE = 136; // PERF_ATTR_SIZE_VER8

export interface PerfEventOptions {
  type: number;
  config: bigint;
  /** sample_period, or sample_freq when `freq` is set. */
  period?: bigint;
  freq?: boolean;
  config1?: bigint;
  config2?: bigint;
  pid?: number;
  /** -1: every CPU (only with a pid). Default 0. */
  cpu?: number;
  /**
   * Open the event stopped; `PerfEvent.enable()` starts it. Only sampling events honour this:
   * a tracepoint's or uprobe's program runs once linked, whatever the event's state.
   */
  disabled?: boolean;
  /** PERF_SAMPLE_* bits of what each sample record carries (a BPF output event: PERF_SAMPLE_RAW). */
  sampleType?: bigint;
  /** Bytes of data in the mmapped buffer before the kernel wakes a reader (sets the watermark flag). */
  wakeupWatermark?: number;
  /** Samples before the kernel wakes a reader (without a watermark; 1: every sample). */
  wakeupEvents?: number;
  /** More perf_event_attr flag bits (bit 8 mmap, 9 comm, 23 mmap2, ...: what a record-only event reports). */
  flags?: bigint;
  label: string;
}

const PERF_EVENT_IOC_ENABLE = 0x2400; // _IO('$', 0)

/** A perf event fd; one opened `disabled` starts counting on `enable()`. */
export class PerfEvent extends OwnedFd {
  #pending: boolean;
  constructor(fd: number, label: string, disabled: boolean) {
    super(fd, label);
    this.#pending = disabled;
  }

  /** Starts an event opened disabled; a no-op for the others. */
  enable(): void {
    if (!this.#pending || this.closed) return;
    const r = libcSync().ioctl(this.fd, PERF_EVENT_IOC_ENABLE, 0n);
    if (r < 0) throw syscallError("ioctl(PERF_EVENT_IOC_ENABLE)", r, this.label);
    this.#pending = false;
  }
}

export function perfEventOpen(o: PerfEventOptions): PerfEvent {
  const attr = new Uint8Array(ATTR_SIZE);
  const v = new DataView(attr.buffer);
  v.setUint32(0, o.type, true);
  v.setUint32(4, ATTR_SIZE, true);
  v.setBigUint64(8, o.config, true);
  v.setBigUint64(16, o.period ?? 0n, true);
  v.setBigUint64(24, o.sampleType ?? 0n, true);
  // flags: bit 0 = disabled, bit 10 = freq, bit 14 = watermark. Unless asked, the event starts
  // enabled: a BPF link attached to it is what we control.
  const watermark = o.wakeupWatermark === undefined ? 0n : 1n << 14n;
  v.setBigUint64(40, (o.freq ? 1n << 10n : 0n) | (o.disabled ? 1n : 0n) | watermark | (o.flags ?? 0n), true);
  v.setUint32(48, o.wakeupWatermark ?? o.wakeupEvents ?? 0, true); // a union in perf_event_attr
  v.setBigUint64(56, o.config1 ?? 0n, true);
  v.setBigUint64(64, o.config2 ?? 0n, true);
  const c = libcSync();
  const pid = BigInt.asUintN(64, BigInt(o.pid ?? -1));
  const cpu = BigInt.asUintN(64, BigInt(o.cpu ?? 0));
  let r: number;
  do {
    r = c.syscall(SYS.perf_event_open, c.addressOf(attr), pid, cpu, BigInt.asUintN(64, -1n), BigInt(PERF_FLAG_FD_CLOEXEC));
  } while (r === -4);
  if (r < 0) throw syscallError("perf_event_open", r, o.label);
  return new PerfEvent(r, `perf event ${o.label}`, !!o.disabled);
}
