// What the tools in examples/ share: the command line (-h, -p PID, --json, interval/count,
// duration), the time columns, JSON lines, bcc's histogram layout, and the check that the kernel
// has the tracepoints a tool needs. Kept small: each tool stays readable on its own.
import process from "node:process";
import { libc } from "../runtime/ffi/mod.ts";
import { fileExists, readTextFile } from "../runtime/files.ts";
import { hasFentry, hasKprobes } from "../runtime/features.ts";
import { isJsonOutput, setJsonOutput, type Tracer } from "tsbpf";

// Kernel files are read through libc (Deno then needs only --allow-ffi): load it once, here.
await libc();
export { readTextFile };

/** Options every tool has; spread them into parseArgs's options. */
export const COMMON = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
} as const;

/**
 * Runs `parse` (a node:util parseArgs call); prints `usage` and exits 0 on -h, or prints the
 * error and the usage and exits 2 on a bad command line, as argparse does for bcc's tools.
 */
export function commandLine<R extends { values: { help?: boolean } }>(usage: string, parse: () => R): R {
  let r: R;
  try {
    r = parse();
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (r.values.help) {
    console.log(usage);
    process.exit(0);
  }
  // One switch: the tool's --json and `tsbpf --json run` both mean JSON lines everywhere.
  const values = r.values as { json?: boolean };
  if (values.json) setJsonOutput(true);
  else if (isJsonOutput()) values.json = true;
  return r;
}

/** A non-negative integer option (`-p 42`, an interval), or exit 2 with what was wrong. */
export function intOption(name: string, text: string | undefined, fallback = 0): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} must be a non-negative integer, got "${text}"`);
    process.exit(2);
  }
  return n;
}

/** Wall-clock time as bcc's tools print it: `HH:MM:SS` (strftime("%H:%M:%S")). */
export function hms(d = new Date()): string {
  return d.toTimeString().slice(0, 8);
}

/** Local date and time, `YYYY-MM-DD HH:MM:SS` (strftime("%Y-%m-%d %H:%M:%S")). */
export function localTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${hms(d)}`;
}

/** One JSON object per line; bigints become numbers when exact, strings otherwise. */
export function jsonLine(o: Record<string, unknown>): string {
  return JSON.stringify(o, (_, v) => (typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v)) : v));
}

/** bcc's `_stars`: `width` stars for the largest value. */
function stars(v: bigint, max: bigint, width: number): string {
  return "*".repeat(max > 0n ? Math.min(width, Math.floor((width * Number(v)) / Number(max))) : 0);
}

/**
 * bcc's log2 slots (index i holds [2^(i-1), 2^i - 1], index 1 holds 0 and 1) from the buckets
 * of a tsbpf Histogram (bpftrace's: 1 holds 0, 2 holds 1, i ≥ 3 holds [2^(i-2), 2^(i-1))).
 */
export function bccSlots(buckets: Map<number, bigint>): bigint[] {
  const slots: bigint[] = [];
  for (const [i, n] of buckets) {
    if (i === 0) continue; // negative values: none in these tools
    const slot = i <= 2 ? 1 : i - 1;
    while (slots.length <= slot) slots.push(0n);
    slots[slot] += n;
  }
  return slots;
}

/** The lines of bcc's `print_log2_hist` for one histogram. */
export function log2Lines(slots: bigint[], unit: string): string[] {
  let last = -1;
  let max = 0n;
  slots.forEach((v, i) => {
    if (v > 0n) last = i;
    if (v > max) max = v;
  });
  if (last <= 0) return [];
  const wide = last > 32;
  const width = wide ? 20 : 40;
  const lines = [wide ? `               ${unit.padEnd(29)} : count     distribution` : `     ${unit.padEnd(19)} : count     distribution`];
  for (let i = 1; i <= last; i++) {
    let low = (1n << BigInt(i)) >> 1n;
    const high = (1n << BigInt(i)) - 1n;
    if (low === high) low -= 1n;
    const v = slots[i] ?? 0n;
    const cols = wide ? `${String(low).padStart(20)} -> ${String(high).padEnd(20)}` : `${String(low).padStart(10)} -> ${String(high).padEnd(10)}`;
    lines.push(`${cols} : ${String(v).padEnd(8)} |${stars(v, max, width).padEnd(width)}|`);
  }
  return lines;
}

