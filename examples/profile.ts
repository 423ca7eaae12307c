// profile: CPU profiler: samples of what the CPUs run, by stack, for flame graphs. Samples what every CPU runs, 49 times a second by default, and counts
// the samples by kernel and user stack and process. Like bcc's profile, on a perf cpu-clock
// event (@profile). -f prints folded stacks for flame graphs (flamegraph.pl).
//
//   sudo bun run examples/profile.ts [-p PID | -L TID] [-U | -K] [-F HZ] [-d] [-a] [-I] [-f] [duration]
//   sudo deno run --allow-ffi examples/profile.ts -F 99 -f 10 > out.folded
//   sudo bun run examples/profile.ts -F 99 -o cpu.pb.gz 10 && go tool pprof -top cpu.pb.gz
//
// Stop it with Ctrl-C, or after `duration` seconds.
import { parseArgs } from "node:util";
import process from "node:process";
import { comm, Count, kstack, type KStack, pid, profile, type Str, tid, Tracer, type u32, ustack, type UStack, writePprof } from "tsbpf";
import { COMMON, commandLine, intOption, jsonLine, runTool } from "./_tool.ts";
import { formatStack, functionNames, mergeByStack, missed, type StackFormat, type StackRow } from "./_stacks.ts";

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
export function formatRow(r: Row, o: StackFormat = {}): string {
  return formatStack(r, r.count, o);
}

const USAGE = `usage: profile.ts [-h] [-p PID | -L TID] [-U | -K] [-F FREQUENCY] [-d] [-a] [-I] [-f]
                  [-o FILE] [--stack-storage-size N] [--json] [duration]

Profile CPU stack traces at a timed interval

positional arguments:
  duration              duration of trace, in seconds

options:
  -h, --help            show this help message and exit
  -p, --pid PID         profile process with this PID only
  -L, --tid TID         profile thread with this TID only
  -U, --user-stacks-only
                        show stacks from user space only (no kernel space stacks)
  -K, --kernel-stacks-only
                        show stacks from kernel space only (no user space stacks)
  -F, --frequency FREQUENCY
                        sample frequency, Hertz (default 49)
  -d, --delimited       insert delimiter between kernel/user stacks
  -a, --annotations     add _[k] annotations to kernel frames
  -I, --include-idle    include CPU idle stacks
  -f, --folded          output folded format, one line per stack (for flame graphs)
  -o, --pprof FILE      write a pprof profile (gzipped profile.proto) to FILE instead
  --stack-storage-size N
                        accepted for bcc compatibility (tsbpf sizes its stack map itself)
  --json                one JSON object per stack

examples:
    profile.ts             # profile stack traces at 49 Hertz until Ctrl-C
    profile.ts -F 99       # profile stack traces at 99 Hertz
    profile.ts 5           # profile at 49 Hertz for 5 seconds only
    profile.ts -f 5        # output in folded format for flame graphs
    profile.ts -o cpu.pb.gz 5  # a pprof profile: go tool pprof -top cpu.pb.gz
    profile.ts -p 185      # only profile process with PID 185
    profile.ts -L 185      # only profile thread with TID 185
    profile.ts -U          # only show user space stacks (no kernel)
    profile.ts -K          # only show kernel space stacks (no user)`;

if (import.meta.main) {
  const { values, positionals } = commandLine(USAGE, () => parseArgs({
    options: {
      ...COMMON, pid: { type: "string", short: "p" }, tid: { type: "string", short: "L" }, "user-stacks-only": { type: "boolean", short: "U" },
      "kernel-stacks-only": { type: "boolean", short: "K" }, frequency: { type: "string", short: "F" }, delimited: { type: "boolean", short: "d" },
      annotations: { type: "boolean", short: "a" }, "include-idle": { type: "boolean", short: "I" }, folded: { type: "boolean", short: "f" },
      "stack-storage-size": { type: "string" }, pprof: { type: "string", short: "o" },
    },
    allowPositionals: true,
  }));
  if ((values.pid && values.tid) || (values["user-stacks-only"] && values["kernel-stacks-only"])) {
    console.error(`${USAGE}\nprofile.ts: error: -p and -L exclude each other, and so do -U and -K`);
    process.exit(2);
  }
  const tracer = new Profile();
  tracer.targetPid = intOption("-p", values.pid);
  tracer.targetTid = intOption("-L", values.tid);
  tracer.frequency = intOption("-F", values.frequency, 49);
  if (tracer.frequency === 0) {
    console.error("-F must be a positive integer");
    process.exit(2);
  }
  tracer.includeIdle = !!values["include-idle"];
  const duration = intOption("duration", positionals[0]);
  const o = { folded: values.folded, delimited: values.delimited, userOnly: values["user-stacks-only"], kernelOnly: values["kernel-stacks-only"], annotate: values.annotations };
  await tracer.start();
  const started = new Date();
  let written: Promise<void> | undefined;
  if (!values.folded && !values.json) {
    const who = values.pid ? `PID ${tracer.targetPid}` : values.tid ? `TID ${tracer.targetTid}` : "all threads";
    const stacks = o.userOnly ? "user" : o.kernelOnly ? "kernel" : "user + kernel";
    console.log(`Sampling at ${tracer.frequency} Hertz of ${who} by ${stacks} stack${duration ? ` for ${duration} secs.` : "... Hit Ctrl-C to end."}`);
  }
  await runTool(tracer, {
    duration,
    report: () => {
      if (values.pprof) {
        // Reads the map now, while the tracer still holds it; gzips and writes after.
        written = writePprof(tracer.counts, values.pprof, { frequency: tracer.frequency, start: started, only: o.userOnly ? "user" : o.kernelOnly ? "kernel" : undefined });
        return;
      }
      if (!values.folded && !values.json) console.log();
      let missing = 0;
      for (const r of rows(tracer, o)) {
        missing += Number(r.kernelMissed) + Number(r.userMissed);
        if (values.json) console.log(jsonLine({ comm: r.comm, pid: r.pid, kernel: r.kernel, user: r.user, count: r.count }));
        else console.log(formatRow(r, o));
      }
      if (missing) console.error(`WARNING: ${missing} stack traces could not be displayed.`);
    },
  });
  await written?.catch((e) => {
    console.error(`profile.ts: cannot write ${values.pprof}: ${(e as Error).message}`);
    process.exit(1);
  });
}
