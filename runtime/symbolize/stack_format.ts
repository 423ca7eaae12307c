/**
 * Stacks printed two ways: as bpftrace 0.17 prints `kstack`/`ustack` in map keys, so its users
 * read tsbpf's output at a glance, and as folded lines for flame graphs (flamegraph.pl,
 * inferno, speedscope all read them).
 *
 * bpftrace's layout, checked against its own output (tests/fixtures/bpftrace_stacks.txt):
 *
 *     @[                                       a key holding a stack starts a new line;
 *         perf_syscall_enter+475               each frame: 4 spaces, name, "+", offset in decimal
 *         do_syscall_64+506
 *     ,                                        the next key part follows ", " (with a trailing space)
 *         getppid+7
 *     ]: 5
 *
 * An address without a symbol is printed as `0x7f32854fa4f7`. `kstack(perf)`/`ustack(perf)`
 * frames are a tab, the address in hex without "0x", a space and the name; user frames add
 * ` (path)`, or ` ([unknown])`.
 *
 * @example
 * ```ts
 * stackText(frames);                 // "\n    vfs_read+5\n    ksys_read+103\n"
 * foldedLines([{ comm: "bash", user: uframes, kernel: kframes, count: 3 }]);
 * // ["bash;main;read;entry_SYSCALL_64_after_hwframe;do_syscall_64;ksys_read;vfs_read 3"]
 * ```
 */
import type { Frame } from "./frame.ts";

/** bpftrace's stack modes: `kstack` / `kstack(bpftrace)`, and `kstack(perf)`. */
export type StackMode = "bpftrace" | "perf";

const INDENT = "    ";

/**
 * A frame as bpftrace names it: `name+OFFSET` (decimal), or `0xADDR` without a symbol. With
 * `withModule` (user frames in perf mode), ` (path)` or ` ([unknown])` follows.
 */
export function bpftraceFrameName(f: Frame, withModule = false): string {
  const name = f.name === undefined ? `0x${f.address.toString(16)}` : `${f.name}+${f.offset}`;
  if (!withModule) return name;
  // A frame with no symbol is "[unknown]" even when its file is known, as in bpftrace.
  return `${name} (${f.name === undefined || f.module === undefined ? "[unknown]" : f.module})`;
}

/** One line per frame, innermost first, as bpftrace prints them (without line ends). */
export function stackLines(frames: readonly Frame[], mode: StackMode = "bpftrace"): string[] {
  if (mode === "bpftrace") return frames.map((f) => INDENT + bpftraceFrameName(f));
  return frames.map((f) => `\t${f.address.toString(16)} ${bpftraceFrameName(f, f.kind === "user")}`);
}

/**
 * A stack as it stands inside a map key: a line end, then each frame's line with its own
 * line end. `@k[${stackText(k)}]: 5` and `@[${stackText(k)}, ${stackText(u)}]: 5` then print
 * exactly as bpftrace does.
 */
export function stackText(frames: readonly Frame[], mode: StackMode = "bpftrace"): string {
  return "\n" + stackLines(frames, mode).map((l) => l + "\n").join("");
}

/** One sample for a flame graph: who, where (innermost frame first, as captured), how often. */
export interface FoldedSample {
  readonly comm?: string;
  readonly user?: readonly Frame[];
  readonly kernel?: readonly Frame[];
  readonly count: number | bigint;
}

export interface FoldOptions {
  /** Keep `+0xOFF` on each frame (default false: flame graphs merge by function). */
  readonly offsets?: boolean;
  /** Mark kernel frames with `_[k]`, which flamegraph.pl --color=java paints apart (default false). */
  readonly kernelSuffix?: boolean;
}

/**
 * The frames of one sample, root first: the command, the user stack from `main` (or `_start`)
 * down, then the kernel stack from the system call entry down to where it was caught.
 */
export function foldedFrames(sample: FoldedSample, options: FoldOptions = {}): string[] {
  const out: string[] = [];
  // A command's spaces become "_", as stackcollapse-perf.pl does.
  if (sample.comm !== undefined) out.push(clean(sample.comm).replace(/ /g, "_"));
  for (const f of [...(sample.user ?? [])].reverse()) out.push(foldedName(f, options));
  for (const f of [...(sample.kernel ?? [])].reverse()) out.push(foldedName(f, options) + (options.kernelSuffix ? "_[k]" : ""));
  return out;
}

/**
 * Folded lines, `comm;root;…;leaf COUNT`: samples whose frames fold to the same line are
 * summed, and lines are sorted, as stackcollapse scripts print them.
 */
export function foldedLines(samples: Iterable<FoldedSample>, options: FoldOptions = {}): string[] {
  const sums = new Map<string, bigint>();
  for (const s of samples) {
    const key = foldedFrames(s, options).join(";");
    sums.set(key, (sums.get(key) ?? 0n) + BigInt(s.count));
  }
  return [...sums.keys()].sort().map((k) => `${k} ${sums.get(k)}`);
}

/**
 * A frame's name in a folded line. Without a symbol: the file's base name in brackets
 * (`[libfoo.so]`), as stackcollapse-perf.pl does, else `[unknown]`.
 */
function foldedName(f: Frame, options: FoldOptions): string {
  if (f.name === undefined) {
    const base = f.module?.replace(/ \(deleted\)$/, "").split("/").pop();
    return base ? `[${clean(base)}]` : "[unknown]";
  }
  return clean(options.offsets ? `${f.name}+0x${f.offset.toString(16)}` : f.name);
}

/** ";" separates frames and a line end ends the sample: JIT names may hold either. */
function clean(s: string): string {
  return s.replace(/;/g, ":").replace(/\n/g, " ");
}
