// Streaming: every getppid() of the generator becomes a {pid, u64 counter, comm[16]} event,
// delivered to a JS callback. The counter is ktime() (tsbpf has no counter map yet; the
// reference tools use the kernel clock too, so every tool does the same work per event).
// The harness replaces 4294967295 with the generator's pid, waits for "READY", lets the
// generator run, then closes our stdin; we print "received=N lost=M" (M from t.lost()).
import process from "node:process";
import { comm, ktime, pid, RingBuf, Tracer, tracepoint, type Str, type u32, type u64 } from "tsbpf";

interface Event {
  pid: u32;
  counter: u64;
  comm: Str<16>;
}

class Stream extends Tracer {
  events = new RingBuf<Event>();

  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() {
    if (pid() !== 4294967295) return;
    this.events.submit({ pid: pid(), counter: ktime(), comm: comm() });
  }
}

const t = await new Stream().start({ reportLoss: false });
let received = 0;
let last = 0n;
t.events.on((e) => {
  received++;
  last = e.counter; // touch the decoded event, as real user code would
});
// Listen for the end of stdin before READY: setting it up loads Deno's Node streams (tens of
// ms on a busy machine), and the generator starts at READY, so events would pile up meanwhile.
const stdinEnded = new Promise<void>((resolve) => {
  process.stdin.on("end", resolve);
  process.stdin.resume();
});
console.log("READY");
await stdinEnded;
// Read the loss counters while the maps still exist; stop() then delivers what is left.
let lost = 0n;
for (const n of t.lost().values()) lost += n;
await t.stop();
console.log(`received=${received} lost=${lost} last=${last}`);
