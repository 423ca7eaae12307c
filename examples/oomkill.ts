// oomkill: one line per process the kernel's OOM killer picks, with the process whose
// allocation triggered it and the load average. Like bcc's oomkill, on the oom:mark_victim
// tracepoint (bcc uses a kprobe on oom_kill_process, not available everywhere). The tracepoint
// does not carry bcc's "pages" (the size of the memory that ran out); it carries the victim's
// memory instead, printed in kB as the kernel's own OOM report prints it.
//
//   sudo bun run examples/oomkill.ts [--json]
//   sudo deno run --allow-ffi examples/oomkill.ts
//
// Stop it with Ctrl-C.
import { comm, pid, RingBuf, str, Tracer, tracepoint, type i16, type Str, type TracepointArgs, type u32, type u64 } from "tsbpf";
import { hms, jsonLine, notice, parseToolArgs, printLine, readTextFile, requireTracepoints } from "tsbpf/tool";

export interface OomKill {
  /** The process whose allocation ran out of memory. */
  fpid: u32;
  /** The victim. */
  tpid: u32;
  uid: u32;
  oomScoreAdj: i16;
  /** The victim's memory, kB. */
  totalVm: u64;
  anonRss: u64;
  fileRss: u64;
  shmemRss: u64;
  fcomm: Str<16>;
  tcomm: Str<16>;
}

export class OomKillTracer extends Tracer {
  events = new RingBuf<OomKill>(64 * 1024);

  @tracepoint("oom:mark_victim")
  onVictim(args: TracepointArgs) {
    this.events.submit({
      fpid: pid(), tpid: args.pid, uid: args.uid, oomScoreAdj: args.oom_score_adj, totalVm: args.total_vm, anonRss: args.anon_rss,
      fileRss: args.file_rss, shmemRss: args.shmem_rss, fcomm: comm(), tcomm: str(args.comm),
    });
  }
}

type Event = Omit<OomKill, "fcomm" | "tcomm"> & { fcomm: string; tcomm: string };

/** bcc's line, with the victim's memory where bcc has the OOM's page count. */
export function describeKill(e: Event, loadavg: string, time = hms()): string {
  return `${time} Triggered by PID ${e.fpid} ("${e.fcomm}"), OOM kill of PID ${e.tpid} ("${e.tcomm}"), ` +
    `total-vm ${e.totalVm}kB, anon-rss ${e.anonRss}kB, loadavg: ${loadavg}`;
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "oomkill",
    description: "Trace the OOM killer: the process it kills, the one that triggered it, and the load average",
    examples: [["", "print every OOM kill"]],
  });
  requireTracepoints("oomkill", ["oom:mark_victim"], "Linux 4.9 or later with CONFIG_TRACEPOINTS");
  const tracer = await new OomKillTracer().start(start);
  notice("Tracing OOM kills... Ctrl-C to stop.");
  for await (const e of tracer.events) {
    const loadavg = readTextFile("/proc/loadavg")?.trim() ?? "";
    if (values.json) {
      console.log(jsonLine({
        time: hms(), trigger_pid: e.fpid, trigger_comm: e.fcomm, pid: e.tpid, comm: e.tcomm, uid: e.uid, oom_score_adj: e.oomScoreAdj,
        total_vm_kb: e.totalVm, anon_rss_kb: e.anonRss, file_rss_kb: e.fileRss, shmem_rss_kb: e.shmemRss, loadavg,
      }));
    } else printLine(describeKill(e, loadavg));
  }
}
