// What every map field shares: the kernel map it is bound to while its tracer runs, typed key
// and value codecs, and whole-map reads.
import type { MapSpec } from "../../spec/tracer_spec.ts";
import { sizeOf, type Type } from "../../spec/layout.ts";
import { BPF_EXIST, mapDelete, mapLookup, mapLookupAndDelete, mapLookupBatch, mapNextKey, mapPush, mapUpdate, mapWriteBatch } from "../bpf.ts";
import { possibleCpus } from "../cpus.ts";
import { type Decoder, type Encoder, makeDecoder, makeEncoder } from "./codec.ts";
import { TracerError } from "../errors.ts";
import type { ProbeNames } from "./probe_names.ts";
import { isPinName, pinNameProblem } from "../pin_name.ts";
import { refuseArguments } from "./refused_arguments.ts";
import { MapValueError } from "./fit.ts";

/** What a map field may say beyond its size. */
export interface MapFieldOptions {
  /**
   * Keep the kernel map in /sys/fs/bpf/tsbpf/NAME: created by the first tracer that declares it,
   * reused (layout checked) by later ones and other processes, kept after they end until
   * `tsbpf pinned rm NAME`.
   */
  pin?: string;
}

export interface Binding {
  fd: number;
  spec: MapSpec;
  /** The tracer's probe() names, for keys and values of type ProbeName. */
  probeNames?: ProbeNames;
}

/** Whether whole-map reads and writes use the kernel's batch commands (5.6+) where a map has them. */
let batchOps = true;

/** @internal Turns the batch commands off (or on again): for tests and benchmarks comparing the two paths. */
export function setBatchOps(enabled: boolean): void {
  batchOps = enabled;
}

/** Elements asked for per batch call at first (doubled when a hash bucket holds more). */
const BATCH_START = 1024;
/** A map being refilled as fast as we walk it: stop somewhere. */
const WALK_LIMIT = 10_000_000;

/** Keys and values as the kernel lays them out in a batch: `count` elements back to back. */
interface RawEntries {
  keys: Uint8Array;
  values: Uint8Array;
  count: number;
}

/** A typed view of one kernel map: raw bytes in, JS values out. */
export class MapAccess<K, V> {
  readonly keySize: number;
  readonly valueSize: number;
  /** Per-CPU maps hold one value per possible CPU, each padded to 8 bytes. */
  readonly cpus: number;
  readonly #encodeKey: Encoder<K>;
  readonly #decodeKey: Decoder<K>;
  readonly #encodeValue: Encoder<V>;
  readonly #decodeValue: Decoder<V>;
  readonly #key: Uint8Array;
  readonly #keyView: DataView;
  readonly #value: Uint8Array;
  readonly #valueView: DataView;
  /** Set once the kernel refused a batch command for this map (older kernel, or a map type without them). */
  #noBatch = false;

  /** `name`, the map's, is what an error about a key or value that does not fit names. */
  constructor(readonly fd: number, key: Type, value: Type, perCpu: boolean, probeNames?: ProbeNames, name = "map") {
    this.keySize = sizeOf(key);
    this.valueSize = sizeOf(value);
    this.cpus = perCpu ? possibleCpus() : 1;
    this.#encodeKey = naming(makeEncoder(key, probeNames, "key"), name);
    this.#decodeKey = makeDecoder(key, probeNames);
    this.#encodeValue = naming(makeEncoder(value, probeNames, "value"), name);
    this.#decodeValue = makeDecoder(value, probeNames);
    this.#key = new Uint8Array(this.keySize);
    this.#keyView = new DataView(this.#key.buffer);
    this.#value = new Uint8Array(perCpu ? Math.ceil(this.valueSize / 8) * 8 * this.cpus : this.valueSize);
    this.#valueView = new DataView(this.#value.buffer);
  }

