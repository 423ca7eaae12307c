// Turns a compiled tracer spec into kernel objects: maps, then programs (with map fds
// patched in), then attachments. Everything opened is owned by the returned `Loaded`.
import { attachSocketFilter, detachSocketFilter } from "../runtime/socket.ts";
import type { MapSpec, ProgramSpec, TracerSpec } from "../spec/tracer_spec.ts";
import { DEFAULT_PERF_BUFFER_BYTES, DEFAULT_RINGBUF_BYTES, fixedEntries, fromBase64, probeId } from "../spec/tracer_spec.ts";
import { ProbeNames } from "../runtime/maps/probe_names.ts";
import { probeName } from "../probes/probe_name.ts";
import { BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, btfLoad, mapCreate, mapFreeze, MapType, mapUpdate, progLoad } from "../runtime/bpf.ts";
import { buildTracerBtf, type ProgramDebugInfo, type TracerBtf } from "../runtime/program_btf.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { verifierError } from "../runtime/verifier_report.ts";
import { probeKind } from "../probes/mod.ts";
import { PerfEvent } from "../runtime/perf.ts";
import { createPerfEventArray } from "../runtime/perf_event_array.ts";
import type { ProbeRef } from "../spec/target.ts";
import { SyscallError } from "../runtime/errors.ts";
import { sizeOf } from "../spec/layout.ts";
import { openCgroup } from "../runtime/cgroup.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import type { pinnedMap } from "./pinned_map.ts";
import { Counters, createCounterMap } from "../runtime/maps/counter_map.ts";

export interface MapOptions {
  /** The initial value of a parameter map (frozen once written). */
  value?: Uint8Array;
  /** Ring buffer size in bytes (a perf buffer's: per CPU). */
  size?: number;
  /** Entries of a hash or array map. */
  maxEntries?: number;
  /** The cgroup v2 directory a cgroup array's one slot holds. */
  cgroup?: string;
  /** Reuse (or create and pin) the map pinned under this name: pinned_map.ts. */
  pin?: string;
}

/** pinned_map.ts's pinnedMap, which the caller loads only when a map has a pin (loadPinning). */
export type PinMap = typeof pinnedMap;

/** What loadTracer needs for `mapOptions`: pinned_map.ts when a map is pinned, else nothing to load. */
export async function loadPinning(mapOptions: Map<string, MapOptions>): Promise<PinMap | undefined> {
  return [...mapOptions.values()].some((o) => o.pin) ? (await import("./pinned_map.ts")).pinnedMap : undefined;
}

const MAP_TYPES: Record<string, number> = {
  hash: MapType.HASH, lru_hash: MapType.LRU_HASH, percpu_hash: MapType.PERCPU_HASH, array: MapType.ARRAY,
  percpu_array: MapType.PERCPU_ARRAY, count: MapType.PERCPU_HASH, sum: MapType.PERCPU_HASH, min: MapType.PERCPU_HASH,
  max: MapType.PERCPU_HASH, avg: MapType.PERCPU_HASH, stats: MapType.PERCPU_HASH, hist: MapType.PERCPU_HASH, lhist: MapType.PERCPU_HASH,
};

export class Loaded {
  btf?: OwnedFd;
  readonly maps = new Map<string, OwnedFd>();
  readonly programs = new Map<string, OwnedFd>();
  readonly links: OwnedFd[] = [];
  /** Each program's attachments (links, and the perf events they hold), by handler name. */
  readonly linksOf = new Map<string, OwnedFd[]>();
  /** What probe() values stand for: filled as the probes are attached. */
  readonly probeNames = new ProbeNames();

  /** Sockets a socket filter was put on (attachSocket): their filter is taken off at detach. */
  readonly sockets: number[] = [];
  /** The counter maps as read so far (lost events, refused updates), mapped once, unmapped at close. */
  readonly #counters = new Map<string, Counters>();

  /** The counter map `name` (LOST_MAP, DROPPED_MAP), opened for reading on first use; undefined if the tracer has none. */
  counters(name: string): Counters | undefined {
    let c = this.#counters.get(name);
    const fd = this.maps.get(name);
    if (!c && fd) this.#counters.set(name, (c = new Counters(fd.fd)));
    return c;
  }

  /** Puts the socket filter `program` on socket `fd` of this process. */
  attachSocket(fd: number, program: string): void {
    attachSocketFilter(fd, this.programs.get(program)!.fd, `socket filter ${program} on fd ${fd}`);
    this.sockets.push(fd);
  }

