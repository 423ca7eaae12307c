// pagefaultcount: minor and major page faults per process, as a table on Ctrl-C or after -d
// seconds. Counted in the kernel from the software perf events "minor-faults" and
// "major-faults" on every CPU (the seeds' pagefaultcount, which bcc wrote with
// attach_perf_event). Shows @perfEvent and Count keyed by a tuple.
//
//   sudo bun run examples/pagefaultcount.ts [-d SECONDS] [-T TOP]
//   sudo deno run --allow-ffi examples/pagefaultcount.ts -d 5
import { parseArgs } from "node:util";
import { comm, Count, perfEvent, pid, type Str, Tracer, type u32 } from "tsbpf";

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

  override end(): void {
    console.log(this.table(this.top));
  }

  /** Processes by minor faults, most first, with their major faults. */
  table(top: number): string {
    const rows = new Map<string, { pid: number; comm: string; minor: bigint; major: bigint }>();
    const row = (p: number, c: string) => {
      const key = `${p}\0${c}`;
      if (!rows.has(key)) rows.set(key, { pid: p, comm: c, minor: 0n, major: 0n });
      return rows.get(key)!;
    };
    for (const [[p, c], n] of this.minorFaults.entries()) row(p, c).minor += n;
    for (const [[p, c], n] of this.majorFaults.entries()) row(p, c).major += n;
    const sorted = [...rows.values()].sort((a, b) => (b.minor > a.minor ? 1 : b.minor < a.minor ? -1 : Number(b.major - a.major)));
    const header = `${"PID".padEnd(8)} ${"NAME".padEnd(16)} ${"MIN_FLT".padStart(10)} ${"MAJ_FLT".padStart(10)}`;
    return [header, ...sorted.slice(0, top).map((r) => `${String(r.pid).padEnd(8)} ${r.comm.padEnd(16)} ${String(r.minor).padStart(10)} ${String(r.major).padStart(10)}`)].join("\n");
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { duration: { type: "string", short: "d" }, top: { type: "string", short: "T", default: "20" } } });
  const tracer = new PageFaultCount();
  tracer.top = Number(values.top);
  await tracer.start();
  console.log(`Counting page faults${values.duration ? ` for ${values.duration} s` : ""}... Ctrl-C to end.`);
  const timer = values.duration ? setTimeout(() => tracer.stop(), Number(values.duration) * 1000) : undefined;
  await tracer.stopped;
  clearTimeout(timer);
}
