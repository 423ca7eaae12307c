// vfsstat: calls per second of the main VFS functions (vfs_read, vfs_write, vfs_fsync_range,
// vfs_open, vfs_create), one line per interval. Like bcc's vfsstat, on fentry where the kernel
// allows and kprobes otherwise; kernels with neither cannot run it (no tracepoint marks these
// functions: the syscall tracepoints miss reads and writes made inside the kernel).
//
//   sudo bun run examples/vfsstat.ts [-p PID] [--json] [interval [count]]
//   sudo deno run --allow-ffi examples/vfsstat.ts 2 5
//
// Stop it with Ctrl-C.
import { Count, kprobe, pid, Tracer, type u32 } from "tsbpf";
import { hms, intOption, jsonLine, parseToolArgs, requireKernelFunctions, runTool, textOnly } from "tsbpf/tool";

const S_READ = 1, S_WRITE = 2, S_FSYNC = 3, S_OPEN = 4, S_CREATE = 5;
/** Column names, in bcc's order, by stat number. */
export const STATS: [string, number][] = [["READ", S_READ], ["WRITE", S_WRITE], ["FSYNC", S_FSYNC], ["OPEN", S_OPEN], ["CREATE", S_CREATE]];

export class VfsStat extends Tracer {
  stats = new Count<u32>();
  /** Only this process (0: every process). */
  targetPid: u32 = 0;

  count(stat: u32) {
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.stats.add(stat);
  }

  @kprobe("vfs_read")
  onRead() {
    this.count(S_READ);
  }

  @kprobe("vfs_write")
  onWrite() {
    this.count(S_WRITE);
  }

  @kprobe("vfs_fsync_range")
  onFsync() {
    this.count(S_FSYNC);
  }

  @kprobe("vfs_open")
  onOpen() {
    this.count(S_OPEN);
  }

  @kprobe("vfs_create")
  onCreate() {
    this.count(S_CREATE);
  }
}

/** bcc's header: "%-8s  " and a column of " %8s" per stat. */
export const HEADER = `${"TIME".padEnd(8)}  ${STATS.map(([name]) => ` ${`${name}/s`.padStart(8)}`).join("")}`;

/** The calls per second since the last report (bcc divides by the interval), then cleared. */
export function rates(t: VfsStat, interval: number): Map<string, number> {
  const out = new Map(STATS.map(([name, stat]) => [name, Math.floor(Number(t.stats.get(stat) ?? 0n) / interval)]));
  t.stats.clear();
  return out;
}

/** One line as bcc prints it: "HH:MM:SS:" and a column of %8d per stat. */
export function formatRates(r: Map<string, number>, time = hms()): string {
  return `${time.padEnd(8)}: ${[...r.values()].map((v) => ` ${String(v).padStart(8)}`).join("")}`;
}

if (import.meta.main) {
  const { values, positionals, start } = parseToolArgs({
    name: "vfsstat",
    description: "Count some VFS calls.",
    options: { pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" } },
    positionals: [{ name: "interval", help: "output interval, in seconds (default 1)" }, { name: "count", help: "number of outputs" }],
    examples: [["", "count some VFS calls per second"], ["-p 185", "trace PID 185 only"], ["2 5", "print 2 second summaries, 5 times"]],
  });
  requireKernelFunctions("vfsstat", "vfs_read(), vfs_write() and the other VFS functions");
  const interval = intOption("interval", positionals[0], 1) || 1, count = intOption("count", positionals[1]);
  const tracer = new VfsStat();
  tracer.targetPid = intOption("-p", values.pid);
  await tracer.start(start);
  textOnly(HEADER);
  await runTool(tracer, {
    interval, count,
    report: () => {
      const r = rates(tracer, interval);
      console.log(values.json ? jsonLine({ time: hms(), ...Object.fromEntries([...r].map(([k, v]) => [`${k.toLowerCase()}/s`, v])) }) : formatRates(r));
    },
  });
}
