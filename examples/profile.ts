// profile: CPU profiler: samples of what the CPUs run, by stack, for flame graphs. Samples what every CPU runs, 49 times a second by default, and counts
// the samples by kernel and user stack and process. Like bcc's profile, on a perf cpu-clock
// event (@profile). -f prints folded stacks for flame graphs (flamegraph.pl).
//
//   sudo bun run examples/profile.ts [-p PID | -L TID] [-U | -K] [-F HZ] [-d] [-a] [-I] [-f] [duration]
//   sudo deno run --allow-ffi examples/profile.ts -F 99 -f 10 > out.folded
//   sudo bun run examples/profile.ts -F 99 -o cpu.pb.gz 10 && go tool pprof -top cpu.pb.gz
//
// Stop it with Ctrl-C, or after `duration` seconds.
import process from "node:process";
import { comm, Count, kstack, type KStack, pid, profile, type Str, tid, Tracer, type u32, ustack, type UStack, writePprof } from "tsbpf";
import { formatStack, functionNames, intOption, jsonLine, mergeByStack, missed, notice, parseToolArgs, printLine, runTool, type StackFormat, type StackRow, textOnly, usageError } from "tsbpf/tool";

export interface SampleKey {
  pid: u32;
  comm: Str<16>;
  kernel: KStack;
  user: UStack;
}

export class Profile extends Tracer {
  /** Samples per process, command and stacks. */
  counts = new Count<SampleKey>();
  /** Samples per second on each CPU. */
  frequency = 49;
  /** Only this process / this thread (0: any). */
  targetPid: u32 = 0;
  targetTid: u32 = 0;
  /** Count the idle task too (-I). */
  includeIdle = false;

  @profile((t: Profile) => t.frequency)
  onSample() {
    const thread = tid();
    if (thread === 0 && !this.includeIdle) return;
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    if (this.targetTid !== 0 && thread !== this.targetTid) return;
    this.counts.add({ pid: pid(), comm: comm(), kernel: kstack(), user: ustack() });
  }
}

export interface Row extends StackRow {
  count: bigint;
}

/** The counts by stack, smallest first (bcc's order), merged where only the shown stacks count; -a marks kernel frames. */
export function rows(t: Profile, o: { userOnly?: boolean; kernelOnly?: boolean; annotate?: boolean } = {}): Row[] {
  return mergeByStack(t.counts.entries().map(([k, count]): Row => ({
    comm: k.comm, pid: k.pid, count,
    kernel: o.userOnly || missed(k.kernel) ? undefined : functionNames(k.kernel.frames()).map((f) => (o.annotate ? `${f}_[k]` : f)),
    user: o.kernelOnly || missed(k.user) ? undefined : functionNames(k.user.frames()),
    kernelMissed: !o.userOnly && missed(k.kernel), userMissed: !o.kernelOnly && missed(k.user),
  })), "count");
}

/** One row as bcc prints it: multi-line or folded. */
export function formatRow(r: Row, o: StackFormat = {}): string[] {
  return formatStack(r, r.count, o);
}

if (import.meta.main) {
  const { values, positionals, start } = parseToolArgs({
    name: "profile",
    description: "Profile CPU stack traces at a timed interval",
    options: {
      pid: { type: "string", short: "p", value: "PID", help: "profile process with this PID only" },
      tid: { type: "string", short: "L", value: "TID", help: "profile thread with this TID only" },
      "user-stacks-only": { type: "boolean", short: "U", help: "show stacks from user space only (no kernel space stacks)" },
      "kernel-stacks-only": { type: "boolean", short: "K", help: "show stacks from kernel space only (no user space stacks)" },
      frequency: { type: "string", short: "F", value: "FREQUENCY", help: "sample frequency, Hertz (default 49)" },
      delimited: { type: "boolean", short: "d", help: "insert delimiter between kernel/user stacks" },
      annotations: { type: "boolean", short: "a", help: "add _[k] annotations to kernel frames" },
      "include-idle": { type: "boolean", short: "I", help: "include CPU idle stacks" },
      folded: { type: "boolean", short: "f", help: "output folded format, one line per stack (for flame graphs)" },
      pprof: { type: "string", short: "o", value: "FILE", help: "write a pprof profile (gzipped profile.proto) to FILE instead" },
      "stack-storage-size": { type: "string", value: "N", help: "accepted for bcc compatibility (tsbpf sizes its stack map itself)" },
    },
    positionals: [{ name: "duration", help: "duration of trace, in seconds" }],
    examples: [
      ["", "profile stack traces at 49 Hertz until Ctrl-C"], ["-F 99", "profile stack traces at 99 Hertz"], ["5", "profile at 49 Hertz for 5 seconds only"],
      ["-f 5", "output in folded format for flame graphs"], ["-o cpu.pb.gz 5", "a pprof profile: go tool pprof -top cpu.pb.gz"], ["-p 185", "only profile process with PID 185"], ["-L 185", "only profile thread with TID 185"],
      ["-U", "only show user space stacks (no kernel)"], ["-K", "only show kernel space stacks (no user)"],
    ],
  });
  if ((values.pid && values.tid) || (values["user-stacks-only"] && values["kernel-stacks-only"])) {
    usageError("-p and -L exclude each other, and so do -U and -K");
  }
  const tracer = new Profile();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.targetTid = intOption("-L", values.tid);
  tracer.frequency = intOption("-F", values.frequency, 49);
  if (tracer.frequency === 0) usageError("-F must be a positive integer");
  tracer.includeIdle = !!values["include-idle"];
  const duration = intOption("duration", positionals[0]);
  const o = { folded: values.folded, delimited: values.delimited, userOnly: values["user-stacks-only"], kernelOnly: values["kernel-stacks-only"], annotate: values.annotations };
  await tracer.start(start);
  const started = new Date();
  let written: Promise<void> | undefined;
  if (!values.folded) {
    const who = values.pid ? `PID ${tracer.targetPid}` : values.tid ? `TID ${tracer.targetTid}` : "all threads";
    const stacks = o.userOnly ? "user" : o.kernelOnly ? "kernel" : "user + kernel";
    notice(`Sampling at ${tracer.frequency} Hertz of ${who} by ${stacks} stack${duration ? ` for ${duration} secs.` : "... Hit Ctrl-C to end."}`);
  }
  await runTool(tracer, {
    duration,
    report: () => {
      if (values.pprof) {
        // Reads the map now, while the tracer still holds it; gzips and writes after.
        written = writePprof(tracer.counts, values.pprof, { frequency: tracer.frequency, start: started, only: o.userOnly ? "user" : o.kernelOnly ? "kernel" : undefined });
        return;
      }
      if (!values.folded) textOnly();
      let missing = 0;
      for (const r of rows(tracer, o)) {
        missing += Number(r.kernelMissed) + Number(r.userMissed);
        if (values.json) console.log(jsonLine({ comm: r.comm, pid: r.pid, kernel: r.kernel, user: r.user, count: r.count }));
        else printLine(formatRow(r, o));
      }
      if (missing) console.error(`WARNING: ${missing} stack traces could not be displayed.`);
    },
  });
  await written?.catch((e) => {
    // A failed write names the file itself (and why, in words: a full disk is "no space left").
    const said = (e as Error).message;
    console.error(`profile.ts: ${said.includes(values.pprof!) ? said : `cannot write ${values.pprof}: ${said}`}`);
    process.exit(1);
  });
}
