// Helpers callable inside handlers. The compiler turns each call into BPF; in ordinary
// JavaScript they throw, since there is no current task to ask.
import { kernelOnlyError } from "./kernel_only.ts";
import type { Cgroup, Inet, KStack, KSym, ProbeName, Str, u32, u64, UStack, USym } from "./handler_types.ts";

/** Process id (the kernel's tgid) of the task that hit the probe. */
export function pid(): u32 {
  throw kernelOnlyError("pid", pid);
}
/** Thread id (the kernel's pid) of the task that hit the probe. */
export function tid(): u32 {
  throw kernelOnlyError("tid", tid);
}
/** Process id of the parent of the task that hit the probe. */
export function ppid(): u32 {
  throw kernelOnlyError("ppid", ppid);
}
/** Real user id of the task that hit the probe. */
export function uid(): u32 {
  throw kernelOnlyError("uid", uid);
}
/** Real group id of the task that hit the probe. */
export function gid(): u32 {
  throw kernelOnlyError("gid", gid);
}
/** Command name of the task that hit the probe (16 bytes, as in /proc/PID/comm). */
export function comm(): Str<16> {
  throw kernelOnlyError("comm", comm);
}
/** Nanoseconds since boot (CLOCK_MONOTONIC). */
export function ktime(): u64 {
  throw kernelOnlyError("ktime", ktime);
}
/** The CPU the handler runs on. */
export function cpu(): u32 {
  throw kernelOnlyError("cpu", cpu);
}
/** Reads a NUL-terminated string through a pointer (user or kernel), or a tracepoint string field. */
// deno-lint-ignore no-explicit-any
export function str(_pointer: any, _maxLength?: number): string {
  throw kernelOnlyError("str", str);
}
/** The id of the cgroup (v2) of the task that hit the probe: compare with `cgroupId(path)`, or key maps by it. */
export function cgroup(): u64 {
  throw kernelOnlyError("cgroup", cgroup);
}
/**
 * The pointer or address `p`, seen as pointing to the kernel struct `T` in the traced process's
 * memory: its fields are read with bpf_probe_read_user. For a system call's or a user function's
 * argument: `user<sockaddr_in>(args.uservaddr).sin_port`. Without `T`, a pointer `str()` reads.
 */
// deno-lint-ignore no-explicit-any
export function user<T = any>(_pointer: unknown): T {
  throw kernelOnlyError("user", user);
}
/**
 * The pointer or address `p`, seen as pointing to the kernel struct `T` in kernel memory: its
 * fields are read with bpf_probe_read_kernel. For an address held as a number: `kernel<task_struct>(args[1])`.
 */
// deno-lint-ignore no-explicit-any
export function kernel<T = any>(_pointer: unknown): T {
  throw kernelOnlyError("kernel", kernel);
}
/** The cgroup id `id` (usually cgroup()) as a Cgroup: a map key or event field that JavaScript and printing show as the cgroup's path and container id. */
export function cgroupName(_id: u64): Cgroup {
  throw kernelOnlyError("cgroupName", cgroupName);
}
/** The user address `address` in the current process as a USym: a map key or event field that JavaScript and printing show as the name of the function holding it (bpftrace's usym()). */
export function usym(_address: u64 | bigint | number): USym {
  throw kernelOnlyError("usym", usym);
}
/**
 * An IPv4 or IPv6 address as an Inet: a map key or event field that JavaScript and printing show
 * as "127.0.0.1" or "::1" (bpftrace's ntop()). `address` is a 32-bit integer or 4 bytes (IPv4), or
 * 16 bytes (IPv6: a u8[16] field, a struct in6_addr), as they sit in memory; `family` (AF_INET 2,
 * AF_INET6 10) says which, when given.
 */
