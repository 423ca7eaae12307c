// ntop() values (bpftrace's ntop): an address family and 16 bytes of address, network order, an
// IPv4 address in the first 4. JavaScript sees the address as a string, as inet_ntop(3) writes
// it ("127.0.0.1", "::1", "::ffff:127.0.0.1"); a key written from JavaScript is such a string.
import { MapValueError } from "./fit.ts";

const AF_INET = 2, AF_INET6 = 10;

/** The address at bytes[at..at+20) (family u32, then the address) as a string. */
export function decodeInet(bytes: Uint8Array, at: number): string {
  const family = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
  const a = bytes.subarray(at + 4, at + 20);
  if (family === AF_INET) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  if (family === AF_INET6) return ipv6(a);
  return `(address family ${family >>> 0})`;
}

/** RFC 5952's text: the longest run of two or more zero groups as "::", an IPv4-mapped address's last 32 bits dotted. */
function ipv6(a: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (a[2 * i] << 8) | a[2 * i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** An Inet key or field written from JavaScript: "10.1.2.3" or an IPv6 address; anything else throws. */
export function encodeInet(x: unknown, bytes: Uint8Array, at: number, field: string): void {
  const v4 = typeof x === "string" ? parseIpv4(x) : undefined;
  const v6 = typeof x === "string" && !v4 ? parseIpv6(x) : undefined;
  if (!v4 && !v6) throw new MapValueError(field, x, "an Inet: an IPv4 or IPv6 address as a string (\"127.0.0.1\", \"::1\")");
  bytes.fill(0, at, at + 20);
  bytes[at] = v4 ? AF_INET : AF_INET6;
  bytes.set((v4 ?? v6)!, at + 4);
}

function parseIpv4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function parseIpv6(s: string): number[] | undefined {
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (const [i, p] of parts.entries()) {
      const v4 = i === parts.length - 1 && p.includes(".") ? parseIpv4(p) : undefined;
      if (v4) out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]), tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...Array(missing).fill(0), ...tail].flatMap((g) => [g >> 8, g & 0xff]);
}
