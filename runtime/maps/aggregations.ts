// Aggregations: counts, sums, extremes, averages and histograms, kept per CPU in the kernel
// (no atomics on the hot path) and merged here. Printed in bpftrace's layout.
import { methodsAtCaller } from "./at_caller.ts";
import { refuseArguments } from "./refused_arguments.ts";
import { KernelMap, type MapFieldOptions } from "./kernel_map.ts";
import { kernelOnly } from "../../lang/kernel_only.ts";
import { formatKey, histogramRows, linearBucketLabel, log2BucketLabel, mapLabel } from "./print.ts";
import { isJsonOutput, jsonRecord } from "../output.ts";
import { writeStdoutLine } from "../stdout.ts";
import { HISTOGRAM_SUM_BUCKET } from "../../spec/tracer_spec.ts";

/** How an aggregation is keyed in the kernel: the key, and for a histogram the bucket. */
export type RawKey<K> = { key: K; bucket?: bigint };

/** A key's identity as a string (bigints included), for grouping histogram buckets by key. */
export const keyId = (k: unknown) => JSON.stringify(k, (_, v) => (typeof v === "bigint" ? `${v}n` : v));

/** How print(), format() and json() show an aggregation. */
export interface PrintOptions {
  /** Only the N largest entries (by value, or by total count for histograms); 0 or none: every entry. */
  top?: number;
  /** Where each line goes (default: console.log). */
  out?: (line: string) => void;
  /** One JSON line in bpftrace's `-f json` shape instead of text (default: the output mode, see setJsonOutput). */
  json?: boolean;
}

/** Options print(), format() or json() cannot take: the caller's mistake, reported at its line. */
class PrintOptionsError extends TypeError {}

/**
 * `options` checked: an object of PrintOptions or nothing. A number (bpftrace's `print(@m, 5)`)
 * would otherwise be read as no options and print every entry.
 */
function printOptions(method: string, options: unknown): PrintOptions {
  if (options === undefined) return {};
  const example = `${method}({ top: ${typeof options === "number" ? options : 10} })`;
  if (typeof options !== "object" || options === null) throw new PrintOptionsError(`${method}() takes options, e.g. ${example}, not ${String(options)}`);
  const { top, out } = options as PrintOptions;
  if (top !== undefined && !(Number.isInteger(top) && top >= 0)) throw new PrintOptionsError(`${method}()'s top must be a whole number (0: every entry), got ${String(top)}; e.g. ${example}`);
  if (out !== undefined && typeof out !== "function") throw new PrintOptionsError(`${method}()'s out must be a function that takes each line, e.g. { out: (line) => lines.push(line) }`);
  return options as PrintOptions;
}

/** A key as bpftrace's JSON output names it: tuple elements joined by ",". */
function jsonKey(key: unknown): string {
  return Array.isArray(key) ? key.map((k) => formatKey(k, true)).join(",") : formatKey(key, true);
}

/** add()'s arguments in a handler: the key first when the aggregation is keyed (`K` is not void). */
export type Keyed<K, Rest extends unknown[]> = [K] extends [void] ? Rest : [key: K, ...Rest];
/** A number an aggregation adds up or compares. */
export type Value = number | bigint;

/** A map that tracers add to in handlers (per CPU, no atomics) and that user space reads merged over the CPUs. */
abstract class Aggregation<K, Raw, R> extends KernelMap<RawKey<K>, Raw> {
  /** The most keys the kernel map holds; adds for further keys are dropped and counted. */
  readonly maxEntries: number;
  /** An aggregation for at most `maxEntries` keys. */
  constructor(maxEntries = 10240, options: MapFieldOptions = {}) {
    super();
    if (!Number.isInteger(maxEntries) || maxEntries < 1) refuseArguments(this, new RangeError(`an aggregation needs at least one entry, got ${maxEntries}`), new.target);
    this.maxEntries = maxEntries;
    this.setOptions(options);
  }
  /** @internal Aggregations are kept per CPU. */
  protected override get perCpu(): boolean {
    return true;
  }
  /** @internal Whether the tracer declared a key type (set when the tracer starts). */
  keyed = false;

