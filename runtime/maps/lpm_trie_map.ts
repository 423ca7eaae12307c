// LpmTrieMap: longest-prefix-match lookups (BPF_MAP_TYPE_LPM_TRIE), for per-subnet accounting
// and allow/deny lists. A key is a prefix length in bits, then the data it applies to; a lookup
// with a full-length key finds the value of the longest stored prefix that matches it.
import { KernelMap } from "./kernel_map.ts";
import { checkEntries } from "./hash_map.ts";
import { methodsAtCaller } from "./at_caller.ts";
import { MapValueError } from "./fit.ts";
import { TracerError } from "../errors.ts";

/** A key for the map: the typed object, or a CIDR string ("10.0.0.0/8", "2001:db8::/32"; a bare address means its full length). */
export type LpmKey<K> = K | string;

/** BPF_MAP_TYPE_LPM_TRIE: values by address prefix, looked up by longest prefix match (`Ipv4Key`, `Ipv6Key`). */
export class LpmTrieMap<K extends { prefixlen: number }, V> extends KernelMap<K, V> {
  /** The most prefixes the kernel map holds. */
  readonly maxEntries: number;
  /** A trie of at most `maxEntries` prefixes (the kernel allocates it when the tracer starts). */
  constructor(maxEntries = 10240) {
    super();
    this.maxEntries = checkEntries(maxEntries, "LpmTrieMap", new.target);
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

/** "10.0.0.0/8" or "fe80::1" (full length) → the address bytes, in network order, and the prefix length. */
export function parseCidr(text: string): { addr: Uint8Array; prefixlen: number } {
  const [address, len, extra] = text.trim().split("/");
  const addr = address.includes(":") ? parseIpv6(address) : parseIpv4(address);
  const prefixlen = len === undefined ? addr.length * 8 : Number(len);
  if (!addr.length || extra !== undefined || !Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > addr.length * 8 || (len !== undefined && !/^\d+$/.test(len))) {
    throw new TypeError(`"${text}" is not a CIDR prefix: write "10.0.0.0/8", "192.168.1.7" or "2001:db8::/32"`);
  }
  return { addr, prefixlen };
}

function parseIpv4(s: string): Uint8Array {
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return new Uint8Array(0);
  return Uint8Array.from(parts.map(Number));
}

function parseIpv6(s: string): Uint8Array {
  const halves = s.split("::");
  if (halves.length > 2) return new Uint8Array(0);
  const words = (h: string) => (h ? h.split(":") : []);
  const head = words(halves[0]), tail = halves.length === 2 ? words(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return new Uint8Array(0);
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (all.some((w) => !/^[0-9a-fA-F]{1,4}$/.test(w))) return new Uint8Array(0);
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    const n = parseInt(w, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/** Address bytes as text: dotted for 4 bytes, RFC 5952 for 16 (the longest run of zero words as "::"), hex otherwise. */
export function formatAddress(b: Uint8Array): string {
  if (b.length === 4) return [...b].join(".");
  if (b.length !== 16) return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  const words = Array.from({ length: 8 }, (_, i) => (b[i * 2] << 8) | b[i * 2 + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

// A value that does not fit its field is the caller's mistake: reported at its line.
methodsAtCaller(LpmTrieMap.prototype, ["get", "has", "set", "delete", "cidr"], (e) => e instanceof MapValueError);
