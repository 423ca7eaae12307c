// Launch → first event, 1 probe: prints the first getppid() of the generator and then stays
// quiet until Ctrl-C. The harness copies this file to bench/out/ with 4294967295 replaced by
// the generator's pid (handlers cannot read JS variables yet, so the pid is a literal).
import { pid, RingBuf, Tracer, tracepoint, type u32 } from "tsbpf";

interface Call {
  pid: u32;
}

class Launch1 extends Tracer {
  events = new RingBuf<Call>();

  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() {
    if (pid() !== 4294967295) return;
    this.events.submit({ pid: pid() });
  }
}

const t = await new Launch1().start();
const off = t.events.on((e) => {
  console.log(`E ${e.pid}`);
  off();
});
