// Launch → first event, 5 probes + 2 ring buffers: only getppid fires (the generator calls
// nothing else); the other four measure what loading and attaching more probes costs. As in
// launch1.ts, the harness replaces 4294967295 with the generator's pid.
import { pid, RingBuf, Tracer, tracepoint, type u32 } from "tsbpf";

interface Call {
  pid: u32;
  nr: u32;
}

class Launch5 extends Tracer {
  calls = new RingBuf<Call>();
  ids = new RingBuf<Call>();

  @tracepoint("syscalls:sys_enter_getppid")
  onGetppid() {
    if (pid() !== 4294967295) return;
    this.calls.submit({ pid: pid(), nr: 110 });
  }

  @tracepoint("syscalls:sys_enter_getpid")
  onGetpid() {
    if (pid() !== 4294967295) return;
    this.ids.submit({ pid: pid(), nr: 39 });
  }

  @tracepoint("syscalls:sys_enter_gettid")
  onGettid() {
    if (pid() !== 4294967295) return;
    this.ids.submit({ pid: pid(), nr: 186 });
  }

  @tracepoint("syscalls:sys_enter_getuid")
  onGetuid() {
    if (pid() !== 4294967295) return;
    this.ids.submit({ pid: pid(), nr: 102 });
  }

  @tracepoint("syscalls:sys_enter_getgid")
  onGetgid() {
    if (pid() !== 4294967295) return;
    this.ids.submit({ pid: pid(), nr: 104 });
  }
}

const t = await new Launch5().start();
let printed = false;
const first = (e: Call) => {
  if (printed) return;
  printed = true;
  console.log(`E ${e.pid}`);
};
t.calls.on(first);
t.ids.on(first);
