// Addresses and prefixes as text ("10.0.0.0/8", "2001:db8::/32") and as the bytes of an
// LpmTrieMap's key. Apart from the map's class: a start that uses no such text need not load it
// (Bun's bytecode build, pack/bun_library.ts SELDOM_ROOTS).

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
