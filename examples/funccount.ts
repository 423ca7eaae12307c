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
import { parseArgs } from "node:util";
import process from "node:process";
import { Count, kprobe, pid, probe, type ProbeName, tracepoint, Tracer, type u32 } from "tsbpf";
import { commandLine, hms, intOption, runTool } from "./_tool.ts";

const USAGE = `usage: funccount [-h] [-p PID] [-i INTERVAL] [-d DURATION] [-T] pattern

Count kernel function calls or tracepoint hits

positional arguments:
  pattern               search expression: 'tcp_*' (kernel functions), 't:sched:sched_*' (tracepoints)

optional arguments:
  -h, --help            show this help message and exit
  -p PID, --pid PID     trace this PID only
  -i INTERVAL, --interval INTERVAL
                        summary interval, seconds
  -d DURATION, --duration DURATION
                        total duration of trace, seconds
  -T, --timestamp       include timestamp on output`;

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

/** The counts as bcc prints them, the most frequent last; the counts are reset for the next interval. */
export function countTable(counter: FuncCounter): string {
  const rows = counter.counts.entries().map(([[name], n]) => [name.replace(/^(kprobe|tracepoint):/, ""), n] as const);
  rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0].localeCompare(b[0])));
  counter.counts.clear();
  return [`${"FUNC".padEnd(36)} ${"COUNT".padStart(8)}`, ...rows.map(([name, n]) => `${name.padEnd(36)} ${String(n).padStart(8)}`)].join("\n");
}

if (import.meta.main) {
  const { values, positionals } = commandLine(USAGE, () =>
    parseArgs({
      allowPositionals: true,
      options: {
        pid: { type: "string", short: "p" }, interval: { type: "string", short: "i" }, duration: { type: "string", short: "d" },
        timestamp: { type: "boolean", short: "T" }, help: { type: "boolean", short: "h" },
      },
    }));
  if (positionals.length !== 1) {
    console.error(`funccount takes one pattern, quoted so the shell leaves its * alone: funccount 'tcp_*'\n\n${USAGE}`);
    process.exit(2);
  }
  const counter = funcCounter(positionals[0]);
  counter.targetPid = intOption("-p", values.pid);
  await counter.start();
  const interval = intOption("-i", values.interval);
  const duration = intOption("-d", values.duration);
  console.log(`Tracing ${positionals[0]}... Hit Ctrl-C to end.`);
  await runTool(counter, {
    interval: interval || undefined,
    duration: duration || undefined,
    report: () => {
      console.log(`\n${values.timestamp ? `${hms()}\n` : ""}${countTable(counter)}`);
    },
  });
  console.log("Detaching...");
}