  /** @internal One key's per-CPU values combined into its value (undefined: nothing added). */
  protected abstract merge(perCpu: Raw[]): R | undefined;

  /** Every key with its value merged over the CPUs. Unkeyed aggregations have one entry, key undefined. */
  entries(): [K, R][] {
    const out: [K, R][] = [];
    for (const [k, values] of this.access.entries()) {
      const r = this.merge(values);
      if (r !== undefined) out.push([(this.keyed ? k.key : undefined) as K, r]);
    }
    return out;
  }

  /** The merged value for a key (no argument for an unkeyed aggregation). */
  get(key?: K): R | undefined {
    const values = this.access.lookupAll({ key: (this.keyed ? key : 0) as K });
    return values && this.merge(values);
  }

  /** @internal When clear() last emptied it (Unix ms): its counts start again there (an OTLP sum's start time). */
  clearedAt?: number;

  /** Removes every key. */
  clear(): void {
    this.access.clear();
    this.clearedAt = Date.now();
  }

  /** @internal What rows are sorted by. */
  protected abstract sortValue(r: R): bigint;
  /** @internal A value as bpftrace prints it. */
  protected abstract formatValue(r: R): string;

  /** Entries sorted ascending by value, as bpftrace prints them; the largest `top` only. */
  protected sortedRows(options: PrintOptions): [K, R][] {
    const rows = this.entries().sort((a, b) => (this.sortValue(a[1]) < this.sortValue(b[1]) ? -1 : this.sortValue(a[1]) > this.sortValue(b[1]) ? 1 : 0));
    return options.top ? rows.slice(-options.top) : rows;
  }

  /** bpftrace's JSON record type for this kind of map. */
  protected get jsonType(): string {
    return "map";
  }
  /** @internal A value as bpftrace's JSON shows it. */
  protected jsonValue(r: R): unknown {
    return r;
  }

  /** The JSON line bpftrace -f json prints for this map, or undefined when it is empty. */
  json(options?: PrintOptions): string | undefined {
    const rows = this.sortedRows(printOptions("json", options));
    if (!rows.length) return undefined;
    const value = this.keyed ? Object.fromEntries(rows.map(([k, r]) => [jsonKey(k), this.jsonValue(r)])) : this.jsonValue(rows[0][1]);
    return jsonRecord(this.jsonType, { [`@${this.name}`]: value });
  }

  /** The lines bpftrace would print for this map (sorted ascending, as bpftrace does). */
  format(options?: PrintOptions): string[] {
    const rows = this.sortedRows(printOptions("format", options));
    const lines = rows.map(([k, r]) => `${mapLabel(this.name, k, this.keyed)}: ${this.formatValue(r)}`);
    return lines.length && this.blankAfter ? [...lines, ""] : lines;
  }

  /** bpftrace follows avg, stats and histogram maps with an empty line, counts and sums not. */
  protected get blankAfter(): boolean {
    return false;
  }

  /** Prints the map as text, or as one JSON line in JSON mode. */
  print(options?: PrintOptions): void {
    options = printOptions("print", options);
    const out = options.out ?? writeStdoutLine;
    if (options.json ?? isJsonOutput()) {
      const line = this.json(options);
      if (line !== undefined) out(line);
      return;
    }
    for (const line of this.format(options)) out(line);
  }
}

/** An aggregation whose value is one number per key (Count, Sum). */
export abstract class Scalar<K> extends Aggregation<K, bigint, bigint> {
  /** @internal What rows are sorted by. */
  protected sortValue(r: bigint): bigint {
    return r;
  }
  /** @internal A value as bpftrace prints it. */
  protected formatValue(r: bigint): string {
    return String(r);
  }
}

/** The per-CPU counts of one key added up (a loop: a scrape calls it once per key). */
function total(v: bigint[]): bigint {
  let sum = 0n;
  for (let i = 0; i < v.length; i++) sum += v[i];
  return sum;
}

/** How many times add() ran, per key: bpftrace's count(). */
export class Count<K = void> extends Scalar<K> {
  /** In a handler: counts one more (for `key`). */
  add(..._key: Keyed<K, []>): void {
    kernelOnly("Count.add");
  }
  /** @internal One key's per-CPU values combined into its value. */
  protected merge(v: bigint[]): bigint {
    return total(v);
  }
}

