// funccount: calls of every kernel function or tracepoint matching a pattern, counted per
// function in the kernel. Printed sorted (the most called last) on Ctrl-C, after -d seconds, or
// every -i seconds. Like bcc's funccount.
//
//   sudo bun run examples/funccount.ts 'tcp_*'                      kernel functions (kprobes)
//   sudo bun run examples/funccount.ts 't:syscalls:sys_enter_*'     tracepoints
//   sudo deno run --allow-ffi examples/funccount.ts -p 181 -i 1 'vfs_*'
//
// A pattern is KIND:TARGET with KIND k/kprobe/p (the default) or t/tracepoint; * and ? match
// any characters. One handler is attached to every match (kprobe_multi where the kernel has
// it); probe() tells which one fired.
import { Count, kprobe, pid, probe, type ProbeName, tracepoint, Tracer, type u32 } from "tsbpf";
import { emit, hms, intOption, notice, parseToolArgs, runTool } from "tsbpf/tool";

/** The common part of the counters: what is counted, and the table. */
export interface FuncCounter extends Tracer {
  counts: Count<[ProbeName]>;
  targetPid: u32;
}

/** A counter of the calls of every kernel function matching `pattern`. */
export function kprobeCounter(pattern: string): FuncCounter {
  class KprobeCount extends Tracer {
    counts = new Count<[ProbeName]>();
    /** Only this process (0: every process). */
    targetPid: u32 = 0;

    @kprobe(pattern)
    onCall() {
      if (this.targetPid !== 0 && pid() !== this.targetPid) return;
      this.counts.add([probe()]);
    }
  }
  return new KprobeCount();
}

/** A counter of the hits of every tracepoint matching `pattern` ("category:name"). */
export function tracepointCounter(pattern: string): FuncCounter {
  class TracepointCount extends Tracer {
    counts = new Count<[ProbeName]>();
    targetPid: u32 = 0;

    @tracepoint(pattern)
    onHit() {
      if (this.targetPid !== 0 && pid() !== this.targetPid) return;
      this.counts.add([probe()]);
    }
  }
  return new TracepointCount();
}

/** A counter for a bcc-style pattern: "tcp_*", "k:tcp_*", "t:syscalls:sys_enter_*". */
export function funcCounter(spec: string): FuncCounter {
  const m = /^(k|kprobe|p|t|tracepoint):(.*)$/.exec(spec);
  const kind = m?.[1] ?? "k";
  const target = m ? m[2] : spec;
  return kind === "t" || kind === "tracepoint" ? tracepointCounter(target) : kprobeCounter(target);
}

/** The counts, the most frequent last (bcc's order); the counts are reset for the next interval. */
export function countRows(counter: FuncCounter): [string, bigint][] {
  const rows = counter.counts.entries().map(([[name], n]) => [name.replace(/^(kprobe|tracepoint):/, ""), n] as [string, bigint]);
  rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0].localeCompare(b[0])));
  counter.counts.clear();
  return rows;
}

/** The counts as bcc prints them, a line each. */
export function countTable(rows: [string, bigint][]): string[] {
  return [`${"FUNC".padEnd(36)} ${"COUNT".padStart(8)}`, ...rows.map(([name, n]) => `${name.padEnd(36)} ${String(n).padStart(8)}`)];
}

if (import.meta.main) {
  const { values, positionals, start } = parseToolArgs({
    name: "funccount",
    description: "Count kernel function calls or tracepoint hits",
    options: {
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      interval: { type: "string", short: "i", value: "INTERVAL", help: "summary interval, seconds" },
      duration: { type: "string", short: "d", value: "DURATION", help: "total duration of trace, seconds" },
      timestamp: { type: "boolean", short: "T", help: "include timestamp on output" },
    },
    positionals: [{ name: "pattern", required: true, help: "search expression, quoted: 'tcp_*' (kernel functions), 't:sched:sched_*' (tracepoints)" }],
    examples: [["'vfs_*'", "count kernel functions starting with vfs_"], ["-i 1 't:syscalls:sys_enter_*'", "count system call entries, every second"]],
  });
  const counter = funcCounter(positionals[0]);
  counter.targetPid = intOption("-p", values.pid);
  const interval = intOption("-i", values.interval);
  const duration = intOption("-d", values.duration);
  await counter.start(start);
  notice(`Tracing ${positionals[0]}... Hit Ctrl-C to end.`);
  await runTool(counter, {
    interval: interval || undefined,
    duration: duration || undefined,
    report: () => {
      const time = hms();
      const rows = countRows(counter);
      emit({ ...(values.timestamp && { time }), counts: Object.fromEntries(rows) }, () => ["", ...(values.timestamp ? [time] : []), ...countTable(rows)]);
    },
  });
  notice("Detaching...");
}
