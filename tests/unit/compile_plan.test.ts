// `tsbpf plan` from compiled specs, without a kernel: the probes, maps and helpers of a tracer
// compiled against the fake target, and the warning for a helper that changes the system.
// (tests/kernel/plan.test.ts plans every example against the real kernel.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "../../compiler/mod.ts";
import { describePlan } from "../../compiler/plan.ts";
import { fakeTarget } from "./fake_target.ts";

test("plan lists a tracer's probes, maps and helpers, and what it reads", () => {
  const source = `import { HashMap, RingBuf, Tracer, rawTracepoint, tracepoint, pid, comm, str, type u32, type u64, type Str } from "tsbpf";
interface E { pid: u32; name: Str<16>; file: Str<64> }
class Opens extends Tracer {
  events = new RingBuf<E>(4096);
  counts = new HashMap<u32, u64>();
  @tracepoint("syscalls:sys_enter_openat")
  onOpen(args: any) { this.events.submit({ pid: pid(), name: comm(), file: str(args.filename) }); }
  @rawTracepoint("sys_enter")
  onSyscall(args: any) { this.counts.add(pid(), 1); }
}
`;
  const specs = compile(source, "/x/opens.ts", fakeTarget());
  const report = describePlan(specs, { cpus: 2 });
  assert.match(report, /^Opens \(\/x\/opens\.ts\)$/m);
  assert.match(report, /^    tracepoint syscalls:sys_enter_openat  →  onOpen\(\) at line 7: \d+ instructions, \d+ bytes of stack$/m);
  assert.match(report, /^    rawTracepoint sys_enter  →  onSyscall\(\) at line 9: /m);
  assert.match(report, /^    events +ring buffer: 4\.0 KiB, events of E; /m);
  assert.match(report, /^    counts +hash map: 10240 entries, key u32, value u64; /m);
  assert.match(report, /^    get_current_comm +in onOpen$/m);
  assert.match(report, /^    probe_read_user_str +in onOpen$/m);
  assert.match(report, /^    map_update_elem +in onSyscall$/m);
  assert.match(report, /^    ringbuf_submit +in onOpen$/m);
  assert.match(report, /^  reads: memory through probe_read_user_str$/m);
  assert.match(report, /warnings: none in the kernel/);
});

test("plan warns about a helper that changes the system", () => {
  // Handlers cannot call such helpers yet, so check the report on a spec that does.
  const call = (id: number) => [0x85, 0, 0, 0, id, 0, 0, 0];
  const insns = btoa(String.fromCharCode(...call(109), 0x95, 0, 0, 0, 0, 0, 0, 0));
  const report = describePlan([{ className: "K", file: "k.ts", maps: [], programs: [{ name: "h", probe: { kind: "tracepoint", target: "a:b" }, progType: 5, insns, relocs: [], lines: [], stackSize: 0, line: 1, column: 1 }] }], { cpus: 2 });
  assert.match(report, /WARNINGS:\n    bpf_send_signal sends signals to processes/);
});

test("plan gives a map's size as the script does: a const is evaluated, anything else is said to be decided at run time", () => {
  const source = `import { HashMap, RingBuf, Tracer, tracepoint, pid, type u32, type u64 } from "tsbpf";
import process from "node:process";
interface E { pid: u32 }
const MIB = 1 << 20;
const EVENTS = 8 * MIB;
const ENTRIES = 4096 as number;
const fromEnv = Number(process.env.SIZE ?? 4096);
class Sized extends Tracer {
  big = new RingBuf<E>(EVENTS);
  computed = new RingBuf<E>(fromEnv);
  byPid = new HashMap<u32, u64>(ENTRIES * 2);
  byEnv = new HashMap<u32, u64>(fromEnv);
  plain = new HashMap<u32, u64>();
  @tracepoint("syscalls:sys_enter_openat")
  onOpen() { this.big.submit({ pid: pid() }); this.computed.submit({ pid: pid() }); this.byPid.add(pid(), 1); this.byEnv.add(pid(), 1); this.plain.add(pid(), 1); }
}
function sized(EVENTS: number) {
  class Inner extends Tracer {
    // A parameter, though named like a top-level const: decided at run time.
    events = new RingBuf<E>(EVENTS);
    @tracepoint("syscalls:sys_enter_openat")
    onOpen() { this.events.submit({ pid: pid() }); }
  }
  return Inner;
}
`;
  const specs = compile(source, "/x/sized.ts", fakeTarget());
  const report = describePlan(specs, { cpus: 2 });
  assert.match(report, /^    big +ring buffer: 8\.0 MiB, events of E; up to 8\.0 MiB$/m);
  assert.match(report, /^    computed +ring buffer: size decided at run time \(the script computes it\), events of E$/m);
  assert.match(report, /^    byPid +hash map: 8192 entries, key u32, value u64; /m);
  assert.match(report, /^    byEnv +hash map: size decided at run time \(the script computes it\), key u32, value u64$/m);
  assert.match(report, /^    plain +hash map: 10240 entries, /m);
  assert.match(report, /^    \(at least [\d.]+ MiB of kernel memory in all with 2 CPUs, plus the maps sized at run time\)$/m);
  const inner = report.slice(report.indexOf("Inner ("));
  assert.match(inner, /^    events +ring buffer: size decided at run time \(the script computes it\), events of E$/m);
  assert.doesNotMatch(report, /256\.0 KiB/, "no map of this script is 256 KiB");
});

test("plan: an aggregation without a key has one entry (it was 10240, 360 KiB with 2 CPUs); keyed ones keep theirs", () => {
  const source = `import { Count, Histogram, Max, Sum, Tracer, tracepoint, pid, type u32 } from "tsbpf";
class Totals extends Tracer {
  calls = new Count();
  bytes = new Sum(5000);
  biggest = new Max();
  byPid = new Count<u32>();
  sizes = new Histogram();
  @tracepoint("syscalls:sys_enter_openat")
  h(args: any) { this.calls.add(); this.bytes.add(3); this.biggest.add(pid()); this.byPid.add(pid()); this.sizes.add(pid()); }
}
`;
  const report = describePlan(compile(source, "/x/totals.ts", fakeTarget()), { cpus: 2 });
  for (const name of ["calls", "bytes", "biggest"]) assert.match(report, new RegExp(`^    ${name} +[a-z -]+: 1 entry(, |;)`, "m"), report);
  assert.match(report, /^    byPid +[a-z -]+: 10240 entries, key u32/m, report);
  assert.match(report, /^    sizes +[a-z -]+: 10240 entries/m, report);
});