/** bcc's JSON histogram (`-j` of biolatency), one object per histogram. */
export function log2Json(slots: bigint[], unit: string, section?: [string, unknown]): string {
  const data: { "interval-start": number; "interval-end": number; count: number }[] = [];
  let last = 0;
  slots.forEach((v, i) => v > 0n && (last = i));
  for (let i = 1; i <= last; i++) {
    data.push({ "interval-start": i === 1 ? 0 : 2 ** (i - 1), "interval-end": 2 ** i - 1, count: Number(slots[i] ?? 0n) });
  }
  return jsonLine({ ts: localTime(), val_type: unit, data, ...(section && { [section[0]]: section[1] }) });
}

/**
 * Prints a keyed or unkeyed tsbpf Histogram as bcc does (`section = key` above each keyed one),
 * or as JSON lines.
 */
export function printLog2<K>(
  hist: { counts(): [K, Map<number, bigint>][] },
  unit: string,
  options: { json?: boolean; section?: string; label?: (k: K) => string; out?: (line: string) => void } = {},
): void {
  const out = options.out ?? ((l: string) => console.log(l));
  const rows = hist.counts();
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0]), undefined, { numeric: true }));
  for (const [key, buckets] of rows) {
    const label = options.label ? options.label(key) : String(key);
    if (options.json) {
      out(log2Json(bccSlots(buckets), unit, options.section ? [options.section, label] : undefined));
      continue;
    }
    if (options.section) {
      out("");
      out(`${options.section} = ${label}`);
    }
    for (const l of log2Lines(bccSlots(buckets), unit)) out(l);
  }
}

/**
 * Runs a started tracer until Ctrl-C, `duration` seconds, or `count` intervals of `interval`
 * seconds; `report` runs after each interval and at the end (a tool's own printing).
 */
export async function runTool(tracer: Tracer, o: { interval?: number; count?: number; duration?: number; report?: () => void }): Promise<void> {
  const timers: ReturnType<typeof setTimeout>[] = [];
  let left = o.count ?? Infinity;
  if (o.report) tracer.end = o.report;
  if (o.interval) {
    timers.push(setInterval(() => {
      if (--left <= 0) tracer.stop(); // stop() runs end(): the last report
      else o.report?.();
    }, o.interval * 1000));
  }
  if (o.duration) timers.push(setTimeout(() => tracer.stop(), o.duration * 1000));
  await tracer.stopped;
  timers.forEach(clearTimeout);
}

/**
 * Exits with a reason when the kernel lacks a tracepoint the tool needs ("category:name", also
 * for the raw tracepoints of that name). `why` says what provides it.
 */
export function requireTracepoints(tool: string, names: string[], why: string): void {
  const root = fileExists("/sys/kernel/tracing/events") ? "/sys/kernel/tracing/events" : "/sys/kernel/debug/tracing/events";
  const missing = names.filter((n) => !fileExists(`${root}/${n.replace(":", "/")}/format`));
  if (missing.length) {
    console.error(`${tool}: this kernel has no tracepoint ${missing.join(", ")} (${why}); ${tool} cannot run here`);
    process.exit(1);
  }
}

/**
 * Exits with a reason when the kernel can trace none of its functions (no kprobes and no
 * fentry): `what` says which functions the tool traces.
 */
export function requireKernelFunctions(tool: string, what: string): void {
  if (hasKprobes() || hasFentry()) return;
  console.error(`${tool}: this kernel has neither kprobes (CONFIG_KPROBES) nor fentry (BPF trampolines), and ${tool} traces ${what} with them; ${tool} cannot run here`);
  process.exit(1);
}

/** A block device's name (`sda`, `loop0`) from its dev_t as tracepoints carry it (major << 20 | minor). */
export function diskName(dev: number): string {
  const major = dev >>> 20, minor = dev & 0xfffff;
  const uevent = readTextFile(`/sys/dev/block/${major}:${minor}/uevent`);
  return uevent?.match(/^DEVNAME=(.*)$/m)?.[1] ?? `${major},${minor}`;
}

/** A disk's dev_t as the kernel packs it (major << 20 | minor), from its name. */
export function diskNumber(name: string): number | undefined {
  const dev = readTextFile(`/sys/class/block/${name.replace(/^\/dev\//, "")}/dev`)?.trim().split(":").map(Number);
  return dev ? (dev[0] << 20) | dev[1] : undefined;
}

/** The -d DISK option: the disk's dev_t, or the tool ends with bcc's message. */
export function diskOption(name: string): number {
  const dev = diskNumber(name);
  if (dev === undefined) {
    console.log(`no such disk '${name}'`);
    process.exit(1);
  }
  return dev;
}