  #stride(): number {
    return this.cpus > 1 ? Math.ceil(this.valueSize / 8) * 8 : this.valueSize;
  }

  encodeKey(key: K): Uint8Array {
    this.#encodeKey(key, this.#keyView, this.#key, 0);
    return this.#key;
  }

  decodeKey(bytes: Uint8Array, offset = 0): K {
    return this.#decodeKey(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, offset);
  }

  /** The value on each CPU (one element for ordinary maps), or undefined when absent. */
  lookupAll(key: K): V[] | undefined {
    return this.lookupBytes(this.encodeKey(key));
  }

  /** Like lookupAll, with the key given as the kernel's bytes. */
  lookupBytes(keyBytes: Uint8Array): V[] | undefined {
    if (!mapLookup(this.fd, keyBytes, this.#value)) return undefined;
    return this.#decodeValues(this.#valueView, this.#value, 0);
  }

  #decodeValues(view: DataView, bytes: Uint8Array, at: number): V[] {
    // A plain loop: Array.from({ length }, f) costs JavaScriptCore several times as much, once
    // per key at every read of the map (a scrape of 10 000 series).
    const stride = this.#stride(), out = new Array<V>(this.cpus);
    for (let c = 0; c < this.cpus; c++) out[c] = this.#decodeValue(view, bytes, at + c * stride);
    return out;
  }

  #encodeValues(value: V, view: DataView, bytes: Uint8Array, at: number): void {
    const stride = this.#stride();
    for (let c = 0; c < this.cpus; c++) this.#encodeValue(value, view, bytes, at + c * stride);
  }

  update(key: K, value: V): void {
    this.updateBytes(this.encodeKey(key), value);
  }

  updateBytes(keyBytes: Uint8Array, value: V): void {
    this.#encodeValues(value, this.#valueView, this.#value, 0);
    mapUpdate(this.fd, keyBytes, this.#value);
  }

  delete(key: K): boolean {
    return mapDelete(this.fd, this.encodeKey(key));
  }

  deleteBytes(keyBytes: Uint8Array): boolean {
    return mapDelete(this.fd, keyBytes);
  }

  /** Queue and stack maps: pushes a value; false when full (and not `overwrite`). */
  push(value: V, overwrite: boolean): boolean {
    this.#encodeValues(value, this.#valueView, this.#value, 0);
    return mapPush(this.fd, this.#value, overwrite ? BPF_EXIST : 0n);
  }

  /** Queue and stack maps: the next value (removed unless `peek`), or undefined when empty. */
  pop(peek: boolean): V | undefined {
    const found = peek ? mapLookup(this.fd, undefined, this.#value) : mapLookupAndDelete(this.fd, undefined, this.#value);
    return found ? this.#decodeValue(this.#valueView, this.#value, 0) : undefined;
  }

  /** Every key and its values: in batches where the kernel has them, else key by key. */
  *entries(): Generator<[K, V[]]> {
    const raw = this.#rawEntries();
    const keyView = new DataView(raw.keys.buffer), valueView = new DataView(raw.values.buffer);
    const valueBytes = this.#value.length;
    for (let i = 0; i < raw.count; i++) {
      yield [this.#decodeKey(keyView, raw.keys, i * this.keySize), this.#decodeValues(valueView, raw.values, i * valueBytes)];
    }
  }

  #rawEntries(): RawEntries {
    return (batchOps && !this.#noBatch && this.#lookupBatched()) || this.#lookupOneByOne();
  }

  /** BPF_MAP_LOOKUP_BATCH until the end; undefined when the kernel has no batches for this map. */
  #lookupBatched(): RawEntries | undefined {
    const valueBytes = this.#value.length;
    const token = Math.max(this.keySize, 8); // the kernel's position: a bucket index for hashes, a key for others
    let chunk = BATCH_START, room = 0, count = 0;
    let keys: Uint8Array = new Uint8Array(0), values: Uint8Array = new Uint8Array(0);
    let inBatch: Uint8Array | undefined, outBatch = new Uint8Array(token);
    for (;;) {
      if (room - count < chunk) {
        room = Math.max(room * 2, count + chunk);
        keys = grow(keys, room * this.keySize);
        values = grow(values, room * valueBytes);
      }
      const r = mapLookupBatch(this.fd, inBatch, outBatch, keys.subarray(count * this.keySize), values.subarray(count * valueBytes), chunk);
      if ("unsupported" in r) {
        if (count || inBatch) throw new TracerError(`batch lookup of map fd ${this.fd} failed in the middle of a walk`);
        this.#noBatch = true;
        return undefined;
      }
      if ("tooSmall" in r) {
        chunk *= 2; // one hash bucket holds more elements than we asked for: ask again, from the same place
        continue;
      }
      count += r.count;
      if (r.done || count > WALK_LIMIT) return { keys, values, count };
      inBatch = outBatch;
      outBatch = new Uint8Array(token);
    }
  }

  /** Every key first (BPF_MAP_GET_NEXT_KEY), then each value: as consistent a snapshot as that allows. */
  #lookupOneByOne(): RawEntries {
    const keyList: Uint8Array[] = [];
    let prev: Uint8Array | undefined;
    for (;;) {
      const next = new Uint8Array(this.keySize);
      if (!mapNextKey(this.fd, prev, next)) break;
      keyList.push(next);
      prev = next;
      if (keyList.length > WALK_LIMIT) break;
    }
    const valueBytes = this.#value.length;
    const keys = new Uint8Array(keyList.length * this.keySize), values = new Uint8Array(keyList.length * valueBytes);
    let count = 0;
    for (const k of keyList) {
      if (!mapLookup(this.fd, k, this.#value)) continue; // deleted meanwhile
      keys.set(k, count * this.keySize);
      values.set(this.#value, count * valueBytes);
      count++;
    }
    return { keys, values, count };
  }

  /** Writes every entry: BPF_MAP_UPDATE_BATCH where the kernel has it, else one by one. */
  updateMany(entries: [K, V][]): void {
    const valueBytes = this.#value.length;
    const keys = new Uint8Array(entries.length * this.keySize), values = new Uint8Array(entries.length * valueBytes);
    const keyView = new DataView(keys.buffer), valueView = new DataView(values.buffer);
    entries.forEach(([k, v], i) => {
      this.#encodeKey(k, keyView, keys, i * this.keySize);
      this.#encodeValues(v, valueView, values, i * valueBytes);
    });
    let done = 0;
    if (batchOps && !this.#noBatch && entries.length) {
      const n = mapWriteBatch(this.fd, keys, values, entries.length);
      if (n === undefined) this.#noBatch = true;
      else done = n;
    }
    for (let i = done; i < entries.length; i++) {
      mapUpdate(this.fd, keys.subarray(i * this.keySize, (i + 1) * this.keySize), values.subarray(i * valueBytes, (i + 1) * valueBytes));
    }
  }

  /** Deletes keys given as the kernel's bytes, back to back; returns how many were deleted. */
  #deleteRaw(keys: Uint8Array, count: number): number {
    let deleted = 0, from = 0;
    while (batchOps && !this.#noBatch && from < count) {
      const n = mapWriteBatch(this.fd, keys.subarray(from * this.keySize), undefined, count - from);
      if (n === undefined) {
        this.#noBatch = true;
        break;
      }
      deleted += n;
      from += n;
      if (from < count) from++; // the kernel stopped at a key already gone (ENOENT): carry on after it
    }
    for (let i = from; i < count; i++) if (mapDelete(this.fd, keys.subarray(i * this.keySize, (i + 1) * this.keySize))) deleted++;
    return deleted;
  }

  deleteMany(keys: K[]): number {
    const bytes = new Uint8Array(keys.length * this.keySize);
    const view = new DataView(bytes.buffer);
    keys.forEach((k, i) => this.#encodeKey(k, view, bytes, i * this.keySize));
    return this.#deleteRaw(bytes, keys.length);
  }

  clear(): void {
    const raw = this.#rawEntries();
    this.#deleteRaw(raw.keys, raw.count);
  }
}

/** `encode`, with its MapValueErrors naming the map. */
function naming<T>(encode: Encoder<T>, map: string): Encoder<T> {
  return (value, view, bytes, offset) => {
    try {
      encode(value, view, bytes, offset);
    } catch (e) {
      throw e instanceof MapValueError ? new MapValueError(e.field, e.value, e.allowed, map) : e;
    }
  };
}

function grow(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes);
  return out;
}

/** Base of the map classes users declare as tracer fields. */
export abstract class KernelMap<K, V> {
  /** Entries the kernel map is created with. */
  abstract readonly maxEntries: number;
  #access?: MapAccess<K, V>;
  #name = "map";
  #unit?: string;
  #pin?: string;

  /** Takes the options every map field has (call from the constructor). */
  protected setOptions(options: MapFieldOptions): void {
    if (options.pin === undefined) return;
    // Kept even when refused: start() refuses the field at its place before creating any map
    // (tracer/refused_maps.ts), and every use of the name checks it again (pin_dir.ts).
    this.#pin = options.pin;
    if (!isPinName(options.pin)) refuseArguments(this, new TracerError(`${this.constructor.name}'s pin: ${pinNameProblem(options.pin)}`), this.constructor);
  }

  /** The pin name the field was declared with, if any. */
  get pin(): string | undefined {
    return this.#pin;
  }

  /** @internal Connects the field to its kernel map while the tracer runs. */
  bind(b: Binding): void {
    this.#name = b.spec.name;
    this.#unit = b.spec.unit;
    this.#access = new MapAccess<K, V>(b.fd, b.spec.key!, b.spec.value!, this.perCpu, b.probeNames, b.spec.name);
  }

  /** @internal */
  unbind(): void {
    this.#access = undefined;
  }

  /** @internal Whether the kernel map keeps a value per CPU. */
  protected get perCpu(): boolean {
    return false;
  }

  /** @internal Reads and writes of the kernel map; throws before start() and after stop(). */
  protected get access(): MapAccess<K, V> {
    if (!this.#access) throw new TracerError(`${this.#name} is not connected to the kernel: start() the tracer first (and read it before stop())`);
    return this.#access;
  }

  /** The field's name in the tracer (the kernel map's name), once started. */
  get name(): string {
    return this.#name;
  }

  /** What the values count, as the field's doc comment declares it (`@unit us`), once started. */
  get unit(): string | undefined {
    return this.#unit;
  }
}