/** The total of the values added, per key: bpftrace's sum(). */
export class Sum<K = void> extends Scalar<K> {
  /** In a handler: adds `value` (for `key`). */
  add(..._args: Keyed<K, [value: Value]>): void {
    kernelOnly("Sum.add");
  }
  /** @internal One key's per-CPU values combined into its value. */
  protected merge(v: bigint[]): bigint {
    return total(v);
  }
}

/** What Min and Max keep per key in the kernel: the value, and whether one was seen. */
export type Extreme = { value: bigint; present: bigint };

/** The smallest value added, per key: bpftrace's min(). */
export class Min<K = void> extends Aggregation<K, Extreme, bigint> {
  /** In a handler: keeps `value` if it is the smallest (for `key`). */
  add(..._args: Keyed<K, [value: Value]>): void {
    kernelOnly("Min.add");
  }
  /** @internal One key's per-CPU values combined into its value. */
  protected merge(v: Extreme[]): bigint | undefined {
    const present = v.filter((x) => x.present);
    return present.length ? present.reduce((a, x) => (x.value < a ? x.value : a), present[0].value) : undefined;
  }
  /** @internal What rows are sorted by. */
  protected sortValue(r: bigint): bigint {
    return r;
  }
  /** @internal A value as bpftrace prints it. */
  protected formatValue(r: bigint): string {
    return String(r);
  }
}

/** The largest value added, per key: bpftrace's max(). */
export class Max<K = void> extends Aggregation<K, Extreme, bigint> {
  /** In a handler: keeps `value` if it is the largest (for `key`). */
  add(..._args: Keyed<K, [value: Value]>): void {
    kernelOnly("Max.add");
  }
  /** @internal One key's per-CPU values combined into its value. */
  protected merge(v: Extreme[]): bigint | undefined {
    const present = v.filter((x) => x.present);
    return present.length ? present.reduce((a, x) => (x.value > a ? x.value : a), present[0].value) : undefined;
  }
  /** @internal What rows are sorted by. */
  protected sortValue(r: bigint): bigint {
    return r;
  }
  /** @internal A value as bpftrace prints it. */
  protected formatValue(r: bigint): string {
    return String(r);
  }
}

/** The value of a Stats aggregation for one key. */
export interface StatsValue {
  /** How many values were added. */
  count: bigint;
  /** Their integer average. */
  average: bigint;
  /** Their sum. */
  total: bigint;
}

function mergeStats(v: { count: bigint; total: bigint }[]): StatsValue | undefined {
  const count = v.reduce((a, x) => a + x.count, 0n);
  const total = v.reduce((a, x) => a + x.total, 0n);
  return count ? { count, average: total / count, total } : undefined;
}

/** The integer average of the values added, per key: bpftrace's avg(). */
export class Avg<K = void> extends Aggregation<K, { count: bigint; total: bigint }, bigint> {
  /** In a handler: adds `value` to the average (for `key`). */
  add(..._args: Keyed<K, [value: Value]>): void {
    kernelOnly("Avg.add");
  }
  /** @internal bpftrace's JSON record type for this map. */
  protected override get jsonType(): string {
    return "stats";
  }
  /** @internal bpftrace prints an empty line after this map. */
  protected override get blankAfter(): boolean {
    return true;
  }
  /** @internal One key's per-CPU values combined into its value. */
  protected merge(v: { count: bigint; total: bigint }[]): bigint | undefined {
    return mergeStats(v)?.average;
  }
  /** @internal What rows are sorted by. */
  protected sortValue(r: bigint): bigint {
    return r;
  }
  /** @internal A value as bpftrace prints it. */
  protected formatValue(r: bigint): string {
    return String(r);
  }
}

