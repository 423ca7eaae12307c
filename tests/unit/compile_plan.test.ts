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
