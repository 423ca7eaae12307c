// bashreadline: every command line typed into an interactive bash, system-wide, with the pid of
// the shell. Like bcc's bashreadline: a uretprobe on bash's readline(), whose return value is
// the line just entered (a string in the shell's memory). Shows @uretprobe and str() on a user
// pointer. Only shells started from /bin/bash (with readline built in, as Debian's is) are seen.
//
//   sudo bun run examples/bashreadline.ts [-p PID]
//   sudo deno run --allow-ffi examples/bashreadline.ts
import { parseArgs } from "node:util";
import { pid, RingBuf, str, Tracer, type Str, type u32, type u64, uretprobe } from "tsbpf";

interface Line {
  pid: u32;
  line: Str<80>;
}

export class BashReadline extends Tracer {
  events = new RingBuf<Line>();
  /** Only this shell (0: every bash). */
  targetPid: u32 = 0;

  @uretprobe("/bin/bash:readline")
  onReadline(line: u64) {
    // readline() returns NULL at end of input (Ctrl-D).
    if ((line as u64) === 0n) return;
    if (this.targetPid !== 0 && pid() !== this.targetPid) return;
    this.events.submit({ pid: pid(), line: str(line) });
  }
}

/** HH:MM:SS, local time, as bcc prints it. */
export function clock(d = new Date()): string {
  return d.toTimeString().slice(0, 8);
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { pid: { type: "string", short: "p" } } });
  const tracer = new BashReadline();
  tracer.targetPid = Number(values.pid ?? 0);
  await tracer.start();
  // bcc's columns and widths ("%-9s %-7d %s").
  console.log(`${"TIME".padEnd(9)} ${"PID".padEnd(7)} COMMAND`);
  for await (const e of tracer.events) {
    console.log(`${clock().padEnd(9)} ${String(e.pid).padEnd(7)} ${e.line}`);
  }
}