/** Count, average and total of the values added, per key: bpftrace's stats(). */
export class Stats<K = void> extends Aggregation<K, { count: bigint; total: bigint }, StatsValue> {
  /** In a handler: adds `value` to the statistics (for `key`). */
  add(..._args: Keyed<K, [value: Value]>): void {
    kernelOnly("Stats.add");
  }
  /** @internal bpftrace's JSON record type for this map. */
  protected override get jsonType(): string {
    return "stats";
  }
  /** @internal bpftrace prints an empty line after this map. */
  protected override get blankAfter(): boolean {
    return true;
  }
  /** @internal One key's per-CPU values combined into its value. */
  protected merge(v: { count: bigint; total: bigint }[]): StatsValue | undefined {
    return mergeStats(v);
  }
  /** @internal What rows are sorted by. */
  protected sortValue(r: StatsValue): bigint {
    return r.total;
  }
  /** @internal A value as bpftrace prints it. */
  protected formatValue(r: StatsValue): string {
    return `count ${r.count}, average ${r.average}, total ${r.total}`;
  }
}

/** One bucket of a histogram: its bounds and how many values fell in it. */
export interface Bucket {
  /** Inclusive lower bound (undefined: unbounded). */
  low?: bigint;
  /** Exclusive upper bound (undefined: unbounded). */
  high?: bigint;
  /** How many values were added. */
  count: bigint;
}

/** What Histogram and LinearHistogram share: values counted in buckets, per key. */
export abstract class HistogramBase<K> extends Aggregation<K, bigint, Bucket[]> {
  /** In a handler: counts `value` in its bucket (for `key`). */
  add(..._args: Keyed<K, [value: Value]>): void {
    kernelOnly("Histogram.add");
  }
  /** @internal One key's per-CPU values combined into its value. */
  protected merge(): undefined {
    return undefined; // histogram entries are per (key, bucket): see counts()
  }
  /** @internal What rows are sorted by. */
  protected sortValue(r: Bucket[]): bigint {
    return r.reduce((a, b) => a + b.count, 0n);
  }
  /** @internal A value as bpftrace prints it. */
  protected formatValue(): string {
    return "";
  }
  /** @internal The bucket's label as bpftrace prints it. */
  protected abstract label(i: number): string;
  /** @internal The bucket's bounds: [inclusive low, exclusive high], undefined where unbounded. */
  protected abstract bounds(i: number): [bigint | undefined, bigint | undefined];

  /** Bucket index → count, per key. */
  counts(): [K, Map<number, bigint>][] {
    const byKey = new Map<string, [K, Map<number, bigint>]>();
    for (const [k, values] of this.access.entries()) {
      if (k.bucket === HISTOGRAM_SUM_BUCKET) continue;
      const id = keyId(k.key);
      const entry = byKey.get(id) ?? [(this.keyed ? k.key : undefined) as K, new Map<number, bigint>()];
      byKey.set(id, entry);
      const i = Number(k.bucket);
      entry[1].set(i, (entry[1].get(i) ?? 0n) + values.reduce((a, b) => a + b, 0n));
    }
    return [...byKey.values()];
  }

