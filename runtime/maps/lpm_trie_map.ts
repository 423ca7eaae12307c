// LpmTrieMap: longest-prefix-match lookups (BPF_MAP_TYPE_LPM_TRIE), for per-subnet accounting
// and allow/deny lists. A key is a prefix length in bits, then the data it applies to; a lookup
// with a full-length key finds the value of the longest stored prefix that matches it.
import { KernelMap } from "./kernel_map.ts";
import { checkEntries } from "./hash_map.ts";
import { methodsAtCaller } from "./at_caller.ts";
import { MapValueError } from "./fit.ts";
import { TracerError } from "../errors.ts";
import { formatAddress, parseCidr } from "./ip_prefix.ts";

/** A key for the map: the typed object, or a CIDR string ("10.0.0.0/8", "2001:db8::/32"; a bare address means its full length). */
export type LpmKey<K> = K | string;

/** BPF_MAP_TYPE_LPM_TRIE: values by address prefix, looked up by longest prefix match (`Ipv4Key`, `Ipv6Key`). */
export class LpmTrieMap<K extends { prefixlen: number }, V> extends KernelMap<K, V> {
  /** The most prefixes the kernel map holds. */
  readonly maxEntries: number;
  /** A trie of at most `maxEntries` prefixes (the kernel allocates it when the tracer starts). */
  constructor(maxEntries = 10240) {
    super();
    this.maxEntries = checkEntries(this, maxEntries, "LpmTrieMap", new.target);
  }

  /** The value of the longest stored prefix matching `key` (an address, or a prefix). */
  get(key: LpmKey<K>): V | undefined {
    return this.access.lookupBytes(this.#keyBytes(key))?.[0];
  }
  /** Whether a stored prefix matches `key`. */
  has(key: LpmKey<K>): boolean {
    return this.get(key) !== undefined;
  }
  /** Stores `value` for exactly this prefix. */
  set(key: LpmKey<K>, value: V): void {
    this.access.updateBytes(this.#keyBytes(key), value);
  }
  /** Deletes exactly this prefix (not the prefixes that contain it). */
  delete(key: LpmKey<K>): boolean {
    return this.access.deleteBytes(this.#keyBytes(key));
  }
  /** Every stored prefix with its value. */
  entries(): [K, V][] {
    return [...this.access.entries()].map(([k, v]) => [k, v[0]]);
  }
  /** Every prefix as a CIDR string (keys of 4 or 16 address bytes), with its value. */
  cidrEntries(): [string, V][] {
    return this.entries().map(([k, v]) => [this.cidr(k), v]);
  }
  /** A key as a CIDR string: "10.0.0.0/8". */
  cidr(key: K): string {
    const bytes = this.access.encodeKey(key);
    return `${formatAddress(bytes.subarray(4))}/${key.prefixlen}`;
  }
  /** Removes every prefix. */
  clear(): void {
    this.access.clear();
  }
  /** Iterates over the entries, as entries() returns them. */
  [Symbol.iterator](): Iterator<[K, V]> {
    return this.entries()[Symbol.iterator]();
  }

  #keyBytes(key: LpmKey<K>): Uint8Array {
    if (typeof key !== "string") return this.access.encodeKey(key);
    const size = this.access.keySize;
    const { addr, prefixlen } = parseCidr(key);
    if (addr.length !== size - 4) {
      throw new TracerError(`"${key}" is ${addr.length === 4 ? "an IPv4" : "an IPv6"} prefix, but ${this.name} holds ${size - 4}-byte addresses`);
    }
    const bytes = new Uint8Array(size);
    new DataView(bytes.buffer).setUint32(0, prefixlen, true);
    bytes.set(addr, 4);
    return bytes;
  }
}

// A value that does not fit its field is the caller's mistake: reported at its line.
methodsAtCaller(LpmTrieMap.prototype, ["get", "has", "set", "delete", "cidr"], (e) => e instanceof MapValueError);
