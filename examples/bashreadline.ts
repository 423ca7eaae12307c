// bashreadline: every command line typed into an interactive bash, system-wide, with the pid of
// the shell. Like bcc's bashreadline: a uretprobe on bash's readline(), whose return value is
// the line just entered (a string in the shell's memory). Shows @uretprobe and str() on a user
// pointer. Only shells started from /bin/bash (with readline built in, as Debian's is) are seen.
//
//   sudo bun run examples/bashreadline.ts [-p PID] [--json]
//   sudo deno run --allow-ffi examples/bashreadline.ts
import { pid, RingBuf, str, Tracer, type Str, type u32, type u64, uretprobe } from "tsbpf";
import { emit, hms, intOption, parseToolArgs, textOnly } from "tsbpf/tool";

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

if (import.meta.main) {
  const { values, start } = parseToolArgs({
    name: "bashreadline",
    description: "Print entered bash commands from all running shells",
    options: { pid: { type: "string", short: "p", value: "PID", help: "only this shell" } },
    examples: [["", "print every command line entered in a bash"], ["-p 181", "only the shell with PID 181"]],
  });
  const tracer = new BashReadline();
  tracer.targetPid = intOption("-p", values.pid);
  await tracer.start(start);
  // bcc's columns and widths ("%-9s %-7d %s").
  textOnly(`${"TIME".padEnd(9)} ${"PID".padEnd(7)} COMMAND`);
  for await (const e of tracer.events) {
    const time = hms();
    emit({ time, pid: e.pid, command: e.line }, () => `${time.padEnd(9)} ${String(e.pid).padEnd(7)} ${e.line}`);
  }
}
