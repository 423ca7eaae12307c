// runqlat: how long tasks wait on a CPU's run queue before they run (scheduler latency), as a
// power-of-two histogram. Like bcc's runqlat, on the same raw tracepoints: sched_wakeup and
// sched_wakeup_new start the wait, sched_switch ends it (and starts one for a task preempted
// while still runnable).
//
//   sudo bun run examples/runqlat.ts [-T] [-m] [-P | -L] [-p PID] [--json] [interval [count]]
//   sudo deno run --allow-ffi examples/runqlat.ts 1 5
//
// Stop it with Ctrl-C.
import { HashMap, Histogram, ktime, rawTracepoint, Tracer, type u32, type u64 } from "tsbpf";
import { hms, intOption, notice, parseToolArgs, printLog2, requireTracepoints, runTool, textOnly } from "tsbpf/tool";

/** The fields of struct task_struct the handlers read (for the editor; the compiler uses BTF). */
interface Task {
  pid: u32;
  tgid: u32;
  __state: u32;
}

export class RunqLat extends Tracer {
  /** Thread id → when it became runnable. */
  queued = new HashMap<u32, u64>();
  dist = new Histogram();
  byId = new Histogram<u32>();
  milliseconds = false;
  /** A histogram per process (-P) or per thread (-L). */
  perProcess = false;
  perThread = false;
  /** Only this process (0: every process). */
  targetPid: u32 = 0;

  @rawTracepoint("sched_wakeup")
  onWakeup(args: { arg0: Task }) {
    const p = args.arg0; // the task woken up (the wakeup tracepoints share an event class: BTF has no names)
    if (p.pid === 0 || (this.targetPid !== 0 && p.tgid !== this.targetPid)) return;
    this.queued.set(p.pid, ktime());
  }

  @rawTracepoint("sched_wakeup_new")
  onWakeupNew(args: { arg0: Task }) {
    const p = args.arg0;
    if (p.pid === 0 || (this.targetPid !== 0 && p.tgid !== this.targetPid)) return;
    this.queued.set(p.pid, ktime());
  }

  @rawTracepoint("sched_switch")
  onSwitch(args: { prev: Task; next: Task }) {
    const prev = args.prev, next = args.next;
    // Preempted while runnable (TASK_RUNNING): it waits on the run queue from now.
    if (prev.__state === 0 && prev.pid !== 0 && (this.targetPid === 0 || prev.tgid === this.targetPid)) {
      this.queued.set(prev.pid, ktime());
    }
    const tid = next.pid;
    const t = this.queued.get(tid)!;
    if (t === 0n) return; // not seen waking up
    this.queued.delete(tid);
    const delta = (ktime() - t) / (this.milliseconds ? 1000000n : 1000n);
    if (this.perThread) this.byId.add(tid, delta);
    else if (this.perProcess) this.byId.add(next.tgid, delta);
    else this.dist.add(delta);
  }
}

/** The histogram(s) as bcc prints them, then cleared for the next interval. */
export function report(t: RunqLat, o: { json?: boolean; out?: (l: string) => void } = {}): void {
  const unit = t.milliseconds ? "msecs" : "usecs";
  if (t.perThread || t.perProcess) printLog2(t.byId, unit, { json: o.json, section: t.perThread ? "tid" : "pid", out: o.out });
  else printLog2(t.dist, unit, { json: o.json, out: o.out });
  t.dist.clear();
  t.byId.clear();
}

if (import.meta.main) {
  const { values, positionals, start } = parseToolArgs({
    name: "runqlat",
    description: "Summarize run queue (scheduler) latency as a histogram",
    options: {
      timestamp: { type: "boolean", short: "T", help: "include timestamp on output" },
      milliseconds: { type: "boolean", short: "m", help: "millisecond histogram" },
      pids: { type: "boolean", short: "P", help: "print a histogram per process ID" },
      tids: { type: "boolean", short: "L", help: "print a histogram per thread ID" },
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
    },
    positionals: [{ name: "interval", help: "output interval, in seconds" }, { name: "count", help: "number of outputs" }],
    examples: [
      ["", "summarize run queue latency as a histogram"], ["1 10", "print 1 second summaries, 10 times"], ["-mT 1", "1s summaries, milliseconds, and timestamps"],
      ["-P", "show each PID separately"], ["-p 185", "trace PID 185 only"],
    ],
  });
  requireTracepoints("runqlat", ["sched:sched_wakeup", "sched:sched_wakeup_new", "sched:sched_switch"], "CONFIG_TRACEPOINTS");
  const tracer = new RunqLat();
  tracer.milliseconds = !!values.milliseconds;
  tracer.perProcess = !!values.pids;
  tracer.perThread = !!values.tids;
  tracer.targetPid = intOption("-p", values.pid);
  const interval = intOption("interval", positionals[0]), count = intOption("count", positionals[1]);
  await tracer.start(start);
  notice("Tracing run queue latency... Hit Ctrl-C to end.");
  await runTool(tracer, {
    interval, count,
    report: () => {
      textOnly();
      if (values.timestamp) textOnly(hms());
      report(tracer, { json: values.json });
    },
  });
}