  /** Closes the attachments: no handler runs after this, so the maps stop changing. */
  detach(): void {
    for (const fd of this.sockets.splice(0)) detachSocketFilter(fd);
    for (const fd of this.links.splice(0)) fd.close();
  }

  /** Closes attachments first (so nothing new arrives), then programs, then maps. */
  close(): void {
    this.detach();
    for (const c of this.#counters.values()) c.close();
    this.#counters.clear();
    for (const fd of this.programs.values()) fd.close();
    for (const fd of this.maps.values()) fd.close();
    this.btf?.close();
    this.programs.clear();
    this.maps.clear();
  }
}

export function createMap(spec: MapSpec, options: MapOptions, programCount: number): OwnedFd {
  switch (spec.kind) {
    case "ringbuf":
      return mapCreate({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: options.size ?? DEFAULT_RINGBUF_BYTES, name: spec.name });
    case "perfbuf":
      return createPerfEventArray(spec.name, options.size ?? DEFAULT_PERF_BUFFER_BYTES);
    case "scratch":
      return mapCreate({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: sizeOf(spec.value!), maxEntries: Math.max(1, programCount), name: "tsbpf_scratch" });
    case "lost":
      return createCounterMap("tsbpf_lost", programCount);
    case "dropped":
      return createCounterMap("tsbpf_dropped", spec.size ?? 1);
    case "prog_array":
      return mapCreate({ type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: Math.max(1, spec.size ?? 1), name: spec.name });
    case "stacks":
      return mapCreate({ type: MapType.STACK_TRACE, keySize: 4, valueSize: sizeOf(spec.value!), maxEntries: 16384, name: "tsbpf_stacks" });
    case "stack_trace":
      return mapCreate({ type: MapType.STACK_TRACE, keySize: 4, valueSize: sizeOf(spec.value!), maxEntries: options.maxEntries ?? 16384, name: spec.name });
    case "queue": case "stack":
      return mapCreate({ type: spec.kind === "queue" ? MapType.QUEUE : MapType.STACK, keySize: 0, valueSize: sizeOf(spec.value!), maxEntries: options.maxEntries ?? 10240, name: spec.name });
    case "lpm_trie":
      return mapCreate({ type: MapType.LPM_TRIE, keySize: sizeOf(spec.key!), valueSize: sizeOf(spec.value!), maxEntries: options.maxEntries ?? 10240, flags: BPF_F_NO_PREALLOC, name: spec.name });
    case "cgroup": {
      const fd = mapCreate({ type: MapType.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: "tsbpf_cgroup" });
      try {
        const dir = openCgroup(options.cgroup ?? "/");
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, dir, true);
        try {
          mapUpdate(fd.fd, new Uint8Array(4), value);
        } finally {
          libcSync().close(dir);
        }
      } catch (e) {
        fd.close();
        throw e;
      }
      return fd;
    }
    case "params": {
      const fd = mapCreate({ type: MapType.ARRAY, keySize: 4, valueSize: sizeOf(spec.value!), maxEntries: 1, flags: BPF_F_RDONLY_PROG, name: "tsbpf_params" });
      try {
        mapUpdate(fd.fd, new Uint8Array(4), options.value ?? new Uint8Array(sizeOf(spec.value!)));
        mapFreeze(fd.fd);
      } catch (e) {
        fd.close();
        throw e;
      }
      return fd;
    }
    default:
      return mapCreate({
        type: MAP_TYPES[spec.kind], keySize: sizeOf(spec.key!), valueSize: sizeOf(spec.value!),
        maxEntries: options.maxEntries ?? 10240, name: spec.name,
      });
  }
}

export interface ProgramBtf {
  fd: number;
  info: ProgramDebugInfo;
}

export function loadProgram(p: ProgramSpec, maps: Map<string, OwnedFd>, file: string, source: string | undefined, btf?: ProgramBtf): OwnedFd {
  const insns = fromBase64(p.insns);
  const view = new DataView(insns.buffer);
  for (const r of p.relocs) {
    const fd = maps.get(r.map);
    if (!fd) throw new Error(`internal: program ${p.name} refers to unknown map ${r.map}`);
    view.setInt32(r.insn * 8 + 4, fd.fd, true);
  }
  // BTF ids differ between kernels: an fentry/fexit program finds its function by name where it loads.
  const attachBtfId = p.attachBtfId === undefined ? undefined : probeKind(p.probe).attachBtfId?.(p.probe.target) ?? p.attachBtfId;
  const result = progLoad({
    type: p.progType, insns, name: p.name, expectedAttachType: p.expectedAttachType, attachBtfId,
    btfFd: btf?.fd, funcInfo: btf?.info.funcInfo, funcInfoCount: 1, lineInfo: btf?.info.lineInfo, lineInfoCount: btf?.info.lineCount,
  });
  if (result.ok) return result.fd;
  if (result.errno === 1 && !result.log) throw new SyscallError("bpf(BPF_PROG_LOAD)", 1, "tsbpf needs root (or CAP_BPF and CAP_PERFMON); run it with sudo");
  if (result.errno === 11) throw new SyscallError("bpf(BPF_PROG_LOAD)", 11, `signals kept interrupting the verifier on handler "${p.name}" (it was tried 6 times); run it again`);
  throw verifierError(p, file, source, result.errno, result.log);
}

