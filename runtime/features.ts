// Kernel features that are found out by trying, once per process.
import { AttachType, kprobeMultiLinkCreate, ProgType, progLoad, uprobeMultiLinkCreate } from "./bpf.ts";
import { libcSync } from "./ffi/mod.ts";
import { kernelBtf } from "./kernel_btf.ts";
import { readTextFile } from "./files.ts";
import { ringBuffersByTrying } from "./ring_buffers.ts";

const cache = new Map<string, boolean>();

/** r0 = 0; exit */
const RETURN_ZERO = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

function once(name: string, probe: () => boolean): boolean {
  if (!cache.has(name)) cache.set(name, probe());
  return cache.get(name)!;
}

/** fentry/fexit programs (BPF_PROG_TYPE_TRACING) load on this kernel: 5.5+, and not refused by policy. */
export function hasFentry(): boolean {
  return once("fentry", () => {
    // Through libc, not process.env: Deno would need --allow-env for that.
    if (libcSync().getenv("TSBPF_NO_FENTRY")) return false;
    const btf = kernelBtf();
    const fn = ["vfs_read", "do_sys_openat2", "tcp_connect"].map((n) => btf.findByName(n, "func")[0]).find((id) => id !== undefined);
    if (fn === undefined) return false;
    const r = progLoad({ type: ProgType.TRACING, insns: RETURN_ZERO, name: "tsbpf_probe", expectedAttachType: AttachType.TRACE_FENTRY, attachBtfId: fn });
    if (r.ok) r.fd.close();
    return r.ok;
  });
}

/** tp_btf programs (BPF_PROG_TYPE_TRACING on a raw tracepoint) load: 5.5+; some kernels refuse fentry but allow these. */
export function hasTpBtf(): boolean {
  return once("tp_btf", () => {
    if (libcSync().getenv("TSBPF_NO_TP_BTF")) return false;
    const [typedef] = kernelBtf().findByName("btf_trace_sched_switch", "typedef");
    if (typedef === undefined) return false;
    const r = progLoad({ type: ProgType.TRACING, insns: RETURN_ZERO, name: "tsbpf_probe", expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: typedef });
    if (r.ok) r.fd.close();
    return r.ok;
  });
}

/**
 * BPF ring buffers (BPF_MAP_TYPE_RINGBUF, 5.8+): tried first (runtime/ring_buffers.ts), where
 * reading the kernel's BTF to look for the map type costs 40-90 ms on a cold start (a 5 MB file
 * read, scanned and indexed by name). Without the privilege to create maps (plan, build as a user)
 * the BTF answers, which needs none.
 */
export function hasRingBuffers(): boolean {
  return once("ringbuf", () => {
    const tried = ringBuffersByTrying();
    if (tried !== undefined) return tried;
    const btf = kernelBtf();
    return btf.findByName("bpf_map_type", "enum").some((id) => {
      const t = btf.type(id);
      return t.kind === "enum" && t.values.some((v) => v.name === "BPF_MAP_TYPE_RINGBUF");
    });
  });
}

/**
 * kprobe_multi links (one link, many functions: 5.18+ with CONFIG_FPROBE), tried for real: a
 * do-nothing program attached to one function and detached at once.
 */
export function hasKprobeMulti(): boolean {
  return once("kprobe_multi", () => {
    if (libcSync().getenv("TSBPF_NO_KPROBE_MULTI") || pmuType("kprobe") === undefined) return false;
    const r = progLoad({ type: ProgType.KPROBE, insns: RETURN_ZERO, name: "tsbpf_probe", expectedAttachType: AttachType.TRACE_KPROBE_MULTI });
    if (!r.ok) return false;
    try {
      for (const fn of ["vfs_getattr", "vfs_read", "do_sys_openat2"]) {
        try {
          kprobeMultiLinkCreate(r.fd.fd, [fn], [0n], false, "kprobe_multi probe").close();
          return true;
        } catch { /* not this function, or no kprobe_multi: try the next */ }
      }
      return false;
    } finally {
      r.fd.close();
    }
  });
}

/**
 * uprobe_multi links (one link, many offsets of one file: 6.6+ with CONFIG_UPROBES), tried: a
 * do-nothing program loaded for them and linked to a file that cannot exist. Only a kernel that
 * has them gets as far as looking the path up (ENOENT); one without refuses the attach type
 * (EINVAL), or the program (EINVAL), first. Nothing is attached either way.
 */
export function hasUprobeMulti(): boolean {
  return once("uprobe_multi", () => {
    if (libcSync().getenv("TSBPF_NO_UPROBE_MULTI") || pmuType("uprobe") === undefined) return false;
    const r = progLoad({ type: ProgType.KPROBE, insns: RETURN_ZERO, name: "tsbpf_probe", expectedAttachType: AttachType.TRACE_UPROBE_MULTI });
    if (!r.ok) return false;
    try {
      uprobeMultiLinkCreate(r.fd.fd, { path: "/proc/self/tsbpf-no-such-file", offsets: [0], cookies: [0n], ret: false, label: "uprobe_multi probe" }).close();
      return true; // not expected: the path does not exist
    } catch (e) {
      return (e as { errno?: number }).errno === 2; // ENOENT
    } finally {
      r.fd.close();
    }
  });
}

/** The perf PMU type of kprobes or uprobes, when the kernel has them (4.17+, CONFIG_KPROBES / CONFIG_UPROBES). */
export function pmuType(pmu: "kprobe" | "uprobe"): number | undefined {
  const text = readTextFile(`/sys/bus/event_source/devices/${pmu}/type`);
  return text === undefined ? undefined : Number(text.trim());
}

/** The config bit that turns a kprobe/uprobe perf event into a return probe ("config:0"). */
export function retprobeBit(pmu: "kprobe" | "uprobe"): number {
  const text = readTextFile(`/sys/bus/event_source/devices/${pmu}/format/retprobe`);
  const m = text && /config:(\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * Kprobes tsbpf can attach: through the kprobe PMU (4.17+), the only way probes/kprobe.ts
 * attaches them. (tracefs's kprobe_events alone would not do, and reading it here would bypass
 * the tracefs lookup that mounts it.)
 */
export function hasKprobes(): boolean {
  return pmuType("kprobe") !== undefined;
}
