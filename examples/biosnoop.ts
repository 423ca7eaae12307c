// biosnoop: one line per block device I/O: the process that asked for it, the disk, read or
// write, sector, size and latency (and the time queued in the OS with -Q). Like bcc's biosnoop,
// on raw tracepoints that receive the struct request: block_io_start (in the context of the
// process submitting it), block_rq_issue (sent to the device) and block_rq_complete.
//
//   sudo bun run examples/biosnoop.ts [-Q] [-d DISK] [-P] [--json]
//   sudo deno run --allow-ffi examples/biosnoop.ts -d sda
//
// Stop it with Ctrl-C.
import { comm, HashMap, ktime, pid, rawTracepoint, RingBuf, type Str, str, Tracer, type TracepointArgs, type u32, type u64, type u8 } from "tsbpf";
import { diskOption, emit, parseToolArgs, requireTracepoints, textOnly } from "tsbpf/tool";

interface Issued {
  ts: u64;
  len: u64;
}

interface Submitter {
  ts: u64;
  pid: u32;
  comm: Str<16>;
}

export interface Bio {
  ts: u64;
  delta: u64;
  qdelta: u64;
  sector: u64;
  len: u64;
  pid: u32;
  write: u8;
  /** 0 unknown, 1 sequential, 2 random (-P). */
  pattern: u8;
  disk: Str<32>;
  comm: Str<16>;
}

export class BioSnoop extends Tracer {
  issued = new HashMap<u64, Issued>();
  submitters = new HashMap<u64, Submitter>();
  /** Per disk, the sector after the last request (-P). */
  lastSector = new HashMap<u32, u64>();
  events = new RingBuf<Bio>(1024 * 1024);
  /** Only this disk (major << 20 | minor, 0: every disk). */
  disk: u32 = 0;
  /** Report each request as sequential or random. */
  pattern = false;

  // arg0 is the struct request * (these tracepoints share an event class, so BTF has no names for them).
  @rawTracepoint("block_io_start")
  onStart(args: TracepointArgs) {
    const disk = args.arg0.q.disk;
    if (this.disk !== 0 && ((disk.major << 20) | disk.first_minor) !== this.disk) return;
    this.submitters.set(args.arg0 as u64, { ts: ktime(), pid: pid(), comm: comm() });
  }

  @rawTracepoint("block_rq_issue")
  onIssue(args: TracepointArgs) {
    const disk = args.arg0.q.disk;
    if (this.disk !== 0 && ((disk.major << 20) | disk.first_minor) !== this.disk) return;
    this.issued.set(args.arg0 as u64, { ts: ktime(), len: args.arg0.__data_len });
  }

  @rawTracepoint("block_rq_complete")
  onComplete(args: TracepointArgs) {
    const rq = args.arg0;
    const key = rq as u64;
    if (!this.issued.has(key)) return; // issued before we started, or another disk
    const issued = this.issued.get(key)!;
    const now = ktime();
    const disk = rq.q.disk;
    const dev = ((disk.major << 20) | disk.first_minor) as u32;
    let pattern: u8 = 0;
    if (this.pattern) {
      if (this.lastSector.has(dev)) pattern = this.lastSector.get(dev) === rq.__sector ? 1 : 2;
      this.lastSector.set(dev, rq.__sector + issued.len / 512n);
    }
    const known = this.submitters.has(key);
    const who = this.submitters.get(key)!;
    this.events.submit({
      ts: now, delta: now - issued.ts, qdelta: known && who.ts !== 0n ? issued.ts - who.ts : 0n, sector: rq.__sector, len: issued.len,
      pid: who.pid, write: (rq.cmd_flags & 0xff) === 1 ? 1 : 0, pattern, disk: str(disk.disk_name), comm: who.comm,
    });
    this.issued.delete(key);
    this.submitters.delete(key);
  }
}

type Event = Omit<Bio, "disk" | "comm"> & { disk: string; comm: string };

/** bcc's columns for one request; `first` is the first event's time. */
export function formatBio(e: Event, first: bigint, o: { queue?: boolean; pattern?: boolean } = {}): string {
  const t = (Number(e.ts - first) / 1e9).toFixed(6);
  let line = `${t.padEnd(11)} ${(e.comm || "?").slice(0, 14).padEnd(14)} ${String(e.pid).padEnd(7)} ${(e.disk || "<unknown>").padEnd(9)} ${e.write ? "W" : "R"} ${String(e.sector).padEnd(10)} ${String(e.len).padEnd(7)} `;
  if (o.pattern) line += `${["?", "S", "R"][e.pattern]} `;
  if (o.queue) line += `${(Number(e.qdelta) / 1e6).toFixed(2).padStart(7)} `;
  return line + (Number(e.delta) / 1e6).toFixed(2).padStart(7);
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "biosnoop",
    description: "Trace block I/O",
    options: {
      queue: { type: "boolean", short: "Q", help: "include OS queued time" },
      disk: { type: "string", short: "d", value: "DISK", help: "trace this disk only" },
      pattern: { type: "boolean", short: "P", help: "display block I/O pattern (sequential or random)" },
    },
    examples: [["", "trace all block I/O"], ["-Q", "include OS queued time"], ["-d sdc", "trace sdc only"], ["-P", "display block I/O pattern"]],
  });
  requireTracepoints("biosnoop", ["block:block_io_start", "block:block_rq_issue", "block:block_rq_complete"], "CONFIG_BLOCK; block_io_start is in Linux 6.5 and later");
  const tracer = new BioSnoop();
  tracer.pattern = !!values.pattern;
  if (values.disk) tracer.disk = diskOption(values.disk);
  await tracer.start(start);
  textOnly(`${"TIME(s)".padEnd(11)} ${"COMM".padEnd(14)} ${"PID".padEnd(7)} ${"DISK".padEnd(9)} T ${"SECTOR".padEnd(10)} ${"BYTES".padEnd(7)} ` +
    `${values.pattern ? "P " : ""}${values.queue ? "QUE(ms) " : ""}${"LAT(ms)".padStart(7)}`);
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    const since = (first ??= e.ts);
    emit({
      time: Number(e.ts - since) / 1e9, comm: e.comm || "?", pid: e.pid, disk: e.disk, type: e.write ? "W" : "R", sector: e.sector, bytes: e.len,
      ...(values.pattern && { pattern: ["?", "S", "R"][e.pattern] }), ...(values.queue && { queue_ms: Number(e.qdelta) / 1e6 }),
      latency_ms: Number(e.delta) / 1e6,
    }, () => formatBio(e, since, values));
  }
}
