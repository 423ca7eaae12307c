// Which BPF programs, maps and links a process holds, by id (from /proc/PID/fdinfo), and which
// of them are still in the kernel: how the lifecycle tests check that every way a tracer ends
// releases everything of its own, whatever else runs on the machine.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";
import { linkIds, mapIds, progIds } from "../../runtime/bpf.ts";

await libc();

export interface KernelObjects {
  progs: number[];
  maps: number[];
  links: number[];
  /** perf_event_open fds (tracepoints, sampling, perf buffers): they have no kernel-wide id. */
  perfFds: number;
}

/** The BPF objects the process `pid` holds open right now (call it while it runs). */
export function objectsOf(pid: number | "self"): KernelObjects {
  const out: KernelObjects = { progs: [], maps: [], links: [], perfFds: 0 };
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out; // already gone
  }
  for (const fd of fds) {
    let target = "", info = "";
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (!target.startsWith("anon_inode:")) continue;
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8");
    } catch {
      continue; // closed meanwhile
    }
    if (target === "anon_inode:[perf_event]") out.perfFds++;
    const id = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)`, "m").exec(info)?.[1] ?? NaN);
    if (target === "anon_inode:bpf-prog") out.progs.push(id("prog_id"));
    else if (target === "anon_inode:bpf-map") out.maps.push(id("map_id"));
    else if (target === "anon_inode:bpf_link") out.links.push(id("link_id"));
  }
  return out;
}

/** The objects of `held` still in the kernel, as "prog 12" ... (empty: all released). */
export function stillLoaded(held: KernelObjects): string[] {
  const progs = new Set(progIds()), maps = new Set(mapIds()), links = new Set(linkIds());
  return [
    ...held.progs.filter((id) => progs.has(id)).map((id) => `prog ${id}`),
    ...held.maps.filter((id) => maps.has(id)).map((id) => `map ${id}`),
    ...held.links.filter((id) => links.has(id)).map((id) => `link ${id}`),
  ];
}

/**
 * Waits (up to `ms`; the kernel frees programs after an RCU grace period, and the maps they held
 * after that, from a workqueue: both come late on a loaded machine) until none of `held`
 * remains; returns what does. It returns as soon as they are gone: the bound only says how long
 * a failure takes.
 */
export async function released(held: KernelObjects, ms = 60_000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const left = stillLoaded(held);
    if (!left.length || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** CPU time (user + system) the process has used, in clock ticks (1/100 s), from /proc/PID/stat. */
/**
 * How many times the process's threads have gone to sleep so far (voluntary context switches,
 * summed over /proc/PID/task): each is one wake-up after it. Threads that already ended are not
 * counted.
 */
export function sleeps(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from the 3rd (state) on
  return Number(fields[11]) + Number(fields[12]); // utime (14th) and stime (15th)
}
