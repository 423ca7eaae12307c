// Hash and array maps: the same methods in handlers (compiled to BPF) and in JavaScript.
import { KernelMap, type MapFieldOptions } from "./kernel_map.ts";
import { methodsAtCaller } from "./at_caller.ts";
import { refuseArguments } from "./refused_arguments.ts";
import { MapValueError } from "./fit.ts";
import { MAX_MAP_ENTRIES } from "../../spec/tracer_spec.ts";

/** `n`, `map`'s entries; refused (kept for start()) unless a whole number the kernel takes. `ctor`: the constructor checking (`new.target`). */
export function checkEntries(map: object, n: number, what: string, ctor: unknown): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_MAP_ENTRIES) refuseArguments(map, new RangeError(`${what} needs between 1 and ${MAX_MAP_ENTRIES} entries, got ${n}`), ctor);
  return n;
}

/** BPF_MAP_TYPE_HASH: keys and values of the declared types. */
export class HashMap<K, V> extends KernelMap<K, V> {
  /** The most entries the kernel map holds. */
  readonly maxEntries: number;
  /** A map of at most `maxEntries` keys (the kernel allocates it when the tracer starts). */
  constructor(maxEntries = 10240, options: MapFieldOptions = {}) {
    super();
    this.maxEntries = checkEntries(this, maxEntries, "HashMap", new.target);
    this.setOptions(options);
  }
  /** The value of `key`, or undefined if it has none. */
  get(key: K): V | undefined {
    return this.access.lookupAll(key)?.[0];
  }
  /** Whether `key` has a value. */
  has(key: K): boolean {
    return this.access.lookupAll(key) !== undefined;
  }
  /** Sets `key`'s value (creating it). */
  set(key: K, value: V): void {
    this.access.update(key, value);
  }
  /** Removes `key`; whether it was there. */
  delete(key: K): boolean {
    return this.access.delete(key);
  }
  /** Adds `n` to a number value (creating it). In a handler this is atomic; here it is not. */
  add(key: K, n: number | bigint = 1): void {
    const cur = this.get(key) as unknown;
    const next = typeof cur === "bigint" ? cur + BigInt(n) : Number(cur ?? 0) + Number(n);
    this.set(key, next as V);
  }
  /** Every key with its value. */
  entries(): [K, V][] {
    return [...this.access.entries()].map(([k, v]) => [k, v[0]]);
  }
  /** Every key. */
  keys(): K[] {
    return this.entries().map(([k]) => k);
  }
  /** Every value. */
  values(): V[] {
    return this.entries().map(([, v]) => v);
  }
  /** How many keys have a value. */
  get size(): number {
    return this.entries().length;
  }
  /** Removes every entry. */
  clear(): void {
    this.access.clear();
  }
  /** Writes many entries in one call where the kernel has BPF_MAP_UPDATE_BATCH (5.6+), else one by one. */
  setBatch(entries: [K, V][]): void {
    this.access.updateMany(entries);
  }
  /** Deletes many keys in one call where the kernel allows (5.6+); returns how many were present. */
  deleteBatch(keys: K[]): number {
    return this.access.deleteMany(keys);
  }
  /** Iterates over the entries, as entries() returns them. */
  [Symbol.iterator](): Iterator<[K, V]> {
    return this.entries()[Symbol.iterator]();
  }
}

/** BPF_MAP_TYPE_LRU_HASH: a HashMap that evicts the least recently used key when full. */
export class LruHashMap<K, V> extends HashMap<K, V> {}

/** BPF_MAP_TYPE_PERCPU_HASH: one value per CPU per key, updated without atomics. */
export class PerCpuHashMap<K, V> extends KernelMap<K, V> {
  /** The most entries the kernel map holds. */
  readonly maxEntries: number;
  /** A map of at most `maxEntries` keys (the kernel allocates it when the tracer starts). */
  constructor(maxEntries = 10240, options: MapFieldOptions = {}) {
    super();
    this.maxEntries = checkEntries(this, maxEntries, "PerCpuHashMap", new.target);
    this.setOptions(options);
  }
  /** @internal This map keeps a value per CPU. */
  protected override get perCpu(): boolean {
    return true;
  }
  /** The value on each CPU. */
  get(key: K): V[] | undefined {
    return this.access.lookupAll(key);
  }
  /** The values of all CPUs added up. */
  sum(key: K): bigint {
    return (this.get(key) ?? []).reduce((a: bigint, v) => a + BigInt(v as number | bigint), 0n);
  }
  /** Removes `key`; whether it was there. */
  delete(key: K): boolean {
    return this.access.delete(key);
  }
  /** Every key with its value on each CPU. */
  entries(): [K, V[]][] {
    return [...this.access.entries()];
  }
  /** Removes every entry. */
  clear(): void {
    this.access.clear();
  }
}

/** BPF_MAP_TYPE_ARRAY: `entries` values indexed 0..entries-1, all present from the start. */
export class ArrayMap<V> extends KernelMap<number, V> {
  /** The most entries the kernel map holds. */
  readonly maxEntries: number;
  /** An array of `entries` values (the kernel allocates it when the tracer starts). */
  constructor(entries: number, options: MapFieldOptions = {}) {
    super();
    this.maxEntries = checkEntries(this, entries, "ArrayMap", new.target);
    this.setOptions(options);
  }
  /** The value at `index`. */
  get(index: number): V | undefined {
    return this.access.lookupAll(index)?.[0];
  }
  /** Sets the value at `index`. */
  set(index: number, value: V): void {
    this.access.update(index, value);
  }
  /** Every index with its value. */
  entries(): [number, V][] {
    return [...this.access.entries()].map(([k, v]) => [k, v[0]]);
  }
  /** Every value. */
  values(): V[] {
    return this.entries().map(([, v]) => v);
  }
}

/** BPF_MAP_TYPE_PERCPU_ARRAY: per-CPU values indexed 0..entries-1. */
export class PerCpuArrayMap<V> extends KernelMap<number, V> {
  /** The most entries the kernel map holds. */
  readonly maxEntries: number;
  /** An array of `entries` values (the kernel allocates it when the tracer starts). */
  constructor(entries: number, options: MapFieldOptions = {}) {
    super();
    this.maxEntries = checkEntries(this, entries, "PerCpuArrayMap", new.target);
    this.setOptions(options);
  }
  /** @internal This map keeps a value per CPU. */
  protected override get perCpu(): boolean {
    return true;
  }
  /** The value at `index` on each CPU. */
  get(index: number): V[] | undefined {
    return this.access.lookupAll(index);
  }
  /** The values at `index` of all CPUs added up. */
  sum(index: number): bigint {
    return (this.get(index) ?? []).reduce((a: bigint, v) => a + BigInt(v as number | bigint), 0n);
  }
  /** Every index with its value on each CPU. */
  entries(): [number, V[]][] {
    return [...this.access.entries()];
  }
}

// A key or value that does not fit its field is the caller's mistake: reported at its line.
const misfit = (e: unknown) => e instanceof MapValueError;
methodsAtCaller(HashMap.prototype, ["get", "has", "set", "delete", "add", "setBatch", "deleteBatch"], misfit);
methodsAtCaller(PerCpuHashMap.prototype, ["get", "sum", "delete"], misfit);
methodsAtCaller(ArrayMap.prototype, ["get", "set"], misfit);
methodsAtCaller(PerCpuArrayMap.prototype, ["get", "sum"], misfit);
