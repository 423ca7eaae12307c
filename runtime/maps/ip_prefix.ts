// Addresses and prefixes as text ("10.0.0.0/8", "2001:db8::/32") and as the bytes of an
// LpmTrieMap's key. Apart from the map's class: a start that uses no such text need not load it
// (Bun's bytecode build, pack/bun_library.ts SELDOM_ROOTS). The address text itself is inet.ts's,
// which ntop()'s values need at every start that decodes one.
import { formatAddress, parseAddress } from "./inet.ts";

export { formatAddress };

/** "10.0.0.0/8" or "fe80::1" (full length) → the address bytes, in network order, and the prefix length. */
export function parseCidr(text: string): { addr: Uint8Array; prefixlen: number } {
  const [address, len, extra] = text.trim().split("/");
  const addr = parseAddress(address);
  const prefixlen = len === undefined ? addr.length * 8 : Number(len);
  if (!addr.length || extra !== undefined || !Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > addr.length * 8 || (len !== undefined && !/^\d+$/.test(len))) {
    throw new TypeError(`"${text}" is not a CIDR prefix: write "10.0.0.0/8", "192.168.1.7" or "2001:db8::/32"`);
  }
  return { addr, prefixlen };
}
