// `struct __sk_buff`, the context of socket filters and cgroup skb programs: the packet as the
// verifier lets a program see it. Its layout is uapi (include/uapi/linux/bpf.h), fixed for
// good: fields are only ever appended, so the offsets are written here rather than read from BTF.
// A load from it is rewritten by the verifier into a read of the real sk_buff (or its socket).
import type { ContextField } from "../spec/target.ts";

/** [name, offset, size, what it is]. Byte order as the kernel gives it: see each note. */
const FIELDS: [string, number, 4 | 8, string][] = [
  ["len", 0, 4, "bytes of the packet from its network header (IP header included)"],
  ["pkt_type", 4, 4, "PACKET_HOST, PACKET_BROADCAST, ..."],
  ["mark", 8, 4, "the packet's mark"],
  ["queue_mapping", 12, 4, "the device queue"],
  ["protocol", 16, 4, "the L3 protocol, network byte order (ETH_P_IP 0x0800 reads 0x0008)"],
  ["vlan_present", 20, 4, "1 when it has a VLAN tag"],
  ["vlan_tci", 24, 4, "the VLAN tag"],
  ["vlan_proto", 28, 4, "the VLAN protocol"],
  ["priority", 32, 4, "the packet's priority"],
  ["ingress_ifindex", 36, 4, "the device it arrived on"],
  ["ifindex", 40, 4, "the device it is on"],
  ["hash", 68, 4, "the flow hash"],
  ["napi_id", 84, 4, "the NAPI context it was received in"],
  ["family", 88, 4, "the socket's address family: AF_INET 2, AF_INET6 10"],
  ["remote_ip4", 92, 4, "the peer's IPv4 address, network byte order (as an LpmTrieMap<Ipv4Key> key wants it)"],
  ["local_ip4", 96, 4, "the socket's IPv4 address, network byte order"],
  ["remote_port", 132, 4, "the peer's port, network byte order"],
  ["local_port", 136, 4, "the socket's port, host byte order"],
  ["tstamp", 152, 8, "the packet's timestamp"],
  ["wire_len", 160, 4, "bytes on the wire"],
  ["gso_segs", 164, 4, "segments of a GSO packet"],
  ["gso_size", 176, 4, "segment size of a GSO packet"],
];

/** The socket's fields (family to local_port): a socket filter runs before a packet has one. */
const SOCKET_FIELDS = new Set(["family", "remote_ip4", "local_ip4", "remote_port", "local_port"]);

/** The __sk_buff fields a program of this kind may read. */
export function skBuffFields(kind: "cgroup" | "socket"): ContextField[] {
  return FIELDS.filter(([name]) => kind === "cgroup" || !SOCKET_FIELDS.has(name))
    .map(([name, offset, size]) => ({ name, offset, size, signed: false, kind: "int", cType: size === 8 ? "__u64" : "__u32", space: "kernel" }));
}

/** What each field means, for `tsbpf list` and the docs. */
export const SK_BUFF_DOCS: ReadonlyMap<string, string> = new Map(FIELDS.map(([name, , , doc]) => [name, doc]));
