// How the stack tools (offcputime, profile) print what they summed per stack: bcc's multi-line
// form (frames, then "-  comm (pid)" and the value) or folded for flame graphs.
import type { Stack } from "../runtime/maps/stacks.ts";

/** The frames of the tracing itself (the BPF program, the tracepoint's plumbing): not the thread's. */
const TRACING = /^(bpf_prog_|bpf_trace_run|__traceiter_|__bpf_trace_)/;

/** A kernel stack without the frames of the tracing itself, innermost first. */
export function threadFrames(frames: string[]): string[] {
  return frames.slice(Math.max(0, frames.findIndex((f) => !TRACING.test(f))));
}

/**
 * A frame as bcc prints it: the function, without the offset into it ("do_sys_poll", not
 * "do_sys_poll+123"), and "[unknown]" where nothing resolved (the frames come named as bpftrace
 * names them, an unresolved one as its address).
 */
export function functionNames(frames: string[]): string[] {
  return frames.map((f) => (/^0x[0-9a-f]+$/.test(f) ? "[unknown]" : f.replace(/\+(0x[0-9a-f]+|\d+)$/, "")));
}

/** bcc's stack_id_err: a stack that should have been there (-EFAULT means there is none, e.g. a kernel thread's user stack). */
export function missed(s: Stack): boolean {
  return s.failed && s.id !== -14;
}

/** One summed stack: who, and the frames of each side. */
export interface StackRow {
  /** The command. */
  comm: string;
  /** The process (or thread) the tool keys by. */
  pid: number;
  /** Kernel frames, innermost first; undefined when the stack is hidden (-U) or missed. */
  kernel?: string[];
  /** User frames, innermost first; undefined when hidden (-K) or missed. */
  user?: string[];
  /** The kernel stack should have been there and was not (printed as bcc's "[Missed Kernel Stack]"). */
  kernelMissed: boolean;
  /** The same for the user stack. */
  userMissed: boolean;
}

/** bcc's stack output options: -f (folded), -d (delimited), -U (user only), -K (kernel only). */
export interface StackFormat {
  /** -f: one line per stack, frames joined by ";" (flame graphs). */
  folded?: boolean;
  /** -d: "--" (or "-" when folded) between kernel and user frames. */
  delimited?: boolean;
  /** -U: user frames only. */
  userOnly?: boolean;
  /** -K: kernel frames only. */
  kernelOnly?: boolean;
}

/**
 * One row's lines as bcc prints them: frames, then "-  comm (pid)", the value and a blank line;
 * or folded, one line. Lines, not text: a name's line feed must not make a line (printLine).
 */
export function formatStack(r: StackRow, value: bigint, o: StackFormat = {}): string[] {
  const hasKernel = !r.kernelMissed && !o.userOnly, hasUser = !r.userMissed && !o.kernelOnly;
  if (o.folded) {
    const line = [r.comm];
    if (!o.kernelOnly) line.push(...(r.userMissed ? ["[Missed User Stack]"] : [...(r.user ?? [])].reverse()));
    if (!o.userOnly) {
      if (o.delimited && hasKernel && hasUser) line.push("-");
      line.push(...(r.kernelMissed ? ["[Missed Kernel Stack]"] : [...(r.kernel ?? [])].reverse()));
    }
    return [`${line.join(";")} ${value}`];
  }
  const lines: string[] = [];
  if (!o.userOnly) lines.push(...(r.kernelMissed ? ["[Missed Kernel Stack]"] : r.kernel ?? []).map((f) => `    ${f}`));
  if (!o.kernelOnly) {
    if (o.delimited && hasKernel && hasUser) lines.push("    --");
    lines.push(...(r.userMissed ? ["[Missed User Stack]"] : r.user ?? []).map((f) => `    ${f}`));
  }
  lines.push(`    ${"-".padEnd(16)} ${r.comm} (${r.pid})`, `        ${value}`, "");
  return lines;
}

/** Rows that show the same stacks merged, their `value` fields summed; smallest first (bcc's order). */
export function mergeByStack<K extends string, R extends StackRow & Record<K, bigint>>(rows: Iterable<R>, value: K): R[] {
  const merged = new Map<string, R>();
  for (const row of rows) {
    const id = JSON.stringify([row.comm, row.pid, row.kernel, row.user, row.kernelMissed, row.userMissed]);
    const prev = merged.get(id);
    if (prev) (prev as Record<K, bigint>)[value] += row[value];
    else merged.set(id, row);
  }
  return [...merged.values()].sort((a, b) => (a[value] < b[value] ? -1 : a[value] > b[value] ? 1 : 0));
}