/** Puts each tail-call target's program into its ProgramArray slots (the kernel checks it has the caller's type). */
function fillProgramArrays(spec: TracerSpec, loaded: Loaded): void {
  for (const m of spec.maps) {
    for (const slot of m.slots ?? []) {
      const prog = loaded.programs.get(slot.program);
      if (!prog) throw new Error(`internal: ${m.name} slot ${slot.index} names no loaded program (${slot.program})`);
      const key = new Uint8Array(4), value = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, slot.index, true);
      new DataView(value.buffer).setUint32(0, prog.fd, true);
      mapUpdate(loaded.maps.get(m.name)!.fd, key, value);
    }
  }
}

/** The tracer's BTF loaded into the kernel, or undefined where the kernel refuses it (programs then load without names and lines). */
function programDebugInfo(spec: TracerSpec, source: string): { fd: OwnedFd; btf: TracerBtf } | undefined {
  try {
    const btf = buildTracerBtf(spec, source);
    return { fd: btfLoad(btf.bytes), btf };
  } catch {
    return undefined;
  }
}

/**
 * Creates every map, loads every program and attaches every probe; on any failure, closes what
 * it opened. `probes` (by handler name): the decorators as recorded at run time, with what only
 * exists then (a uprobe's pid, a profile's rate); the spec's own probe otherwise.
 */
export function loadTracer(spec: TracerSpec, mapOptions: Map<string, MapOptions>, source?: string, probes = new Map<string, ProbeRef>(), pinMap?: PinMap): Loaded {
  const loaded = new Loaded();
  try {
    for (const m of spec.maps) {
      const asked = mapOptions.get(m.name) ?? {}, fixed = fixedEntries(m);
      const o = fixed === undefined ? asked : { ...asked, maxEntries: fixed }, create = () => createMap(m, o, spec.programs.length);
      if (!o.pin) loaded.maps.set(m.name, create());
      else if (pinMap) loaded.maps.set(m.name, pinMap(m, o.pin, o.maxEntries ?? 10240, spec, create));
      else throw new Error(`loadTracer: map ${m.name} is pinned, but no pinMap was given (see loadPinning)`);
    }
    const debug = source === undefined ? undefined : programDebugInfo(spec, source);
    if (debug) loaded.btf = debug.fd;
    for (const p of spec.programs) {
      const info = debug?.btf.programs.get(p.name);
      loaded.programs.set(p.name, loadProgram(p, loaded.maps, spec.file, source, info && { fd: debug!.fd.fd, info }));
    }
    fillProgramArrays(spec, loaded);
    spec.programs.forEach((p, i) => {
      if (p.tailCallTarget) {
        // Not attached: it runs in its caller's place. probe() there names the caller's probe.
        const probe = (p.probe.method ? probes.get(p.probe.method) : undefined) ?? p.probe;
        if (probe.target) loaded.probeNames.set(probeId(i, 0), probeName(probe.kind, probe.target));
        return;
      }
      const probe = probes.get(p.name) ?? p.probe;
      const kind = probeKind(probe);
      const targets = kind.targets?.(probe.target, probe.options) ?? [probe.target];
      const indexes = kind.probeIndexes?.(probe.target, targets);
      targets.forEach((t, j) => loaded.probeNames.set(probeId(i, indexes?.[j] ?? j), probeName(probe.kind, t)));
      const attached = kind.attach(loaded.programs.get(p.name)!.fd, probe.target, p.progType, probe.options, probeId(i, 0));
      loaded.links.push(...attached);
      loaded.linksOf.set(p.name, attached);
    });
    // Sampling events (profile, interval, perf events) were opened stopped: they all start
    // together once everything is attached. Tracepoints and uprobes run from their attachment.
    for (const fd of loaded.links) if (fd instanceof PerfEvent) fd.enable();
    return loaded;
  } catch (e) {
    loaded.close();
    throw e;
  }
}
