// In-kernel aggregation: every getppid() of the generator counts one more for its pid, in a
// per-CPU hash map (tsbpf's Count, like bpftrace's @[pid] = count()). Nothing is streamed: the
// job measures what the count costs the traced process. Same protocol as stream.ts: the harness
// replaces 4294967295 with the generator's pid, waits for "READY", lets the generator run, then
// closes our stdin; we print "count=N" read from the map.
import process from "node:process";
import { Count, pid, Tracer, tracepoint, type u32 } from "tsbpf";

class Counter extends Tracer {
  calls = new Count<u32>();

  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() {
    if (pid() !== 4294967295) return;
    this.calls.add(pid());
  }
}

const t = await new Counter().start();
console.log("READY");
await new Promise<void>((resolve) => {
  process.stdin.on("end", resolve);
  process.stdin.resume();
});
const count = t.calls.get(4294967295) ?? 0n;
t.calls.clear(); // printed by the harness, not by the tracer's end-of-run map dump
await t.stop();
console.log(`count=${count}`);
