// offcputime: where threads wait: off-CPU time by stack, for flame graphs. Off-CPU time (us)
// summed by kernel and user stack, thread and command: the stacks are taken when a thread
// leaves the CPU, the time is counted when it comes back. Like bcc's offcputime, on the sched_switch raw tracepoint (whose current task is
// the one leaving, so kstack() and ustack() are its stacks as it blocks). -f prints folded
// stacks for flame graphs (flamegraph.pl --color=io).
//
//   sudo bun run examples/offcputime.ts [-p PID | -t TID | -u | -k] [-U | -K] [-d] [-f] [-m MIN] [-M MAX] [--state N] [duration]
//   sudo deno run --allow-ffi examples/offcputime.ts -f 5 > out.folded
//   sudo bun run examples/offcputime.ts -o offcpu.pb.gz 5 && go tool pprof -top offcpu.pb.gz
//
// Stop it with Ctrl-C, or after `duration` seconds.
import process from "node:process";
import { HashMap, kstack, type KStack, ktime, rawTracepoint, str, type Str, Sum, Tracer, type u32, type u64, ustack, type UStack, writePprof } from "tsbpf";
import { formatStack, functionNames, intOption, jsonLine, mergeByStack, missed, notice, parseToolArgs, printLine, requireTracepoints, runTool, type StackFormat, type StackRow, textOnly, threadFrames, usageError } from "tsbpf/tool";

const PF_KTHREAD = 0x00200000;

interface Task {
  pid: u32;
  tgid: u32;
  flags: u32;
  __state: u32;
  comm: string;
}

interface Blocked {
  ts: u64;
  kernel: KStack;
  user: UStack;
}

export interface OffCpuKey {
  tgid: u32;
  pid: u32;
  comm: Str<16>;
  kernel: KStack;
  user: UStack;
}

export class OffCpuTime extends Tracer {
  /** Thread → when it left the CPU, and its stacks then. */
  blocked = new HashMap<u32, Blocked>();
  /**
   * Microseconds off CPU per thread and stacks.
   * @unit us
   */
  offcpu = new Sum<OffCpuKey>();
  /** Only this process / this thread (0: any). */
  targetPid: u32 = 0;
  targetTid: u32 = 0;
  userThreadsOnly = false;
  kernelThreadsOnly = false;
  /** Only waits of at least / at most this many microseconds. */
  minBlockUs: u64 = 1n;
  maxBlockUs: u64 = 0xffffffffffffffffn;
  /** Only threads that block in this state (task->__state), when `filterState`. */
  filterState = false;
  state: u32 = 0;

  @rawTracepoint("sched_switch")
  onSwitch(args: { prev: Task; next: Task }) {
    const prev = args.prev, next = args.next;
    const kthread = (prev.flags & PF_KTHREAD) !== 0;
    if ((this.targetPid === 0 || prev.tgid === this.targetPid) && (this.targetTid === 0 || prev.pid === this.targetTid) &&
      (!this.userThreadsOnly || !kthread) && (!this.kernelThreadsOnly || kthread) && (!this.filterState || prev.__state === this.state)) {
      this.blocked.set(prev.pid, { ts: ktime(), kernel: kstack(), user: ustack() });
    }
    if (!this.blocked.has(next.pid)) return;
    const b = this.blocked.get(next.pid)!;
    this.blocked.delete(next.pid);
    const now = ktime();
    if (now < b.ts) return;
    const us = (now - b.ts) / 1000n;
    if (us < this.minBlockUs || us > this.maxBlockUs) return;
    this.offcpu.add({ tgid: next.tgid, pid: next.pid, comm: str(next.comm), kernel: b.kernel, user: b.user }, us);
  }
}

export interface Row extends StackRow {
  tgid: number;
  us: bigint;
}

/** The sums by stack, smallest first (bcc's order), merged where only the shown stacks count. */
export function rows(t: OffCpuTime, o: { userOnly?: boolean; kernelOnly?: boolean } = {}): Row[] {
  return mergeByStack(t.offcpu.entries().map(([k, us]): Row => ({
    comm: k.comm, pid: k.pid, tgid: k.tgid, us,
    kernel: o.userOnly || missed(k.kernel) ? undefined : functionNames(threadFrames(k.kernel.frames())),
    user: o.kernelOnly || missed(k.user) ? undefined : functionNames(k.user.frames()),
    kernelMissed: !o.userOnly && missed(k.kernel), userMissed: !o.kernelOnly && missed(k.user),
  })), "us");
}

/** One row as bcc prints it: multi-line (frames, then "-  comm (pid)" and the time) or folded. */
export function formatRow(r: Row, o: StackFormat = {}): string[] {
  return formatStack(r, r.us, o);
}