export function ntop(_familyOrAddress: unknown, _address?: unknown): Inet {
  throw kernelOnlyError("ntop", ntop);
}
/** The register `name` ("ip", "sp", "ax", ... as struct pt_regs names them) where a kprobe, uprobe, usdt or profile probe stopped (bpftrace's reg()). */
export function reg(_name: string): u64 {
  throw kernelOnlyError("reg", reg);
}
/** The kernel address `address` as a KSym: a map key or event field that JavaScript and printing show as the name of the kernel function holding it (bpftrace's ksym()). */
export function ksym(_address: u64): KSym {
  throw kernelOnlyError("ksym", ksym);
}
/** The current task, `struct task_struct *`: read its fields like `curtask().real_parent.tgid`. */
// deno-lint-ignore no-explicit-any
export function curtask(): any {
  throw kernelOnlyError("curtask", curtask);
}
/** The probe that fired, named as bpftrace does ("kprobe:tcp_connect"): in a wildcard handler, which match. */
export function probe(): ProbeName {
  throw kernelOnlyError("probe", probe);
}
/** The kernel stack of the current task (printed as frames in maps and events). */
export function kstack(): KStack {
  throw kernelOnlyError("kstack", kstack);
}
/** The user stack of the current task (printed as frames, symbolized for its process). */
export function ustack(): UStack {
  throw kernelOnlyError("ustack", ustack);
}
/**
 * `size` (1, 2, 4 or 8) bytes of the packet a `@cgroupSkb` handler sees, `offset` bytes from its
 * network header, as they sit in the packet (network byte order, like `skb.remote_ip4`): the
 * IPv4 destination is `skbLoad(skb, 16, 4)`. 0 when the packet is shorter.
 */
// deno-lint-ignore no-explicit-any
export function skbLoad(skb: any, offset: number, size: 1 | 2 | 4): u32;
/** Eight bytes of the packet a `@cgroupSkb` handler sees, `offset` bytes from its network header (see above). */
// deno-lint-ignore no-explicit-any
export function skbLoad(skb: any, offset: number, size: 8): u64;
// deno-lint-ignore no-explicit-any
export function skbLoad(_skb: any, _offset: number, _size: 1 | 2 | 4 | 8): u32 | u64 {
  throw kernelOnlyError("skbLoad", skbLoad);
}
/**
 * `size` (1, 2, 4 or 8) bytes of the packet an `@xdp` handler sees, `offset` bytes from its
 * Ethernet header, as they sit in the packet (network byte order): the EtherType is
 * `xdpLoad(ctx, 12, 2)`. 0 when the packet is shorter.
 */
// deno-lint-ignore no-explicit-any
export function xdpLoad(ctx: any, offset: number, size: 1 | 2 | 4): u32;
/** Eight bytes of the packet an `@xdp` handler sees, `offset` bytes from its Ethernet header (see above). */
// deno-lint-ignore no-explicit-any
export function xdpLoad(ctx: any, offset: number, size: 8): u64;
// deno-lint-ignore no-explicit-any
export function xdpLoad(_ctx: any, _offset: number, _size: 1 | 2 | 4 | 8): u32 | u64 {
  throw kernelOnlyError("xdpLoad", xdpLoad);
}
/**
 * The id of the cgroup (v2) of the socket a `@cgroupSkb` handler's packet belongs to (the
 * attached cgroup or one below it): key per-cgroup counts by `cgroupName(skbCgroup(skb))`.
 */
// deno-lint-ignore no-explicit-any
export function skbCgroup(_skb: any): u64 {
  throw kernelOnlyError("skbCgroup", skbCgroup);
}

/**
 * In a @kprobe handler: the probed function returns `value` instead of running (fault injection,
 * bpf_override_return), e.g. `override(-2)` makes it fail with ENOENT. Only on functions the
 * kernel lists in /sys/kernel/debug/error_injection/list, on kernels built with
 * CONFIG_BPF_KPROBE_OVERRIDE; anywhere else it is a compile error saying why.
 */
export function override(_value: number | bigint): void {
  throw kernelOnlyError("override", override);
}
