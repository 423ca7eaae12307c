// ntop() values (bpftrace's ntop): an address family and 16 bytes of address, network order, an
// IPv4 address in the first 4. JavaScript sees the address as a string, as inet_ntop(3) writes
// it ("127.0.0.1", "::1", "::ffff:127.0.0.1"); a key written from JavaScript is such a string.
// Also the address text of LpmTrieMap's prefixes (ip_prefix.ts), which a start may not load.
import { MapValueError } from "./fit.ts";

const AF_INET = 2, AF_INET6 = 10;

/** The address at bytes[at..at+20) (family u32, then the address) as a string. */
export function decodeInet(bytes: Uint8Array, at: number): string {
  const family = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
  const a = bytes.subarray(at + 4, at + 20);
  if (family === AF_INET) return formatAddress(a.subarray(0, 4));
  if (family !== AF_INET6) return `(address family ${family >>> 0})`;
  // An IPv4-mapped address keeps its IPv4 part dotted, as inet_ntop writes it.
  if (a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff) return `::ffff:${formatAddress(a.subarray(12))}`;
  return formatAddress(a);
}

/** An Inet key or field written from JavaScript: "10.1.2.3" or an IPv6 address; anything else throws. */
export function encodeInet(x: unknown, bytes: Uint8Array, at: number, field: string): void {
  let addr = typeof x === "string" ? parseAddress(x) : new Uint8Array(0);
  const mapped = typeof x === "string" ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(x) : null;
  if (mapped) {
    const v4 = parseIpv4(mapped[1]);
    addr = v4.length ? Uint8Array.of(...new Uint8Array(10), 0xff, 0xff, ...v4) : v4;
  }
  if (!addr.length) throw new MapValueError(field, x, "an Inet: an IPv4 or IPv6 address as a string (\"127.0.0.1\", \"::1\")");
  bytes.fill(0, at, at + 20);
  bytes[at] = addr.length === 4 ? AF_INET : AF_INET6;
  bytes.set(addr, at + 4);
}

/** "10.1.2.3" (4 bytes) or "fe80::1" (16), in network order; no bytes when it is neither. */
export function parseAddress(s: string): Uint8Array {
  return s.includes(":") ? parseIpv6(s) : parseIpv4(s);
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
