// `tsbpf plan`: what a script would do as root, read from its compiled spec without loading
// anything: every probe, every map and the kernel memory it takes, every helper its handlers
// call, and warnings for the helpers that can change the system rather than observe it.
import { decode, JmpOp, Class } from "../spec/bpf/isa.ts";
import { fromBase64, type MapSpec, type TracerSpec } from "../spec/tracer_spec.ts";
import { sizeOf, typeName } from "../spec/layout.ts";

const HELPER_NAMES: Record<number, string> = {
  1: "map_lookup_elem", 2: "map_update_elem", 3: "map_delete_elem", 4: "probe_read", 5: "ktime_get_ns", 6: "trace_printk",
  8: "get_smp_processor_id", 14: "get_current_pid_tgid", 15: "get_current_uid_gid", 16: "get_current_comm",
  25: "perf_event_output", 27: "get_stackid", 35: "get_current_task", 36: "probe_write_user", 45: "probe_read_str",
  58: "override_return", 87: "map_push_elem", 88: "map_pop_elem", 89: "map_peek_elem", 109: "send_signal", 112: "probe_read_user", 113: "probe_read_kernel", 114: "probe_read_user_str",
  115: "probe_read_kernel_str", 117: "send_signal_thread", 130: "ringbuf_output", 131: "ringbuf_reserve", 132: "ringbuf_submit",
  133: "ringbuf_discard", 166: "sys_bpf",
};

/** Helpers that act on the system: each gets a warning. */
const POWERFUL: Record<number, string> = {
  36: "writes the memory of user processes",
  58: "changes the return value of kernel functions (can make system calls fail)",
  109: "sends signals to processes (can kill them)",
  117: "sends signals to threads (can kill them)",
  166: "runs bpf() commands from the kernel",
};

const MAP_KINDS: Record<string, string> = {
  ringbuf: "ring buffer", perfbuf: "perf buffer (per CPU)", scratch: "per-CPU array (room for big perf buffer events)", hash: "hash map", lru_hash: "LRU hash map", percpu_hash: "per-CPU hash map", array: "array",
  percpu_array: "per-CPU array", count: "count", sum: "sum", min: "min", max: "max", avg: "avg", stats: "stats",
  hist: "histogram", lhist: "linear histogram", lost: "per-CPU array (tsbpf's lost-event counters)", dropped: "per-CPU array (tsbpf's dropped-update counters)", cgroup: "cgroup array (the cgroup the tracer is limited to)",
  params: "read-only array (the tracer's parameters)", stacks: "stack-trace map (kstack/ustack)",
  lpm_trie: "LPM trie (longest-prefix match)", queue: "queue (FIFO)", stack: "stack (LIFO)", stack_trace: "stack-trace map",
};

export interface PlanOptions {
  cpus: number;
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
    for (const ins of decode(fromBase64(p.insns))) if (ins.code === (Class.JMP | JmpOp.call) && ins.src === 0 && POWERFUL[ins.imm]) ids.add(ins.imm);
  }
  return [...ids].map((id) => `bpf_${HELPER_NAMES[id]} ${POWERFUL[id]}`);
}

export function describePlan(specs: TracerSpec[], options: PlanOptions): string {
  const out: string[] = [];
  for (const spec of specs) {
    out.push(`${spec.className} (${spec.file})`, "  probes:");
    const helpers = new Map<number, Set<string>>();
    for (const p of spec.programs) {
      const insns = decode(fromBase64(p.insns));
      out.push(`    ${p.probe.kind} ${p.probe.target}  →  ${p.name}() at line ${p.line}: ${insns.length} instructions, ${p.stackSize} bytes of stack`);
      for (const ins of insns) {
        if (ins.code === (Class.JMP | JmpOp.call) && ins.src === 0) {
          if (!helpers.has(ins.imm)) helpers.set(ins.imm, new Set());
          helpers.get(ins.imm)!.add(p.name);
        }
      }
    }
    out.push("  maps:");
    let total = 0;
    for (const m of spec.maps) {
      const entries = m.size ?? (m.kind === "ringbuf" || m.kind === "perfbuf" ? 256 * 1024 : m.kind === "scratch" ? spec.programs.length : m.kind === "params" ? 1 : m.kind === "lost" ? spec.programs.length : 10240);
      const memory = mapMemory(m, entries, options.cpus);
      total += memory;
      const aggregation = m.key && m.key.kind === "struct" && m.key.name === "aggregation_key";
      const key = aggregation ? (m.userKey ? typeName(m.userKey) : "none") : m.key && typeName(m.key);
      const value = m.kind === "params" && m.value?.kind === "struct" ? `{ ${m.value.fields.map((f) => `${f.name}: ${typeName(f.type)}`).join(", ")} }` : m.value && typeName(m.value);
      const shape = m.kind === "ringbuf" || m.kind === "perfbuf" ? `${bytes(entries)}, events of ${value ?? "?"}` :
        `${entries} entr${entries === 1 ? "y" : "ies"}${key ? `, key ${key}` : ""}${value && !aggregation ? `, value ${value}` : ""}`;
      out.push(`    ${m.name.padEnd(14)} ${MAP_KINDS[m.kind] ?? m.kind}: ${shape}; up to ${bytes(memory)}`);
    }
    out.push(`    (at most ${bytes(total)} of kernel memory in all, with ${options.cpus} CPUs)`);
    out.push("  helpers:");
    for (const [id, users] of [...helpers].sort((a, b) => a[0] - b[0])) {
      out.push(`    ${(HELPER_NAMES[id] ?? `helper #${id}`).padEnd(24)} in ${[...users].join(", ")}`);
    }
    const reads = [...helpers.keys()].filter((id) => [4, 45, 112, 113, 114, 115].includes(id)).map((id) => HELPER_NAMES[id]);
    out.push(`  reads: ${reads.length ? `memory through ${reads.join(", ")}` : "only its probes' arguments and its maps"}`);
    const warnings = [...helpers.keys()].filter((id) => POWERFUL[id]).map((id) => `bpf_${HELPER_NAMES[id]} ${POWERFUL[id]}`);
    // Whether the whole script only observes is decided with its user-space half (plan_user.ts).
    out.push(warnings.length ? "  WARNINGS:" : "  warnings: none in the kernel", ...warnings.map((w) => `    ${w}`));
    out.push("");
  }
  return out.join("\n");
}
