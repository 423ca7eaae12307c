// The probe kinds, one table: what each decorator needs from the kernel to compile and attach.
// Each kind is loaded when a tracer first uses it, so a tracepoint tracer does not load the ELF
// readers of uprobes and USDT, or the BTF reader of kprobes, at start-up.
import { ProbeLookupError, type ProbeContext, type ProbeOptions, type ProbeRef } from "../spec/target.ts";
import type { OwnedFd } from "../runtime/fd.ts";

export interface ProbeKind {
  kind: string;
  /** `options`: what the decorator call gave at run time (see probes/decorators.ts). */
  context(target: string, options?: ProbeOptions): ProbeContext;
  /**
   * Attaches a loaded program; `progType` says which way the program was compiled (fentry or
   * kprobe). Perf events it returns opened disabled are enabled once every probe is attached.
   * `cookie`: the probe() id of its first target (see `targets`).
   */
  attach(progFd: number, target: string, progType: number, options?: ProbeOptions, cookie?: bigint): OwnedFd[];
  /**
   * The targets a wildcard stands for, in the order they get probe() ids: target i is attached
   * with the attach cookie `cookie + i`. Without it, the target is its only one.
   */
  targets?(target: string, options?: ProbeOptions): string[];
  /**
   * The target index in each of `targets`' probe() ids (what targets() gave), when it is not the
   * target's position: a syscall wildcard attached once to raw_syscalls says which syscall fired
   * by its number.
   */
  probeIndexes?(target: string, targets: string[]): number[] | undefined;
  /**
   * What the compiled program depends on besides the script and the kernel (a USDT probe's
   * argument locations in its binary): part of the compile cache's key.
   */
  cacheKey?(target: string, options?: ProbeOptions): string;
  /**
   * What the compiled program read from the kernel that the kernel's build does not fix (the
   * fields of a module's tracepoint, which a module loaded at another version places elsewhere):
   * compared whole with the cache entry's, not part of its name.
   */
  cacheInput?(target: string, options?: ProbeOptions): string;
  /** The BTF id, in the running kernel, of what a BTF-attached program (fentry) attaches to. */
  attachBtfId?(target: string): number | undefined;
}

const LOADERS: Record<string, () => Promise<ProbeKind>> = {
  tracepoint: async () => (await import("./tracepoint.ts")).tracepointProbe,
  rawTracepoint: async () => (await import("./raw_tracepoint.ts")).rawTracepointProbe,
  tpBtf: async () => (await import("./raw_tracepoint.ts")).tpBtfProbe,
  kprobe: async () => (await import("./kprobe.ts")).kprobeProbe,
  kretprobe: async () => (await import("./kprobe.ts")).kretprobeProbe,
  fentry: async () => (await import("./kprobe.ts")).fentryProbe,
  fexit: async () => (await import("./kprobe.ts")).fexitProbe,
  uprobe: async () => (await import("./uprobe.ts")).uprobeProbe,
  uretprobe: async () => (await import("./uprobe.ts")).uretprobeProbe,
  usdt: async () => (await import("./usdt.ts")).usdtProbe,
  profile: async () => (await import("./profile.ts")).profileProbe,
  perfEvent: async () => (await import("./perf_event.ts")).perfEventProbe,
  interval: async () => (await import("./interval.ts")).intervalProbe,
  cgroupSkb: async () => (await import("./cgroup_skb.ts")).cgroupSkbProbe,
  socketFilter: async () => (await import("./socket_filter.ts")).socketFilterProbe,
  xdp: async () => (await import("./xdp.ts")).xdpProbe,
};

export const PROBE_KIND_NAMES: readonly string[] = Object.keys(LOADERS);

const loaded = new Map<string, ProbeKind>();

/** Loads these probe kinds (names; unknown ones are left for probeKind to report). */
export async function loadProbeKinds(kinds: Iterable<string>): Promise<void> {
  const missing = [...new Set(kinds)].filter((k) => LOADERS[k] && !loaded.has(k));
  const modules = await Promise.all(missing.map((k) => LOADERS[k]()));
  missing.forEach((k, i) => loaded.set(k, modules[i]));
}

/** A probe kind loaded earlier by loadProbeKinds. */
export function probeKind(ref: ProbeRef): ProbeKind {
  if (!LOADERS[ref.kind]) throw new ProbeLookupError(`probe kind "${ref.kind}" is not supported yet`);
  const k = loaded.get(ref.kind);
  if (!k) throw new Error(`internal: probe kind "${ref.kind}" used before loadProbeKinds()`);
  return k;
}

/** What the programs of these probes depend on outside the script and the kernel, for the compile cache's key. */
export function probesCacheKey(probes: ProbeRef[]): string {
  // The targets too: a decorator's target may be computed at run time (`@kprobe(pattern)`).
  // A target that is not a string is reported by the compiler, at its decorator.
  return probes.map((p) => `${p.kind}:${p.target}:${typeof p.target === "string" ? loaded.get(p.kind)?.cacheKey?.(p.target, p.options) ?? "" : ""}`).join("\0");
}

/** What the programs of these probes read from the kernel outside its build, for the compile cache's entry (ProbeKind.cacheInput). */
export function probesCacheInput(probes: ProbeRef[]): string {
  return probes.map((p) => (typeof p.target === "string" ? loaded.get(p.kind)?.cacheInput?.(p.target, p.options) ?? "" : "")).join("\0");
}
