// cpudist: how long tasks run on a CPU each time they are scheduled (or, with -O, how long
// they stay off it), as a power-of-two histogram. Like bcc's cpudist, on the sched_switch raw
// tracepoint: the task leaving the CPU ends a run, the task arriving starts one.
//
//   sudo bun run examples/cpudist.ts [-O] [-T] [-m] [-P | -L] [-p PID] [-I] [-e] [--json] [interval [count]]
//   sudo deno run --allow-ffi examples/cpudist.ts -P 1 5
//
// Stop it with Ctrl-C.
import { cpu, HashMap, Histogram, ktime, rawTracepoint, Stats, Tracer, type u32, type u64 } from "tsbpf";
import { hms, intOption, jsonLine, notice, parseToolArgs, printLine, printLog2, readTextFile, requireTracepoints, runTool, textOnly } from "tsbpf/tool";

interface Task {
  pid: u32;
  tgid: u32;
}

/** Whether a task is traced: the -p process (or any), and not the idle task unless -I. */
const traced = (tgid: u32, tid: u32, target: u32, idle: boolean) => (target === 0 || tgid === target) && (idle || tid !== 0);

export class CpuDist extends Tracer {
  /** [thread, cpu] → when it went on (or off) that CPU. */
  since = new HashMap<[u32, u32], u64>();
  dist = new Histogram();
  byId = new Histogram<u32>();
  summary = new Stats();
  /** Off-CPU time instead of on-CPU time. */
  offcpu = false;
  milliseconds = false;
  perProcess = false;
  perThread = false;
  targetPid: u32 = 0;
  /** Count the idle task (pid 0) too. */
  includeIdle = false;

  @rawTracepoint("sched_switch")
  onSwitch(args: { prev: Task; next: Task }) {
    const prev = args.prev, next = args.next;
    const now = ktime(), c = cpu();
    const unit = this.milliseconds ? 1000000n : 1000n;
    if (traced(prev.tgid, prev.pid, this.targetPid, this.includeIdle)) {
      if (this.offcpu) this.since.set([prev.pid, c], now);
      else {
        const t = this.since.get([prev.pid, c])!;
        if (t !== 0n && now >= t) {
          const delta = (now - t) / unit;
          if (this.perThread) this.byId.add(prev.pid, delta);
          else if (this.perProcess) this.byId.add(prev.tgid, delta);
          else this.dist.add(delta);
          this.summary.add(delta);
        }
      }
    }
    if (traced(next.tgid, next.pid, this.targetPid, this.includeIdle)) {
      if (!this.offcpu) this.since.set([next.pid, c], now);
      else {
        const t = this.since.get([next.pid, c])!;
        if (t !== 0n && now >= t) {
          const delta = (now - t) / unit;
          if (this.perThread) this.byId.add(next.pid, delta);
          else if (this.perProcess) this.byId.add(next.tgid, delta);
          else this.dist.add(delta);
          this.summary.add(delta);
        }
      }
    }
  }
}

/** The histogram(s) as bcc prints them ("pid = 123 bash" above each with -P or -L), then cleared. */
export function report(t: CpuDist, o: { json?: boolean; extension?: boolean; out?: (l: string) => void } = {}): void {
  const unit = t.milliseconds ? "msecs" : "usecs";
  const out = o.out ?? ((l: string) => printLine(l));
  const name = (id: number) => {
    const comm = readTextFile(`/proc/${id}/comm`)?.trim();
    return comm ? `${id} ${comm}` : String(id);
  };
  if (t.perThread || t.perProcess) printLog2(t.byId, unit, { json: o.json, section: t.perThread ? "tid" : "pid", label: name, out });
  else printLog2(t.dist, unit, { json: o.json, out });
  const s = t.summary.get();
  if (o.extension && s) {
    if (o.json) out(jsonLine({ avg: s.average, total: s.total, count: s.count, unit }));
    else ["", `avg = ${s.average} ${unit}, total: ${s.total} ${unit}, count: ${s.count}`, ""].forEach(out);
  }
  for (const m of [t.dist, t.byId, t.summary]) m.clear();
}

if (import.meta.main) {
  const { values, positionals, start } = parseToolArgs({
    name: "cpudist",
    description: "Summarize on- and off-CPU time per task as a histogram.",
    options: {
      offcpu: { type: "boolean", short: "O", help: "measure off-CPU time" },
      timestamp: { type: "boolean", short: "T", help: "include timestamp on output" },
      milliseconds: { type: "boolean", short: "m", help: "millisecond histogram" },
      pids: { type: "boolean", short: "P", help: "print a histogram per process ID" },
      tids: { type: "boolean", short: "L", help: "print a histogram per thread ID" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      "include-idle": { type: "boolean", short: "I", help: "include CPU idle time" },
      extension: { type: "boolean", short: "e", help: "show extension summary (average/total/count)" },
    },
    positionals: [{ name: "interval", help: "output interval, in seconds" }, { name: "count", help: "number of outputs" }],
    examples: [
      ["", "summarize on-CPU time as a histogram"], ["-O", "summarize off-CPU time as a histogram"], ["1 10", "print 1 second summaries, 10 times"],
      ["-mT 1", "1s summaries, milliseconds, and timestamps"], ["-P", "show each PID separately"], ["-p 185", "trace PID 185 only"],
      ["-I", "include CPU idle time"], ["-e", "show extension summary (average/total/count)"],
    ],
  });
  requireTracepoints("cpudist", ["sched:sched_switch"], "CONFIG_TRACEPOINTS");
  const tracer = new CpuDist();
  tracer.offcpu = !!values.offcpu;
  tracer.milliseconds = !!values.milliseconds;
  tracer.perProcess = !!values.pids;
  tracer.perThread = !!values.tids;
  tracer.targetPid = intOption("-p", values.pid);
  tracer.includeIdle = !!values["include-idle"];
  const interval = intOption("interval", positionals[0]), count = intOption("count", positionals[1]);
  await tracer.start(start);
  notice(`Tracing ${tracer.offcpu ? "off" : "on"}-CPU time... Hit Ctrl-C to end.`);
  await runTool(tracer, {
    interval, count,
    report: () => {
      textOnly();
      if (values.timestamp) textOnly(hms());
      report(tracer, { json: values.json, extension: values.extension });
    },
  });
}
