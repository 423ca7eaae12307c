// What every map field shares: the kernel map it is bound to while its tracer runs, typed key
// and value codecs, and whole-map reads.
import type { MapSpec } from "../../compiler/spec.ts";
import { sizeOf, type Type } from "../../compiler/types.ts";
import { mapDelete, mapLookup, mapNextKey, mapUpdate } from "../bpf.ts";
import { possibleCpus } from "../cpus.ts";
import { type Decoder, type Encoder, makeDecoder, makeEncoder } from "./codec.ts";
import { TracerError } from "../errors.ts";
import type { ProbeNames } from "./probe_names.ts";

export interface Binding {
  fd: number;
  spec: MapSpec;
  /** The tracer's probe() names, for keys and values of type ProbeName. */
  probeNames?: ProbeNames;
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

  constructor(readonly fd: number, key: Type, value: Type, perCpu: boolean, probeNames?: ProbeNames) {
    this.keySize = sizeOf(key);
    this.valueSize = sizeOf(value);
    this.cpus = perCpu ? possibleCpus() : 1;
    this.#encodeKey = makeEncoder(key, probeNames);
    this.#decodeKey = makeDecoder(key, probeNames);
    this.#encodeValue = makeEncoder(value, probeNames);
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

  /** The value on each CPU (one element for ordinary maps), or undefined when absent. */
  lookupAll(key: K): V[] | undefined {
    return this.#lookupRaw(this.encodeKey(key));
  }

  #lookupRaw(keyBytes: Uint8Array): V[] | undefined {
    if (!mapLookup(this.fd, keyBytes, this.#value)) return undefined;
    const stride = this.#stride();
    return Array.from({ length: this.cpus }, (_, c) => this.#decodeValue(this.#valueView, this.#value, c * stride));
  }

  update(key: K, value: V): void {
    const keyBytes = this.encodeKey(key);
    const stride = this.#stride();
    for (let c = 0; c < this.cpus; c++) this.#encodeValue(value, this.#valueView, this.#value, c * stride);
    mapUpdate(this.fd, keyBytes, this.#value);
  }

  delete(key: K): boolean {
    return mapDelete(this.fd, this.encodeKey(key));
  }

  /** Every key, read first, then each value: a snapshot as consistent as the kernel allows. */
  *entries(): Generator<[K, V[]]> {
    const keys: Uint8Array[] = [];
    let prev: Uint8Array | undefined;
    for (;;) {
      const next = new Uint8Array(this.keySize);
      if (!mapNextKey(this.fd, prev, next)) break;
      keys.push(next);
      prev = next;
      if (keys.length > 10_000_000) break; // a map being refilled as fast as we walk it
    }
    for (const k of keys) {
      const values = this.#lookupRaw(k);
      if (values) yield [this.#decodeKey(new DataView(k.buffer), k, 0), values];
    }
  }

  clear(): void {
    for (const [k] of this.entries()) this.delete(k);
  }
}

/** Base of the map classes users declare as tracer fields. */
export abstract class KernelMap<K, V> {
  /** Entries the kernel map is created with. */
  abstract readonly maxEntries: number;
  #access?: MapAccess<K, V>;
  #name = "map";

  /** @internal Connects the field to its kernel map while the tracer runs. */
  bind(b: Binding): void {
    this.#name = b.spec.name;
    this.#access = new MapAccess<K, V>(b.fd, b.spec.key!, b.spec.value!, this.perCpu, b.probeNames);
  }

  /** @internal */
  unbind(): void {
    this.#access = undefined;
  }

  protected get perCpu(): boolean {
    return false;
  }

  protected get access(): MapAccess<K, V> {
    if (!this.#access) throw new TracerError(`${this.#name} is not connected to the kernel: start() the tracer first (and read it before stop())`);
    return this.#access;
  }

  get name(): string {
    return this.#name;
  }
}
