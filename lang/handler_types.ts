// The integer and string types of handlers. In JavaScript they are ordinary numbers,
// bigints and strings; the compiler reads the names to lay out memory.

/** Unsigned 8-bit integer. */
export type u8 = number;
/** Unsigned 16-bit integer. */
export type u16 = number;
/** Unsigned 32-bit integer. */
export type u32 = number;
/** Unsigned 64-bit integer: a bigint in JavaScript, so no precision is lost. */
export type u64 = bigint;
/** Signed 8-bit integer. */
export type i8 = number;
/** Signed 16-bit integer. */
export type i16 = number;
/** Signed 32-bit integer. */
export type i32 = number;
/** Signed 64-bit integer: a bigint in JavaScript. */
export type i64 = bigint;
/** A boolean stored in one byte. */
export type bool = boolean;
/** A NUL-terminated string in an N-byte buffer (at most N-1 characters). */
// deno-lint-ignore no-unused-vars
export type Str<N extends number> = string;

/** A tracepoint's arguments: the fields of its format file (see `tsbpf list -v`). */
// deno-lint-ignore no-explicit-any
export type TracepointArgs = { readonly [field: string]: any };

/** The probe that fired, from probe(): a number in the kernel, the probe's name ("kprobe:tcp_connect") in JavaScript. */
export type ProbeName = string;

/** A cgroup, from cgroupName(cgroup()): an id in the kernel; in JavaScript its path and container id, printed as either. */
export type Cgroup = import("../runtime/cgroup.ts").CgroupName;
/** A kernel address from ksym(): a u64 in the kernel; in JavaScript the function holding it, printed as its name. */
export type KSym = import("../runtime/maps/kernel_symbol.ts").KernelSymbol;
/** usym()'s value: a user address in the process that hit the probe, shown as the function holding it. */
export type USym = import("../runtime/maps/user_symbol.ts").UserSymbol;
/** ntop()'s value: an IPv4 or IPv6 address (and its family) in the kernel; in JavaScript the address as a string, "127.0.0.1" or "::1". */
export type Inet = string;

/** A kernel stack captured by kstack(); in JavaScript, a Stack with its frames. */
export type KStack = import("../runtime/maps/stacks.ts").Stack;
/** A user stack captured by ustack(); in JavaScript, a Stack with its frames. */
export type UStack = import("../runtime/maps/stacks.ts").Stack;

/**
 * An IPv4 prefix, the key of an `LpmTrieMap`: `prefixlen` bits of `addr` are matched. `addr`
 * holds the address as the kernel stores it (`sk.__sk_common.skc_daddr`, network byte order in
 * memory); from JavaScript, use the map's CIDR methods (`set("10.0.0.0/8", v)`).
 */
export interface Ipv4Key {
  /** How many leading bits of `addr` the prefix has (0 to 32). */
  prefixlen: u32;
  /** The address, in the kernel's byte order in memory (network order). */
  addr: u32;
}
/** An IPv6 prefix: the address as four 32-bit words, as `in6_addr.in6_u.u6_addr32` holds them. */
export interface Ipv6Key {
  /** How many leading bits of `addr` the prefix has (0 to 128). */
  prefixlen: u32;
  /** The address as four 32-bit words, in the kernel's byte order in memory. */
  addr: [u32, u32, u32, u32];
}

/**
 * A packet as a `@cgroupSkb` handler reads it (the kernel's `struct __sk_buff`): a few of its
 * fields. Byte order is the kernel's: `protocol`, `remote_ip4`, `local_ip4` and `remote_port`
 * are in network order, `local_port` in host order.
 */
export interface SkBuff {
  /** Bytes of the packet from its network header: IP header, transport header and payload. */
  len: u32;
  /** The packet type (PACKET_HOST, PACKET_BROADCAST, ...). */
  pkt_type: u32;
  /** The packet's mark (SO_MARK, iptables MARK). */
  mark: u32;
  /** The device queue it is mapped to. */
  queue_mapping: u32;
  /** The L3 protocol, network byte order (ETH_P_IP 0x0800 reads 0x0008). */
  protocol: u32;
  /** 1 when the packet carries a VLAN tag. */
  vlan_present: u32;
  /** The VLAN tag control information. */
  vlan_tci: u32;
  /** The VLAN protocol, network byte order. */
  vlan_proto: u32;
  /** The packet's priority (SO_PRIORITY). */
  priority: u32;
  /** The device it arrived on (ingress). */
  ingress_ifindex: u32;
  /** The device it is on. */
  ifindex: u32;
  /** The packet's flow hash. */
  hash: u32;
  /** The NAPI context it was received in. */
  napi_id: u32;
  /** The socket's address family: 2 (AF_INET) or 10 (AF_INET6). */
  family: u32;
  /** The peer's IPv4 address in network byte order: the `addr` of an `Ipv4Key`. */
  remote_ip4: u32;
  /** The socket's IPv4 address in network byte order. */
  local_ip4: u32;
  /** The peer's port, network byte order. */
  remote_port: u32;
  /** The socket's port, host byte order. */
  local_port: u32;
  /** The packet's timestamp, nanoseconds. */
  tstamp: u64;
  /** Bytes on the wire, headers included. */
  wire_len: u32;
  /** Segments of a GSO packet. */
  gso_segs: u32;
  /** Segment size of a GSO packet. */
  gso_size: u32;
}

/** What an `@xdp` handler's context gives besides its packet (read with `xdpLoad`): the kernel's `struct xdp_md`. */
export interface XdpMd {
  /** The device the packet arrived on. */
  ingress_ifindex: u32;
  /** The receive queue it arrived on. */
  rx_queue_index: u32;
}