if (import.meta.main) {
  const { values, positionals, start } = parseToolArgs({
    name: "offcputime",
    description: "Summarize off-CPU time by stack trace",
    options: {
      pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" },
      tid: { type: "string", short: "t", value: "TID", help: "trace this TID only" },
      "user-threads-only": { type: "boolean", short: "u", help: "user threads only (no kernel threads)" },
      "kernel-threads-only": { type: "boolean", short: "k", help: "kernel threads only (no user threads)" },
      "user-stacks-only": { type: "boolean", short: "U", help: "show stacks from user space only (no kernel space stacks)" },
      "kernel-stacks-only": { type: "boolean", short: "K", help: "show stacks from kernel space only (no user space stacks)" },
      delimited: { type: "boolean", short: "d", help: "insert delimiter between kernel/user stacks" },
      folded: { type: "boolean", short: "f", help: "output folded format" },
      pprof: { type: "string", short: "o", value: "FILE", help: "write a pprof profile (gzipped profile.proto, off-CPU nanoseconds) to FILE instead" },
      "stack-storage-size": { type: "string", value: "N", help: "accepted for bcc compatibility (tsbpf sizes its stack map itself)" },
      "min-block-time": { type: "string", short: "m", value: "MIN_BLOCK_TIME", help: "the amount of time in microseconds over which we store traces (default 1)" },
      "max-block-time": { type: "string", short: "M", value: "MAX_BLOCK_TIME", help: "the amount of time in microseconds under which we store traces (default U64_MAX)" },
      state: { type: "string", value: "STATE", help: "filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE) see include/linux/sched.h" },
    },
    positionals: [{ name: "duration", help: "duration of trace, in seconds" }],
    examples: [
      ["", "trace off-CPU stack time until Ctrl-C"], ["5", "trace for 5 seconds only"], ["-f 5", "5 seconds, and output in folded format"], ["-o offcpu.pb.gz 5", "a pprof profile: go tool pprof -top offcpu.pb.gz"],
      ["-m 1000", "trace only events that last more than 1000 usec"], ["-M 10000", "trace only events that last less than 10000 usec"],
      ["-p 185", "only trace threads for PID 185"], ["-t 188", "only trace thread 188"], ["-u", "only trace user threads (no kernel)"],
      ["-k", "only trace kernel threads (no user)"], ["-U", "only show user space stacks (no kernel)"], ["-K", "only show kernel space stacks (no user)"],
    ],
  });
  const threads = [values.pid, values.tid, values["user-threads-only"], values["kernel-threads-only"]].filter(Boolean).length;
  if (threads > 1 || (values["user-stacks-only"] && values["kernel-stacks-only"])) {
    usageError("-p, -t, -u and -k exclude each other, and so do -U and -K");
  }
  requireTracepoints("offcputime", ["sched:sched_switch"], "CONFIG_TRACEPOINTS");
  const tracer = new OffCpuTime();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.targetTid = intOption("-t", values.tid);
  tracer.userThreadsOnly = !!values["user-threads-only"];
  tracer.kernelThreadsOnly = !!values["kernel-threads-only"];
  tracer.minBlockUs = BigInt(intOption("-m", values["min-block-time"], 1));
  if (values["max-block-time"]) tracer.maxBlockUs = BigInt(intOption("-M", values["max-block-time"]));
  if (values.state !== undefined) {
    tracer.filterState = true;
    tracer.state = intOption("--state", values.state);
  }
  const duration = intOption("duration", positionals[0]);
  const o = { folded: values.folded, delimited: values.delimited, userOnly: values["user-stacks-only"], kernelOnly: values["kernel-stacks-only"] };
  await tracer.start(start);
  const started = new Date();
  let written: Promise<void> | undefined;
  if (!values.folded) {
    const who = values.pid ? `PID ${tracer.targetPid}` : values.tid ? `TID ${tracer.targetTid}` : tracer.userThreadsOnly ? "user threads" : tracer.kernelThreadsOnly ? "kernel threads" : "all threads";
    const stacks = o.userOnly ? "user" : o.kernelOnly ? "kernel" : "user + kernel";
    notice(`Tracing off-CPU time (us) of ${who} by ${stacks} stack${duration ? ` for ${duration} secs.` : "... Hit Ctrl-C to end."}`);
  }
  await runTool(tracer, {
    duration,
    report: () => {
      if (values.pprof) {
        // Reads the map now, while the tracer still holds it; gzips and writes after.
        written = writePprof(tracer.offcpu, values.pprof, { sampleType: "off_cpu", start: started, only: o.userOnly ? "user" : o.kernelOnly ? "kernel" : undefined });
        return;
      }
      if (!values.folded) textOnly();
      let missing = 0;
      for (const r of rows(tracer, o)) {
        missing += Number(r.kernelMissed) + Number(r.userMissed);
        if (values.json) console.log(jsonLine({ comm: r.comm, pid: r.pid, tgid: r.tgid, kernel: r.kernel, user: r.user, us: r.us }));
        else printLine(formatRow(r, o));
      }
      if (missing) console.error(`WARNING: ${missing} stack traces lost and could not be displayed.`);
    },
  });
  await written?.catch((e) => {
    // A failed write names the file itself (and why, in words: a full disk is "no space left").
    const said = (e as Error).message;
    console.error(`offcputime.ts: ${said.includes(values.pprof!) ? said : `cannot write ${values.pprof}: ${said}`}`);
    process.exit(1);
  });
}
