// biolatency: block device I/O latency as a power-of-two histogram, from issue to completion
// (or from the request's insertion in the OS queue with -Q). Like bcc's biolatency, on the
// block_rq_insert, block_rq_issue and block_rq_complete raw tracepoints: each receives the
// struct request, which keys the start time and gives the disk and the flags through BTF.
//
//   sudo bun run examples/biolatency.ts [-T] [-Q] [-m] [-D | -F] [-e] [-d DISK] [--json] [interval [count]]
//   sudo deno run --allow-ffi examples/biolatency.ts -D 1 5
//
// Stop it with Ctrl-C.
import process from "node:process";
import { HashMap, Histogram, ktime, rawTracepoint, type Str, Stats, str, Tracer, type TracepointArgs, type u32, type u64 } from "tsbpf";
import { diskOption, hms, intOption, jsonLine, notice, parseToolArgs, printLine, printLog2, requireTracepoints, runTool, textOnly } from "tsbpf/tool";

export class BioLatency extends Tracer {
  issued = new HashMap<u64, u64>();
  dist = new Histogram();
  byDisk = new Histogram<Str<32>>();
  byFlags = new Histogram<u32>();
  /** Count and total for -e. */
  summary = new Stats();
  /** Latency in milliseconds instead of microseconds. */
  milliseconds = false;
  /** From insertion in the OS queue, not from issue to the device. */
  queued = false;
  perDisk = false;
  perFlags = false;
  /** Only this disk (major << 20 | minor, 0: every disk). */
  disk: u32 = 0;

  // arg0 is the struct request * (these tracepoints share an event class, so BTF has no names for them).
  @rawTracepoint("block_rq_insert")
  onInsert(args: TracepointArgs) {
    if (!this.queued) return;
    const disk = args.arg0.q.disk;
    if (this.disk !== 0 && ((disk.major << 20) | disk.first_minor) !== this.disk) return;
    this.issued.set(args.arg0 as u64, ktime());
  }

  @rawTracepoint("block_rq_issue")
  onIssue(args: TracepointArgs) {
    if (this.queued && this.issued.has(args.arg0 as u64)) return;
    const disk = args.arg0.q.disk;
    if (this.disk !== 0 && ((disk.major << 20) | disk.first_minor) !== this.disk) return;
    this.issued.set(args.arg0 as u64, ktime());
  }

  @rawTracepoint("block_rq_complete")
  onComplete(args: TracepointArgs) {
    const rq = args.arg0;
    const t = this.issued.get(rq as u64)!;
    if (t === 0n) return; // issued before we started, or another disk
    this.issued.delete(rq as u64);
    const delta = (ktime() - t) / (this.milliseconds ? 1000000n : 1000n);
    if (this.perDisk) this.byDisk.add(str(rq.q.disk.disk_name), delta);
    else if (this.perFlags) this.byFlags.add(rq.cmd_flags, delta);
    else this.dist.add(delta);
    this.summary.add(delta);
  }
}

// Request operations and flags as the kernel numbers them (blk_types.h, REQ_OP_BITS = 8).
const OPS: Record<number, string> = { 0: "Read", 1: "Write", 2: "Flush", 3: "Discard", 5: "SecureErase", 9: "WriteZeroes", 10: "ZoneOpen", 11: "ZoneClose", 12: "ZoneFinish", 13: "ZoneAppend", 15: "ZoneReset", 17: "ZoneResetAll" };
const FLAGS: [number, string][] = [[11, "Sync"], [12, "Metadata"], [17, "ForcedUnitAccess"], [13, "Priority"], [14, "NoMerge"], [15, "Idle"], [19, "ReadAhead"], [20, "Background"], [21, "NoWait"]];

/** bcc's name for a set of request flags: "Sync-Write", "ReadAhead-Read". */
export function flagsName(flags: number): string {
  let desc = OPS[flags & 0xff] ?? "Unknown";
  for (const [bit, name] of FLAGS) if (flags & (1 << bit)) desc = `${name}-${desc}`;
  return desc;
}

/** The histograms as bcc prints them (or as JSON lines), then cleared for the next interval. */
export function report(t: BioLatency, o: { json?: boolean; extension?: boolean; out?: (l: string) => void } = {}): void {
  const unit = t.milliseconds ? "msecs" : "usecs";
  const out = o.out ?? ((l: string) => printLine(l));
  if (t.perDisk) printLog2(t.byDisk, unit, { json: o.json, section: "disk", label: (d) => d || "<unknown>", out });
  else if (t.perFlags) printLog2(t.byFlags, unit, { json: o.json, section: "flags", label: flagsName, out });
  else printLog2(t.dist, unit, { json: o.json, out });
  const s = t.summary.get();
  if (o.extension && s) {
    if (o.json) out(jsonLine({ avg: s.average, total: s.total, count: s.count, unit }));
    else ["", `avg = ${s.average} ${unit}, total: ${s.total} ${unit}, count: ${s.count}`, ""].forEach(out);
  }
  for (const m of [t.dist, t.byDisk, t.byFlags, t.summary]) m.clear();
}

if (import.meta.main) {
  const { values, positionals, start } = parseToolArgs({
    name: "biolatency",
    description: "Summarize block device I/O latency as a histogram",
    options: {
      timestamp: { type: "boolean", short: "T", help: "include timestamp on output" },
      queued: { type: "boolean", short: "Q", help: "include OS queued time in I/O time" },
      milliseconds: { type: "boolean", short: "m", help: "millisecond histogram" },
      disks: { type: "boolean", short: "D", help: "print a histogram per disk device" },
      flags: { type: "boolean", short: "F", help: "print a histogram per set of I/O flags" },
      extension: { type: "boolean", short: "e", help: "summarize average/total value" },
      disk: { type: "string", short: "d", value: "DISK", help: "Trace this disk only" },
      json: { type: "boolean", short: "j", help: "json output: one JSON histogram per line" },
    },
    positionals: [{ name: "interval", help: "output interval, in seconds" }, { name: "count", help: "number of outputs" }],
    examples: [
      ["", "summarize block I/O latency as a histogram"], ["1 10", "print 1 second summaries, 10 times"],
      ["-mT 1", "1s summaries, milliseconds, and timestamps"], ["-Q", "include OS queued time in I/O time"],
      ["-D", "show each disk device separately"], ["-F", "show I/O flags separately"], ["-j", "print a dictionary"],
      ["-e", "show extension summary(total, average)"], ["-d sdc", "Trace sdc only"],
    ],
  });
  if (values.flags && values.disks) {
    printLine("ERROR: can only use -D or -F. Exiting.");
    process.exit();
  }
  requireTracepoints("biolatency", ["block:block_rq_insert", "block:block_rq_issue", "block:block_rq_complete"], "CONFIG_BLOCK");
  const tracer = new BioLatency();
  tracer.milliseconds = !!values.milliseconds;
  tracer.queued = !!values.queued;
  tracer.perDisk = !!values.disks;
  tracer.perFlags = !!values.flags;
  if (values.disk) tracer.disk = diskOption(values.disk);
  const interval = intOption("interval", positionals[0]), count = intOption("count", positionals[1]);
  await tracer.start(start);
  notice("Tracing block device I/O... Hit Ctrl-C to end.");
  await runTool(tracer, {
    interval, count,
    report: () => {
      textOnly();
      if (values.timestamp) textOnly(hms());
      report(tracer, { json: values.json, extension: values.extension });
    },
  });
}
