// execsnoop: one line per execve() on the machine, with the time, the process, its parent
// and the program it runs. Like bcc's execsnoop.
//
//   sudo bun run examples/execsnoop.ts
//   sudo deno run --allow-ffi examples/execsnoop.ts
//
// Stop it with Ctrl-C.
import { comm, ktime, pid, ppid, RingBuf, str, Tracer, tracepoint, type Str, type TracepointArgs, type u32, type u64 } from "tsbpf";

interface Exec {
  ts: u64;
  pid: u32;
  ppid: u32;
  comm: Str<16>;
  filename: Str<256>;
}

export class ExecSnoop extends Tracer {
  events = new RingBuf<Exec>(256 * 1024);

  @tracepoint("syscalls:sys_enter_execve")
  onExec(args: TracepointArgs) {
    this.events.submit({ ts: ktime(), pid: pid(), ppid: ppid(), comm: comm(), filename: str(args.filename) });
  }
}

if (import.meta.main) {
  const tracer = await new ExecSnoop().start();
  console.log(`${"TIME(s)".padEnd(12)} ${"PID".padStart(7)} ${"PPID".padStart(7)} ${"COMM".padEnd(16)} FILENAME`);
  let first: bigint | undefined;
  for await (const e of tracer.events) {
    first ??= e.ts;
    const t = (Number(e.ts - first) / 1e9).toFixed(3);
    console.log(`${t.padEnd(12)} ${String(e.pid).padStart(7)} ${String(e.ppid).padStart(7)} ${e.comm.padEnd(16)} ${e.filename}`);
  }
}
