// Printing maps the way bpftrace 0.17 prints them, so its users read tsbpf's output at a glance.

import { printable } from "../output.ts";
import { Stack } from "./stacks.ts";

/** `[1K, 2K)`-style labels of power-of-two buckets. */
function powerLabel(power: number): string {
  const suffixes: [number, string][] = [[40, "T"], [30, "G"], [20, "M"], [10, "K"]];
  for (const [p, s] of suffixes) if (power >= p) return `${2 ** (power - p)}${s}`;
  return String(2 ** power);
}

/** bpftrace's label for a power-of-two histogram bucket index. */
export function log2BucketLabel(i: number): string {
  if (i === 0) return "(..., 0)";
  if (i === 1) return "[0]";
  if (i === 2) return "[1]";
  return `[${powerLabel(i - 2)}, ${powerLabel(i - 1)})`;
}

function linearLabel(n: number): string {
  if (n === 0) return "0";
  if (n % 1048576 === 0) return `${n / 1048576}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

export function linearBucketLabel(i: number, min: number, max: number, step: number): string {
  const buckets = Math.ceil((max - min) / step);
  if (i === 0) return `(..., ${linearLabel(min)})`;
  if (i === buckets + 1) return `[${linearLabel(max)}, ...)`;
  // A step that does not divide max - min leaves a last bucket shorter than a step: it ends at max.
  return `[${linearLabel((i - 1) * step + min)}, ${linearLabel(Math.min(i * step + min, max))})`;
}

const BAR = 52;

/** Histogram rows from the first to the last non-empty bucket: `[4, 8)  12 |@@@@   |`. */
export function histogramRows(counts: Map<number, bigint>, label: (i: number) => string): string[] {
  const indexes = [...counts.keys()].filter((i) => counts.get(i)! > 0n).sort((a, b) => a - b);
  if (!indexes.length) return [];
  const max = indexes.reduce((m, i) => (counts.get(i)! > m ? counts.get(i)! : m), 0n);
  const rows: string[] = [];
  for (let i = indexes[0]; i <= indexes[indexes.length - 1]; i++) {
    const n = counts.get(i) ?? 0n;
    const width = Math.floor((Number(n) / Number(max)) * BAR);
    rows.push(`${label(i).padEnd(16)}${String(n).padStart(8)} |${"@".repeat(width).padEnd(BAR)}|`);
  }
  return rows;
}

/**
 * A key as bpftrace shows it: strings bare, tuples joined with ", ". Names in it are shown
 * printable() (a process may name itself with terminal escapes); `exact` keeps them as they
 * are, for JSON, which escapes them itself.
 */
export function formatKey(key: unknown, exact = false): string {
  const show = exact ? (s: string) => s : printable;
  if (Array.isArray(key)) return key.map((k) => formatKey(k, exact)).join(", ");
  if (key instanceof Stack) return key.toString();
  // A value that says how it prints (a Cgroup: its container or path), rather than a struct.
  if (key && typeof key === "object" && key.toString !== Object.prototype.toString) return show(String(key));
  if (key && typeof key === "object") return Object.values(key).map((k) => formatKey(k, exact)).join(", ");
  return show(String(key));
}

export function mapLabel(name: string, key: unknown, keyed: boolean): string {
  return keyed ? `@${name}[${formatKey(key)}]` : `@${name}`;
}
