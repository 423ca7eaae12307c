// bench/stop_many.ts's script (SCRIPT=bench/stop_many_script.ts): every syscall's entry and exit
// in one handler, counted by probe, as bpftrace's tracepoint:syscalls:* { @[probe] = count(); }.
import { Count, probe, type ProbeName, tracepoint, Tracer } from "../mod.ts";

class AllSyscalls extends Tracer {
  calls = new Count<[ProbeName]>();

  @tracepoint("syscalls:*")
  onSyscall() {
    this.calls.add([probe()]);
  }
}

await new AllSyscalls().start();
console.error("Attaching: started");
