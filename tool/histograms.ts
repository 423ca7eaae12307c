// bcc's log2 histograms (print_log2_hist and biolatency's -j JSON) from a tsbpf Histogram.
import { isJsonOutput } from "../runtime/output.ts";
import { jsonLine, localTime, printLine } from "./output.ts";

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
 * or as JSON lines (default: in JSON mode, see parseToolArgs).
 */
export function printLog2<K>(
  hist: { counts(): [K, Map<number, bigint>][] },
  unit: string,
  options: { json?: boolean; section?: string; label?: (k: K) => string; out?: (line: string) => void } = {},
): void {
  const out = options.out ?? printLine;
  const rows = hist.counts();
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0]), undefined, { numeric: true }));
  for (const [key, buckets] of rows) {
    const label = options.label ? options.label(key) : String(key);
    if (options.json ?? isJsonOutput()) {
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

