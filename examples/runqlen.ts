// runqlen: how many tasks wait on the CPUs' run queues, sampled 99 times a second on every CPU,
// as a linear histogram (or as run queue occupancy, -O). Like bcc's runqlen: each sample reads
// the CFS run queue of the task on the CPU (task->se.cfs_rq, through BTF) and counts the tasks
// queued there besides the running one. Needs CONFIG_FAIR_GROUP_SCHED (se.cfs_rq), as bcc's does.
//
//   sudo bun run examples/runqlen.ts [-T] [-O] [-C] [--json] [interval [count]]
//   sudo deno run --allow-ffi examples/runqlen.ts 1 5
//
// Stop it with Ctrl-C.
import { Count, cpu, curtask, profile, Tracer, type u32 } from "tsbpf";
import { hms, intOption, jsonLine, notice, parseToolArgs, printLine, runTool, textOnly } from "tsbpf/tool";

interface CpuLen {
  cpu: u32;
  len: u32;
}

export class RunqLen extends Tracer {
  /** Samples per run queue length. */
  dist = new Count<u32>();
  /** Samples per CPU and length (-C). */
  byCpu = new Count<CpuLen>();
  perCpu = false;

  @profile(99)
  onSample() {
    const rq = curtask().se.cfs_rq;
    // cfs_rq.nr_running was renamed nr_queued in Linux 6.14.
    let len: u32 = rq.nr_queued ?? rq.nr_running;
    if (len > 0) len--; // the running task is not waiting: 0 is an idle CPU or one task running
    if (this.perCpu) this.byCpu.add({ cpu: cpu(), len });
    else this.dist.add(len);
  }
}

/** bcc's print_linear_hist lines for counts per value. */
export function linearLines(counts: Map<number, bigint>, unit: string): string[] {
  const max = [...counts.values()].reduce((a, v) => (v > a ? v : a), 0n);
  const last = Math.max(-1, ...[...counts].filter(([, v]) => v > 0n).map(([k]) => k));
  if (last < 0) return [];
  const lines = [`     ${unit.padEnd(13)} : count     distribution`];
  for (let i = 0; i <= last; i++) {
    const v = counts.get(i) ?? 0n;
    const stars = max > 0n ? Math.floor((40 * Number(v)) / Number(max)) : 0;
    lines.push(`        ${String(i).padEnd(10)} : ${String(v).padEnd(8)} |${"*".repeat(stars).padEnd(40)}|`);
  }
  return lines;
}

/** The share of samples that found tasks waiting, in percent. */
function occupancy(counts: Map<number, bigint>): number {
  let idle = 0n, queued = 0n;
  for (const [len, n] of counts) len === 0 ? (idle += n) : (queued += n);
  return idle + queued ? (100 * Number(queued)) / Number(idle + queued) : 0;
}

/** The samples per CPU (-C) or for the whole machine (key -1), as length → count. */
export function histograms(t: RunqLen): Map<number, Map<number, bigint>> {
  const out = new Map<number, Map<number, bigint>>();
  const add = (c: number, len: number, n: bigint) => {
    if (!out.has(c)) out.set(c, new Map());
    out.get(c)!.set(len, (out.get(c)!.get(len) ?? 0n) + n);
  };
  if (t.perCpu) for (const [k, n] of t.byCpu.entries()) add(k.cpu, k.len, n);
  else for (const [len, n] of t.dist.entries()) add(-1, len, n);
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** One interval's output as bcc prints it, then cleared for the next. */
export function report(t: RunqLen, o: { occupancy?: boolean; json?: boolean; out?: (l: string) => void } = {}): void {
  const out = o.out ?? ((l: string) => printLine(l));
  for (const [c, counts] of histograms(t)) {
    if (o.json) {
      const data = [...counts].sort((a, b) => a[0] - b[0]).map(([len, count]) => ({ runqlen: len, count }));
      out(jsonLine({ ...(c >= 0 && { cpu: c }), runqocc: Number(occupancy(counts).toFixed(2)), data }));
    } else if (o.occupancy) {
      out(c >= 0 ? `runqocc, CPU ${String(c).padEnd(3)} ${occupancy(counts).toFixed(2).padStart(6)}%` : `runqocc: ${occupancy(counts).toFixed(2)}%`);
    } else {
      if (c >= 0) {
        out("");
        out(`cpu = ${c}`);
      }
      for (const l of linearLines(counts, "runqlen")) out(l);
    }
  }
  t.dist.clear();
  t.byCpu.clear();
}

if (import.meta.main) {
  const { values, positionals, start } = parseToolArgs({
    name: "runqlen",
    description: "Summarize scheduler run queue length as a histogram",
    options: {
      timestamp: { type: "boolean", short: "T", help: "include timestamp on output" },
      runqocc: { type: "boolean", short: "O", help: "report run queue occupancy" },
      cpus: { type: "boolean", short: "C", help: "print output for each CPU separately" },
    },
    positionals: [{ name: "interval", help: "output interval, in seconds" }, { name: "count", help: "number of outputs" }],
    examples: [
      ["", "summarize run queue length as a histogram"], ["1 10", "print 1 second summaries, 10 times"], ["-T 1", "1s summaries and timestamps"],
      ["-O", "report run queue occupancy"], ["-C", "show each CPU separately"],
    ],
  });
  const tracer = new RunqLen();
  tracer.perCpu = !!values.cpus;
  const interval = intOption("interval", positionals[0]), count = intOption("count", positionals[1]);
  await tracer.start(start);
  notice("Sampling run queue length... Hit Ctrl-C to end.");
  await runTool(tracer, {
    interval, count,
    report: () => {
      textOnly();
      if (values.timestamp) textOnly(hms());
      report(tracer, { occupancy: values.runqocc, json: values.json });
    },
  });
}
