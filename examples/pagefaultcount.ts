// pagefaultcount: minor and major page faults per process, as a table on Ctrl-C or after -d
// seconds. Counted in the kernel from the software perf events "minor-faults" and
// "major-faults" on every CPU (the seeds' pagefaultcount, which bcc wrote with
// attach_perf_event). Shows @perfEvent and Count keyed by a tuple.
//
//   sudo bun run examples/pagefaultcount.ts [-d SECONDS] [-T TOP] [--json]
//   sudo deno run --allow-ffi examples/pagefaultcount.ts -d 5
import { comm, Count, perfEvent, pid, type Str, Tracer, type u32 } from "tsbpf";
import { emit, intOption, notice, parseToolArgs, runTool } from "tsbpf/tool";

export class PageFaultCount extends Tracer {
  minorFaults = new Count<[u32, Str<16>]>();
  majorFaults = new Count<[u32, Str<16>]>();
  /** Rows printed (user space only). */
  top = 20;

  // A sample every fault (period 1): exact counts. Faults are frequent but the handler is a
  // map update; a larger period would trade exactness for less overhead.
  @perfEvent({ type: "software", config: "minor-faults", period: 1 })
  onMinorFault() {
    this.minorFaults.add([pid(), comm()]);
  }

  @perfEvent({ type: "software", config: "major-faults", period: 1 })
  onMajorFault() {
    this.majorFaults.add([pid(), comm()]);
  }

  /** The table (or one JSON line: `{"processes": [{pid, comm, minor, major}, ...]}`). */
  override end(): void {
    const rows = this.rows().slice(0, this.top);
    emit({ processes: rows }, () => this.format(rows));
  }

  /** The `top` processes with the most minor faults, as a table. */
  table(top: number): string {
    return this.format(this.rows().slice(0, top)).join("\n");
  }

  /** Processes by minor faults, most first, with their major faults. */
  rows(): { pid: number; comm: string; minor: bigint; major: bigint }[] {
    const rows = new Map<string, { pid: number; comm: string; minor: bigint; major: bigint }>();
    const row = (p: number, c: string) => {
      const key = `${p}\0${c}`;
      if (!rows.has(key)) rows.set(key, { pid: p, comm: c, minor: 0n, major: 0n });
      return rows.get(key)!;
    };
    for (const [[p, c], n] of this.minorFaults.entries()) row(p, c).minor += n;
    for (const [[p, c], n] of this.majorFaults.entries()) row(p, c).major += n;
    return [...rows.values()].sort((a, b) => (b.minor > a.minor ? 1 : b.minor < a.minor ? -1 : Number(b.major - a.major)));
  }

  /** Rows as the table prints them, a line each. */
  format(rows: { pid: number; comm: string; minor: bigint; major: bigint }[]): string[] {
    const header = `${"PID".padEnd(8)} ${"NAME".padEnd(16)} ${"MIN_FLT".padStart(10)} ${"MAJ_FLT".padStart(10)}`;
    return [header, ...rows.map((r) => `${String(r.pid).padEnd(8)} ${r.comm.padEnd(16)} ${String(r.minor).padStart(10)} ${String(r.major).padStart(10)}`)];
  }
}

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "pagefaultcount",
    description: "Count minor and major page faults per process",
    options: {
      duration: { type: "string", short: "d", value: "SECONDS", help: "trace for this many seconds (default: until Ctrl-C)" },
      top: { type: "string", short: "T", value: "TOP", help: "print this many processes, most faults first (default 20)" },
    },
    examples: [["", "count until Ctrl-C"], ["-d 5 -T 10", "count for 5 seconds, print the top 10"]],
  });
  const tracer = new PageFaultCount();
  tracer.top = intOption("-T", values.top, 20);
  const duration = intOption("-d", values.duration);
  await tracer.start(start);
  notice(`Counting page faults${duration ? ` for ${duration} s` : ""}... Ctrl-C to end.`);
  await runTool(tracer, { duration });
}
