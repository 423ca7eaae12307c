// `tsbpf plan`: what a script would do as root, read from its compiled spec without loading
// anything: every probe, every map and the kernel memory it takes, every helper its handlers
// call, and warnings for the helpers that can change the system rather than observe it.
import { decode, JmpOp, Class } from "../spec/bpf/isa.ts";
import { DEFAULT_PERF_BUFFER_BYTES, DEFAULT_RINGBUF_BYTES, fixedEntries, fromBase64, type MapSpec, type ProgramSpec, type TracerSpec } from "../spec/tracer_spec.ts";
import { sizeOf, typeName } from "../spec/layout.ts";
import { helperLabel, kernelHelper } from "../spec/bpf/helpers.ts";

const MAP_KINDS: Record<string, string> = {
  ringbuf: "ring buffer", perfbuf: "perf buffer (per CPU)", scratch: "per-CPU array (room for big perf buffer events)", hash: "hash map", lru_hash: "LRU hash map", percpu_hash: "per-CPU hash map", array: "array",
  percpu_array: "per-CPU array", count: "count", sum: "sum", min: "min", max: "max", avg: "avg", stats: "stats",
  hist: "histogram", lhist: "linear histogram", lost: "per-CPU array (tsbpf's lost-event counters)", dropped: "per-CPU array (tsbpf's dropped-update counters)", cgroup: "cgroup array (the cgroup the tracer is limited to)",
  params: "read-only array (the tracer's parameters)", stacks: "stack-trace map (kstack/ustack)",
  lpm_trie: "LPM trie (longest-prefix match)", prog_array: "program array (tail calls)", queue: "queue (FIFO)", stack: "stack (LIFO)", stack_trace: "stack-trace map",
};

/** What a helper changes in the system (spec/bpf/helpers.ts), if it changes anything. */
const changes = (id: number): string | undefined => kernelHelper(id)?.changes;
const warning = (id: number): string => `${helperLabel(id)} ${changes(id)}`;

/** What a packet program's return value decides, by probe kind: it changes what the kernel does with traffic. */
const PACKET_VERDICTS: Record<string, string> = {
  xdp: "decides the fate of every packet arriving on the device before the network stack sees it: it can drop, bounce (XDP_TX) or redirect them",
  socketFilter: "decides what the sockets it is attached to (attachSocket) receive: it can drop or cut packets",
  cgroupSkb: "decides which packets the cgroup's sockets may send or receive: it can drop them (a dropped UDP send fails with EPERM, a TCP connect hangs)",
};

/** The warning for a program that can drop packets (every one whose spec does not say it cannot). */
function packetWarning(p: ProgramSpec): string | undefined {
  const verdict = PACKET_VERDICTS[p.probe.kind];
  return verdict && p.mayDrop !== false ? `${p.probe.kind} ${p.probe.target} → ${p.name}() ${verdict}` : undefined;
}

export interface PlanOptions {
  cpus: number;
  /** What a probe attaches to, as the kernel has it ("tracepoint syscalls:sys_exit_* (360 tracepoints, ...)"). */
  describeProbe?(probe: ProgramSpec["probe"]): string | undefined;
}

/** Kernel memory a map takes, roughly: its entries times key and value, per CPU where it is per-CPU. */
export function mapMemory(m: MapSpec, entries: number, cpus: number): number {
  if (m.kind === "ringbuf") return entries;
  if (m.kind === "perfbuf") return entries * cpus;
  const key = m.key ? sizeOf(m.key) : 4, value = m.value ? Math.ceil(sizeOf(m.value) / 8) * 8 : 8;
  const perCpu = m.kind.startsWith("percpu") || ["scratch", "count", "sum", "min", "max", "avg", "stats", "hist", "lhist", "lost", "dropped"].includes(m.kind);
  return entries * (key + (perCpu ? value * cpus : value) + 16);
}

function bytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** The helpers of these specs that change the system rather than observe it, as warnings. */
export function kernelWarnings(specs: TracerSpec[]): string[] {
  const ids = new Set<number>();
  for (const p of specs.flatMap((s) => s.programs)) {
    for (const ins of decode(fromBase64(p.insns))) if (ins.code === (Class.JMP | JmpOp.call) && ins.src === 0 && changes(ins.imm)) ids.add(ins.imm);
  }
  return [...[...ids].map(warning), ...specs.flatMap((s) => s.programs.flatMap((p) => packetWarning(p) ?? []))];
}

