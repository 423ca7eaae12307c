// writeback: one line per writeback of dirty pages to a device (what the kernel's flusher
// threads do), with the reason and how long it took. Like bpftrace's writeback.bt, on the
// writeback:writeback_start and writeback:writeback_written tracepoints.
//
//   sudo bun run examples/writeback.ts [--json]
//   sudo deno run --allow-ffi examples/writeback.ts
//
// Stop it with Ctrl-C.
import { HashMap, ktime, RingBuf, str, type Str, Tracer, tracepoint, type TracepointArgs, type i64, type u32, type u64 } from "tsbpf";
import { hms, jsonLine, notice, parseToolArgs, printLine, requireTracepoints, textOnly } from "tsbpf/tool";

export interface Writeback {
  /** Microseconds since writeback_start on the same device (0: not seen starting). */
  latencyUs: u64;
  pages: i64;
  dev: u32;
  reason: u32;
  /** The backing device's name (its major:minor). */
  name: Str<32>;
}

export class WritebackTracer extends Tracer {
  /** Device → when its writeback started. */
  started = new HashMap<u32, u64>();
  events = new RingBuf<Writeback>(256 * 1024);

  @tracepoint("writeback:writeback_start")
  onStart(args: TracepointArgs) {
    this.started.set(args.sb_dev, ktime());
  }

  @tracepoint("writeback:writeback_written")
  onWritten(args: TracepointArgs) {
    const t = this.started.get(args.sb_dev)!;
    this.started.delete(args.sb_dev);
    this.events.submit({ latencyUs: t === 0n ? 0n : (ktime() - t) / 1000n, pages: args.nr_pages, dev: args.sb_dev, reason: args.reason, name: str(args.name) });
  }
}

/** enum wb_reason, as the tracepoints' format lists it. */
const REASONS = ["background", "vmscan", "sync", "periodic", "laptop_timer", "fs_free_space", "forker_thread", "foreign_flush"];
export const reasonName = (r: number) => REASONS[r] ?? String(r);

type Event = Omit<Writeback, "name"> & { name: string };

/** bpftrace's line: time, device, pages (the low 16 bits, as writeback.bt prints them), reason, ms with 3 decimals. */
export function formatWriteback(e: Event, time = hms()): string {
  const ms = `${e.latencyUs / 1000n}.${String(e.latencyUs % 1000n).padStart(3, "0")}`;
  return `${time}  ${e.name.padEnd(8)} ${String(e.pages & 0xffffn).padEnd(8)} ${reasonName(e.reason).padEnd(16)} ${ms}`;
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "writeback",
    description: "Trace writeback of dirty pages: device, pages, reason and duration",
    examples: [["", "print every writeback"]],
  });
  requireTracepoints("writeback", ["writeback:writeback_start", "writeback:writeback_written"], "CONFIG_TRACEPOINTS and a kernel with the writeback events");
  const tracer = await new WritebackTracer().start(start);
  notice("Tracing writeback... Hit Ctrl-C to end.");
  textOnly(`${"TIME".padEnd(9)} ${"DEVICE".padEnd(8)} ${"PAGES".padEnd(8)} ${"REASON".padEnd(16)} ms`);
  for await (const e of tracer.events) {
    if (values.json) {
      console.log(jsonLine({ time: hms(), device: e.name, pages: e.pages, reason: reasonName(e.reason), ms: Number(e.latencyUs) / 1000 }));
    } else printLine(formatWriteback(e));
  }
}