  /**
   * The sum of the values added, per key (keyed as entries() keys them), when the tracer keeps
   * sums (it was started with metrics); empty otherwise.
   */
  sums(): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const [k, values] of this.access.entries()) {
      if (k.bucket !== HISTOGRAM_SUM_BUCKET) continue;
      out.set(keyId(this.keyed ? k.key : undefined), BigInt.asIntN(64, values.reduce((a, b) => a + b, 0n)));
    }
    return out;
  }

  /** Every key's non-empty buckets with their bounds, lowest first. */
  override entries(): [K, Bucket[]][] {
    return this.counts().map(([k, m]) => [k, [...m.entries()].sort((a, b) => a[0] - b[0]).map(([i, count]) => {
      const [low, high] = this.bounds(i);
      return { low, high, count };
    })]);
  }

  /** The non-empty buckets of `key` (no argument for an unkeyed histogram), lowest first. */
  override get(key?: K): Bucket[] | undefined {
    const id = keyId(key);
    return this.entries().find(([k]) => keyId(k) === id)?.[1];
  }

  /** bpftrace's JSON: every bucket from the first non-empty one to the last, with inclusive bounds. */
  override json(options?: PrintOptions): string | undefined {
    const rows = this.sortedRows(printOptions("json", options));
    if (!rows.length) return undefined;
    const byKey = new Map(this.counts().map(([k, m]) => [keyId(k), m]));
    const buckets = (k: K) => {
      const counts = byKey.get(keyId(k))!;
      const indexes = [...counts.keys()].sort((x, y) => x - y);
      const out: { min?: bigint; max?: bigint; count: bigint }[] = [];
      for (let i = indexes[0]; i <= indexes[indexes.length - 1]; i++) {
        const [low, high] = this.bounds(i);
        out.push({ min: low, max: high === undefined ? undefined : high - 1n, count: counts.get(i) ?? 0n });
      }
      return out;
    };
    const value = this.keyed ? Object.fromEntries(rows.map(([k]) => [jsonKey(k), buckets(k)])) : buckets(rows[0][0]);
    return jsonRecord("hist", { [`@${this.name}`]: value });
  }

  /** The lines bpftrace would print for this histogram, each key's buckets with bars. */
  override format(options?: PrintOptions): string[] {
    const rows = this.sortedRows(printOptions("format", options));
    const byKey = new Map(this.counts().map(([k, m]) => [keyId(k), m]));
    const lines: string[] = [];
    for (const [k] of rows) {
      lines.push(`${mapLabel(this.name, k, this.keyed)}: `, ...histogramRows(byKey.get(keyId(k))!, (i) => this.label(i)), "");
    }
    return lines;
  }
}


/** Power-of-two histogram of the values added, per key: bpftrace's hist(). */
export class Histogram<K = void> extends HistogramBase<K> {
  /** @internal The bucket's label as bpftrace prints it. */
  protected label(i: number): string {
    return log2BucketLabel(i);
  }
  /** @internal The bucket's bounds: [inclusive low, exclusive high], undefined where unbounded. */
  protected bounds(i: number): [bigint | undefined, bigint | undefined] {
    if (i === 0) return [undefined, 0n];
    if (i === 1) return [0n, 1n];
    return [1n << BigInt(i - 2), 1n << BigInt(i - 1)];
  }
}

/** Linear histogram from min to max in steps, per key: bpftrace's lhist(). */
export class LinearHistogram<K = void> extends HistogramBase<K> {
  /** Buckets of `step` from `min` to `max` (and one below, one above), for at most `maxEntries` keys. */
  constructor(readonly min: number, readonly max: number, readonly step: number, maxEntries = 10240, options: MapFieldOptions = {}) {
    super(maxEntries, options);
    const wrong = linearArgumentsProblem(min, max, step);
    if (wrong) refuseArguments(this, new RangeError(wrong), new.target);
  }
  /** @internal The bucket's label as bpftrace prints it. */
  protected label(i: number): string {
    return linearBucketLabel(i, this.min, this.max, this.step);
  }
  /** @internal The bucket's bounds: [inclusive low, exclusive high], undefined where unbounded. */
  protected bounds(i: number): [bigint | undefined, bigint | undefined] {
    const last = Math.ceil((this.max - this.min) / this.step) + 1;
    if (i === 0) return [undefined, BigInt(this.min)];
    if (i === last) return [BigInt(this.max), undefined];
    return [BigInt((i - 1) * this.step + this.min), BigInt(Math.min(i * this.step + this.min, this.max))];
  }
}

/** What is wrong with LinearHistogram(min, max, step), naming the argument, or undefined. */
function linearArgumentsProblem(min: number, max: number, step: number): string | undefined {
  for (const [name, n] of [["min", min], ["max", max], ["step", step]] as const) {
    if (!Number.isSafeInteger(n) || (name === "step" && n < 1)) return `LinearHistogram's ${name} must be a whole number${name === "step" ? " of at least 1" : ""}, got ${n}`;
  }
  return max > min ? undefined : `LinearHistogram's max (${max}) must be larger than its min (${min})`;
}

const misprinted = (e: unknown) => e instanceof PrintOptionsError;
methodsAtCaller(Aggregation.prototype, ["print", "format", "json"], misprinted);
methodsAtCaller(HistogramBase.prototype, ["format", "json"], misprinted);

export { Aggregation };
