// cdsnoop: every `cd` run by a bash, with the directory it left and the one it entered (the
// seeds' cdsnoop, which bcc built from uretprobes on bash's readline and get_string_value).
//
// Here, uprobes inside bash itself: cd_builtin() brackets the command, and while it runs, bash
// records the move with bind_variable("OLDPWD", <previous>) and bind_variable("PWD", <new>),
// whose arguments are strings in the shell's memory. So the directories are exactly bash's
// own (symlinks as the user went through them), and a failed cd shows its status. The command
// line comes from a uretprobe on readline() (interactive shells; scripts show "cd").
//
//   sudo bun run examples/cdsnoop.ts [--json]
//   sudo deno run --allow-ffi examples/cdsnoop.ts
import { HashMap, pid, RingBuf, str, type Str, tid, Tracer, type u32, type u64, type u8, uprobe, uretprobe } from "tsbpf";
import { emit, hms, parseToolArgs, textOnly } from "tsbpf/tool";

const LINE = 1, VARIABLE = 2, DONE = 3;

interface CdEvent {
  /** The shell's process (and thread) id. */
  pid: u32;
  kind: u8;
  status: u32;
  /** LINE: the line typed; VARIABLE: the variable's name. */
  name: Str<64>;
  /** VARIABLE: its new value. */
  value: Str<256>;
}

export class CdSnoop extends Tracer {
  events = new RingBuf<CdEvent>();
  /** Shells inside cd_builtin right now. */
  inCd = new HashMap<u32, u8>();

  @uretprobe("/bin/bash:readline")
  onLine(line: u64) {
    if ((line as u64) === 0n) return;
    this.events.submit({ pid: pid(), kind: LINE, status: 0, name: str(line), value: "" });
  }

  @uprobe("/bin/bash:cd_builtin")
  onCd() {
    this.inCd.set(tid(), 1);
  }

  @uprobe("/bin/bash:bind_variable")
  onBind(name: u64, value: u64) {
    if (!this.inCd.has(tid())) return;
    this.events.submit({ pid: pid(), kind: VARIABLE, status: 0, name: str(name), value: str(value) });
  }

  @uretprobe("/bin/bash:cd_builtin")
  onCdDone(status: u32) {
    if (!this.inCd.has(tid())) return;
    this.inCd.delete(tid());
    this.events.submit({ pid: pid(), kind: DONE, status: status as u32, name: "", value: "" });
  }
}

export interface Cd {
  pid: number;
  /** The line typed, when the shell is interactive; else "cd". */
  command: string;
  from: string;
  to: string;
  ok: boolean;
}

/** Turns the tracer's events into one record per `cd`, shell by shell. */
export class CdAssembler {
  #shells = new Map<number, { line: string; from: string; to: string }>();

  /** The finished `cd`, when this event ends one. */
  add(e: CdEvent): Cd | undefined {
    const s = this.#shells.get(e.pid) ?? { line: "", from: "", to: "" };
    this.#shells.set(e.pid, s);
    if (e.kind === LINE) s.line = e.name;
    else if (e.kind === VARIABLE && e.name === "OLDPWD") s.from = e.value;
    else if (e.kind === VARIABLE && e.name === "PWD") s.to = e.value;
    else if (e.kind === DONE) {
      const cd = { pid: e.pid, command: /(^|[;&|(\s])cd\b/.test(s.line) ? s.line.trim() : "cd", from: s.from, to: s.to, ok: e.status === 0 };
      s.from = s.to = "";
      return cd;
    }
    return undefined;
  }
}

if (import.meta.main) {
  const { start } = parseToolArgs({
    name: "cdsnoop",
    description: "Trace cd commands run by bash shells: the directory left, the one entered, and the command line",
    examples: [["", "print every cd of every bash"]],
  });
  const tracer = await new CdSnoop().start(start);
  const cds = new CdAssembler();
  textOnly(`${"TIME".padEnd(9)} ${"PID".padStart(7)} ${"PREV_DIR".padEnd(24)} ${"CURR_DIR".padEnd(24)} COMMAND`);
  for await (const e of tracer.events) {
    const cd = cds.add(e);
    if (!cd) continue;
    const time = hms();
    emit({ time, pid: cd.pid, from: cd.from, to: cd.to, ok: cd.ok, command: cd.command }, () => {
      const dirs = cd.ok ? `${cd.from.padEnd(24)} ${cd.to.padEnd(24)}` : `${"-".padEnd(24)} ${"(failed)".padEnd(24)}`;
      return `${time} ${String(cd.pid).padStart(7)} ${dirs} ${cd.command}`;
    });
  }
}
