// opensnoop: one line per openat() on the machine: who opened which file, with which flags.
// Like bcc's opensnoop (entry side: the file name as the process passed it).
//
//   sudo bun run examples/opensnoop.ts
//   sudo deno run --allow-ffi examples/opensnoop.ts
//
// Stop it with Ctrl-C.
import { comm, pid, RingBuf, str, Tracer, tracepoint, type i32, type Str, type TracepointArgs, type u32 } from "tsbpf";

interface Open {
  pid: u32;
  comm: Str<16>;
  flags: i32;
  filename: Str<256>;
}

export class OpenSnoop extends Tracer {
  events = new RingBuf<Open>(256 * 1024);

  @tracepoint("syscalls:sys_enter_openat")
  onOpen(args: TracepointArgs) {
    this.events.submit({ pid: pid(), comm: comm(), flags: args.flags, filename: str(args.filename) });
  }
}

/** open(2) flags as the C names, for people who read strace. */
export function formatFlags(flags: number): string {
  const access = ["O_RDONLY", "O_WRONLY", "O_RDWR"][flags & 3] ?? "O_ACCMODE";
  const names: [number, string][] = [
    [0o100, "O_CREAT"], [0o200, "O_EXCL"], [0o1000, "O_TRUNC"], [0o2000, "O_APPEND"], [0o4000, "O_NONBLOCK"],
    [0o200000, "O_DIRECTORY"], [0o400000, "O_NOFOLLOW"], [0o2000000, "O_CLOEXEC"],
  ];
  return [access, ...names.filter(([bit]) => flags & bit).map(([, n]) => n)].join("|");
}

if (import.meta.main) {
  const tracer = await new OpenSnoop().start();
  console.log(`${"PID".padStart(7)} ${"COMM".padEnd(16)} ${"FLAGS".padEnd(28)} PATH`);
  for await (const e of tracer.events) {
    console.log(`${String(e.pid).padStart(7)} ${e.comm.padEnd(16)} ${formatFlags(e.flags).padEnd(28)} ${e.filename}`);
  }
}
