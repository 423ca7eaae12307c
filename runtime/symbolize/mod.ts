/**
 * Symbolization of stack addresses captured by `kstack()`/`ustack()`: kernel addresses through
 * /proc/kallsyms, user addresses through /proc/PID/maps and the ELF files mapped there (plus
 * perf-PID.map files for JIT code), printed as bpftrace prints stacks or folded for flame graphs.
 *
 * @example
 * ```ts
 * await libc();
 * const frames = symbolizeStack("user", pid, addresses);
 * console.log(`@[${stackText(frames)}]: ${count}`);
 * setSymbolizer(bpftraceFrameNames);   // runtime/maps/stacks.ts: Stack.frames() names frames this way
 * ```
 */
import { type Frame } from "./frame.ts";
import { kernelSymbols } from "./kernel.ts";
import { bpftraceFrameName } from "./stack_format.ts";
import { userSymbols } from "./user.ts";

export { type Frame, formatFrame, unknownFrame } from "./frame.ts";
export { KernelSymbols, kernelSymbols } from "./kernel.ts";
export { UserSymbols, userSymbols } from "./user.ts";
export { PerfMap } from "./perf_map.ts";
export { findMapping, type Mapping, parseProcMaps } from "./proc_maps.ts";
export {
  bpftraceFrameName,
  type FoldedSample,
  foldedFrames,
  foldedLines,
  type FoldOptions,
  type StackMode,
  stackLines,
  stackText,
} from "./stack_format.ts";

/**
 * The frames of one captured stack, innermost first (`pid` matters only for user stacks; `start`,
 * the process's start time when the stack was read, says which process had the pid then).
 */
export function symbolizeStack(kind: "kernel" | "user", pid: number, addresses: readonly bigint[], start?: string): Frame[] {
  if (kind === "kernel") {
    const k = kernelSymbols();
    return addresses.map((a) => k.symbolize(a));
  }
  return userSymbols().symbolizeAll(pid, addresses, start);
}

/** Frame names as bpftrace prints them (`vfs_read+5`, `0x7f01…`): the shape `setSymbolizer` takes. */
export const bpftraceFrameNames = Object.assign(
  (kind: "kernel" | "user", pid: number, addresses: bigint[], start?: string): string[] => symbolizeStack(kind, pid, addresses, start).map((f) => bpftraceFrameName(f)),
  { processStart: (pid: number) => userSymbols().startTime(pid) },
);
