// Per-handler cost (start({ stats }), --stats): how often each handler ran and how long it took,
// from the kernel's own counters (bpf_prog_info's run_cnt and run_time_ns). The kernel keeps them
// only while its BPF statistics are on, which costs every BPF program on the machine two clock
// reads per run; so they are on only while a tracer that asks runs. BPF_ENABLE_STATS (5.8+)
// gives an fd that keeps them on while it is open (a killed process turns them off too); where
// the kernel lacks it, the kernel.bpf_stats_enabled sysctl is set and put back when the last
// such tracer stops or the process ends.
import type { TracerSpec } from "../spec/tracer_spec.ts";
import type { ProbeRef } from "../spec/target.ts";
import { probeName } from "../probes/probe_name.ts";
import { enableStats, progInfo } from "../runtime/bpf.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import { readTextFile } from "../runtime/files.ts";
import { PermissionError, syscallError, TracerError } from "../runtime/errors.ts";
import { isJsonOutput, jsonRecord } from "../runtime/output.ts";
import { writeStdoutLine } from "../runtime/stdout.ts";
import type { Loaded } from "./loader.ts";
import type { HandlerCost } from "../export/prometheus.ts";

const SYSCTL = "/proc/sys/kernel/bpf_stats_enabled";

/** Tracers relying on the sysctl, and what it said before the first of them. */
let sysctlUsers = 0;
let sysctlBefore = "0";
/** Skip BPF_ENABLE_STATS, as on a kernel without it. */
let sysctlOnly = false;

/** @internal Uses the sysctl even where BPF_ENABLE_STATS works: for testing that path. */
export function useStatsSysctl(on: boolean): void {
  sysctlOnly = on;
}

/** The kernel's BPF statistics, on from `on()` until `off()`. */
export class StatsSwitch {
  #fd?: OwnedFd;
  #sysctl = false;

  static on(): StatsSwitch {
    const s = new StatsSwitch();
    try {
      s.#fd = sysctlOnly ? undefined : enableStats();
    } catch (e) {
      if (e instanceof PermissionError) throw new TracerError("Cannot turn on the kernel's BPF statistics for stats: that needs CAP_SYS_ADMIN (root), beyond CAP_BPF and CAP_PERFMON; run without --stats or as root");
      throw e;
    }
    if (!s.#fd) {
      if (sysctlUsers++ === 0) {
        sysctlBefore = readTextFile(SYSCTL)?.trim() ?? "0";
        if (sysctlBefore !== "1") writeSysctl("1");
      }
      s.#sysctl = true;
    }
    return s;
  }

  off(): void {
    this.#fd?.close();
    this.#fd = undefined;
    if (!this.#sysctl) return;
    this.#sysctl = false;
    if (--sysctlUsers === 0 && sysctlBefore !== "1") writeSysctl(sysctlBefore);
  }
}

function writeSysctl(value: string): void {
  const c = libcSync();
  const fd = c.open(SYSCTL, 1 /* O_WRONLY */ | 0o2000000 /* O_CLOEXEC */);
  if (fd < 0) throw syscallError(`open("${SYSCTL}")`, fd);
  try {
    const r = c.write(fd, new TextEncoder().encode(`${value}\n`));
    if (r < 0) throw syscallError(`write("${SYSCTL}")`, r);
  } finally {
    c.close(fd);
  }
}

/** Each handler's runs and time so far, in the order the class declares them. */
export function handlerCosts(spec: TracerSpec, loaded: Loaded, probes: Map<string, ProbeRef>): HandlerCost[] {
  // A tail-called program's runs are counted in its caller's (the kernel counts a run where it
  // enters the first program), so it has no row of its own: it would always say 0.
  return spec.programs.filter((p) => !p.tailCallTarget).flatMap((p) => {
    const fd = loaded.programs.get(p.name);
    if (!fd || fd.closed) return [];
    const info = progInfo(fd.fd);
    const probe = probes.get(p.name) ?? p.probe;
    const runs = info.runCount, runTimeNs = info.runTimeNs;
    return [{ handler: `${spec.className}.${p.name}`, probe: probeName(probe.kind, probe.target), runs, runTimeNs, avgNs: runs ? Number(runTimeNs / runs) : 0 }];
  });
}

/** A table (or, in JSON mode, one `{"type": "stats"}` record) of the handlers' costs. */
export function printHandlerCosts(costs: HandlerCost[], out: (line: string) => void = writeStdoutLine): void {
  if (isJsonOutput()) {
    out(jsonRecord("stats", costs.map((c) => ({ handler: c.handler, probe: c.probe, runs: c.runs, avg_ns: c.avgNs, total_ns: c.runTimeNs }))));
    return;
  }
  const rows = [["HANDLER", "PROBE", "RUNS", "AVG_NS", "TOTAL_MS"], ...costs.map((c) => [c.handler, c.probe, String(c.runs), String(c.avgNs), (Number(c.runTimeNs) / 1e6).toFixed(3)])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  out("");
  for (const r of rows) out(r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ").trimEnd());
}

// Read at every start without loading this module (tracer.ts): stats_default.ts.
export { defaultStats, setDefaultStats } from "./stats_default.ts";
