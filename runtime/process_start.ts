// Which process has a pid now: its pid and start time, which together name one process for
// good (a pid alone is the next process's once the first is gone). Kept apart from
// process_files.ts so the command's check of -p loads no more than this.
import { readTextFile } from "./files.ts";

/** One process: its pid, and when it started (field 22 of /proc/PID/stat, in clock ticks since boot). */
export interface ProcessRef {
  readonly pid: number;
  readonly start: string;
}

/** The process that has pid `pid` now, or undefined if none has. */
export function processNow(pid: number): ProcessRef | undefined {
  const start = startIn(procText(pid, "stat"));
  return start === undefined ? undefined : { pid, start };
}

/** Field 22 of a /proc/PID/stat text; the command (field 2) is in parentheses and may hold anything, spaces and ")" too. */
export function startIn(stat: string | undefined): string | undefined {
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3];
}

/** The process (thread group) that thread `tid` belongs to: `tid` itself for a process's main thread; undefined if there is no such thread. */
export function threadGroupOf(tid: number): number | undefined {
  const tgid = /^Tgid:\s*(\d+)$/m.exec(procText(tid, "status") ?? "")?.[1];
  return tgid === undefined ? undefined : Number(tgid);
}

/** /proc/PID/NAME, or undefined when there is no such process (any more). */
function procText(pid: number, name: string): string | undefined {
  try {
    return readTextFile(`/proc/${pid}/${name}`);
  } catch {
    return undefined;
  }
}