export function describePlan(specs: TracerSpec[], options: PlanOptions): string {
  const out: string[] = [];
  for (const spec of specs) {
    out.push(`${spec.className} (${spec.file})`, "  probes:");
    const helpers = new Map<number, Set<string>>();
    for (const p of spec.programs) {
      const insns = decode(fromBase64(p.insns));
      const passes = PACKET_VERDICTS[p.probe.kind] && p.mayDrop === false ? " (lets every packet pass: it only counts)" : "";
      const probe = `${p.tailCallTarget ? "tail call from " : ""}${options.describeProbe?.(p.probe) ?? `${p.probe.kind} ${p.probe.target}`}`;
      const runs = p.syscallsRun === undefined ? "" : `; it runs in ${p.syscallsRun} of them, those with the arguments it reads`;
      out.push(`    ${probe}  →  ${p.name}() at line ${p.line}: ${insns.length} instructions, ${p.stackSize} bytes of stack${passes}${runs}`);
      for (const ins of insns) {
        if (ins.code === (Class.JMP | JmpOp.call) && ins.src === 0) {
          if (!helpers.has(ins.imm)) helpers.set(ins.imm, new Set());
          helpers.get(ins.imm)!.add(p.name);
        }
      }
    }
    out.push("  maps:");
    let total = 0, sizedAtRunTime = false;
    for (const m of spec.maps) {
      const aggregation = m.key && m.key.kind === "struct" && m.key.name === "aggregation_key";
      const key = aggregation ? (m.userKey ? typeName(m.userKey) : "none") : m.key && typeName(m.key);
      const value = m.kind === "params" && m.value?.kind === "struct" ? `{ ${m.value.fields.map((f) => `${f.name}: ${typeName(f.type)}`).join(", ")} }` : m.value && typeName(m.value);
      if (m.runtimeSize) {
        // Never a default here: the script may ask for more than that.
        sizedAtRunTime = true;
        const what = m.kind === "ringbuf" || m.kind === "perfbuf" ? `events of ${value ?? "?"}` : [key && `key ${key}`, value && !aggregation && `value ${value}`].filter(Boolean).join(", ");
        out.push(`    ${m.name.padEnd(14)} ${MAP_KINDS[m.kind] ?? m.kind}: size decided at run time (the script computes it)${what ? `, ${what}` : ""}`);
        continue;
      }
      const entries = fixedEntries(m) ?? m.size ?? (m.kind === "ringbuf" ? DEFAULT_RINGBUF_BYTES : m.kind === "perfbuf" ? DEFAULT_PERF_BUFFER_BYTES : m.kind === "scratch" ? spec.programs.length : m.kind === "params" ? 1 : m.kind === "lost" ? spec.programs.length : 10240);
      const memory = mapMemory(m, entries, options.cpus);
      total += memory;
      const shape = m.kind === "ringbuf" || m.kind === "perfbuf" ? `${bytes(entries)}, events of ${value ?? "?"}` :
        m.kind === "prog_array" ? `${entries} slot${entries === 1 ? "" : "s"}, ${(m.slots ?? []).map((s) => `${s.index} → ${s.program}()`).join(", ")}` :
        `${entries} entr${entries === 1 ? "y" : "ies"}${key ? `, key ${key}` : ""}${value && !aggregation ? `, value ${value}` : ""}`;
      out.push(`    ${m.name.padEnd(14)} ${MAP_KINDS[m.kind] ?? m.kind}: ${shape}; up to ${bytes(memory)}`);
    }
    out.push(sizedAtRunTime ? `    (at least ${bytes(total)} of kernel memory in all with ${options.cpus} CPUs, plus the maps sized at run time)` : `    (at most ${bytes(total)} of kernel memory in all, with ${options.cpus} CPUs)`);
    out.push("  helpers:");
    for (const [id, users] of [...helpers].sort((a, b) => a[0] - b[0])) {
      out.push(`    ${(kernelHelper(id)?.name ?? `helper #${id}`).padEnd(24)} in ${[...users].join(", ")}`);
    }
    const reads = [...helpers.keys()].filter((id) => kernelHelper(id)?.reads).map((id) => kernelHelper(id)!.name);
    out.push(`  reads: ${reads.length ? `memory through ${reads.join(", ")}` : "only its probes' arguments and its maps"}`);
    const warnings = [...[...helpers.keys()].filter(changes).map(warning), ...spec.programs.flatMap((p) => packetWarning(p) ?? [])];
    // Whether the whole script only observes is decided with its user-space half (plan_user.ts).
    out.push(warnings.length ? "  WARNINGS:" : "  warnings: none in the kernel", ...warnings.map((w) => `    ${w}`));
    out.push("");
  }
  return out.join("\n");
}
