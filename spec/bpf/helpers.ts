// The one table of BPF helpers: the kernel's helper functions tsbpf emits or names (their ids,
// names, signatures, what they read, whether they change the system), and the helpers a handler
// calls (pid(), comm(), ...: the stubs handler code imports, lang's helpers.ts). The compiler
// takes its helper ids from here, `tsbpf plan` its names, reads and warnings, `tsbpf dump` its
// names; tests/unit/helper_table.test.ts checks the stubs against it.

export interface KernelHelper {
  /** The kernel's `enum bpf_func_id` value (include/uapi/linux/bpf.h). */
  id: number;
  /** Its name without the `bpf_` prefix. */
  name: string;
  /** Its C signature, as the kernel's documentation gives it. */
  signature: string;
  /** It reads memory through a pointer it is given (plan lists these under "reads"). */
  reads?: true;
  /** It changes the system rather than observes it: what plan warns of. */
  changes?: string;
}

/** By id. Helpers tsbpf does not emit are listed where plan must name or warn about them. */
export const KERNEL_HELPERS = [
  { id: 1, name: "map_lookup_elem", signature: "void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)" },
  { id: 2, name: "map_update_elem", signature: "long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, u64 flags)" },
  { id: 3, name: "map_delete_elem", signature: "long bpf_map_delete_elem(struct bpf_map *map, const void *key)" },
  { id: 4, name: "probe_read", signature: "long bpf_probe_read(void *dst, u32 size, const void *unsafe_ptr)", reads: true },
  { id: 5, name: "ktime_get_ns", signature: "u64 bpf_ktime_get_ns(void)" },
  { id: 6, name: "trace_printk", signature: "long bpf_trace_printk(const char *fmt, u32 fmt_size, ...)" },
  { id: 8, name: "get_smp_processor_id", signature: "u32 bpf_get_smp_processor_id(void)" },
  { id: 12, name: "tail_call", signature: "long bpf_tail_call(void *ctx, struct bpf_map *prog_array_map, u32 index)" },
  { id: 14, name: "get_current_pid_tgid", signature: "u64 bpf_get_current_pid_tgid(void)" },
  { id: 15, name: "get_current_uid_gid", signature: "u64 bpf_get_current_uid_gid(void)" },
  { id: 16, name: "get_current_comm", signature: "long bpf_get_current_comm(void *buf, u32 size_of_buf)" },
  { id: 25, name: "perf_event_output", signature: "long bpf_perf_event_output(void *ctx, struct bpf_map *map, u64 flags, void *data, u64 size)" },
  { id: 26, name: "skb_load_bytes", signature: "long bpf_skb_load_bytes(const void *skb, u32 offset, void *to, u32 len)" },
  { id: 27, name: "get_stackid", signature: "long bpf_get_stackid(void *ctx, struct bpf_map *map, u64 flags)" },
  { id: 35, name: "get_current_task", signature: "u64 bpf_get_current_task(void)" },
  { id: 36, name: "probe_write_user", signature: "long bpf_probe_write_user(void *dst, const void *src, u32 len)", changes: "writes the memory of user processes" },
  { id: 37, name: "current_task_under_cgroup", signature: "long bpf_current_task_under_cgroup(struct bpf_map *map, u32 index)" },
  { id: 45, name: "probe_read_str", signature: "long bpf_probe_read_str(void *dst, u32 size, const void *unsafe_ptr)", reads: true },
  { id: 58, name: "override_return", signature: "long bpf_override_return(struct pt_regs *regs, u64 rc)", changes: "changes what the kernel returns: the probed function returns the handler's value without running (can make system calls fail)" },
  { id: 80, name: "get_current_cgroup_id", signature: "u64 bpf_get_current_cgroup_id(void)" },
  { id: 87, name: "map_push_elem", signature: "long bpf_map_push_elem(struct bpf_map *map, const void *value, u64 flags)" },
  { id: 88, name: "map_pop_elem", signature: "long bpf_map_pop_elem(struct bpf_map *map, void *value)" },
  { id: 89, name: "map_peek_elem", signature: "long bpf_map_peek_elem(struct bpf_map *map, void *value)" },
  { id: 109, name: "send_signal", signature: "long bpf_send_signal(u32 sig)", changes: "sends signals to processes (can kill them)" },
  { id: 112, name: "probe_read_user", signature: "long bpf_probe_read_user(void *dst, u32 size, const void *unsafe_ptr)", reads: true },
  { id: 113, name: "probe_read_kernel", signature: "long bpf_probe_read_kernel(void *dst, u32 size, const void *unsafe_ptr)", reads: true },
  { id: 114, name: "probe_read_user_str", signature: "long bpf_probe_read_user_str(void *dst, u32 size, const void *unsafe_ptr)", reads: true },
  { id: 115, name: "probe_read_kernel_str", signature: "long bpf_probe_read_kernel_str(void *dst, u32 size, const void *unsafe_ptr)", reads: true },
  { id: 117, name: "send_signal_thread", signature: "long bpf_send_signal_thread(u32 sig)", changes: "sends signals to threads (can kill them)" },
  { id: 120, name: "get_ns_current_pid_tgid", signature: "long bpf_get_ns_current_pid_tgid(u64 dev, u64 ino, struct bpf_pidns_info *nsdata, u32 size)" },
  { id: 130, name: "ringbuf_output", signature: "long bpf_ringbuf_output(void *ringbuf, void *data, u64 size, u64 flags)" },
  { id: 131, name: "ringbuf_reserve", signature: "void *bpf_ringbuf_reserve(void *ringbuf, u64 size, u64 flags)" },
  { id: 132, name: "ringbuf_submit", signature: "void bpf_ringbuf_submit(void *data, u64 flags)" },
  { id: 133, name: "ringbuf_discard", signature: "void bpf_ringbuf_discard(void *data, u64 flags)" },
  { id: 79, name: "skb_cgroup_id", signature: "u64 bpf_skb_cgroup_id(struct sk_buff *skb)" },
  { id: 166, name: "sys_bpf", signature: "long bpf_sys_bpf(u32 cmd, union bpf_attr *attr, u32 attr_size)", changes: "runs bpf() commands from the kernel" },
  { id: 174, name: "get_attach_cookie", signature: "u64 bpf_get_attach_cookie(void *ctx)" },
  { id: 189, name: "xdp_load_bytes", signature: "long bpf_xdp_load_bytes(struct xdp_buff *xdp_md, u32 offset, void *buf, u32 len)" },
] as const satisfies readonly KernelHelper[];

export type KernelHelperName = (typeof KERNEL_HELPERS)[number]["name"];

/** Helper ids by name, for the code generator: `Helper.map_lookup_elem` is 1. */
export const Helper = Object.fromEntries(KERNEL_HELPERS.map((h) => [h.name, h.id])) as { readonly [N in KernelHelperName]: Extract<(typeof KERNEL_HELPERS)[number], { name: N }>["id"] };

const BY_ID = new Map<number, KernelHelper>(KERNEL_HELPERS.map((h) => [h.id, h]));

/** The helper with this id, if the table has it. */
export function kernelHelper(id: number): KernelHelper | undefined {
  return BY_ID.get(id);
}

/** A helper call as plan and dump name it: "bpf_map_lookup_elem", or "helper #N" for one the table lacks. */
export function helperLabel(id: number): string {
  const h = BY_ID.get(id);
  return h ? `bpf_${h.name}` : `helper #${id}`;
}

export interface HandlerHelper {
  /** What it gives, for `tsbpf help`-style listings and the compiler's messages. */
  doc: string;
  /** The kernel helpers its code calls (none: it reads what the program has). */
  calls: readonly KernelHelperName[];
}

/**
 * The helpers handler code calls, by the name it calls them: each is a stub that handler code
 * imports (and that throws in ordinary JavaScript) and a builtin the compiler lowers.
 */
export const HANDLER_HELPERS = {
  pid: { doc: "process id (the kernel's tgid) of the current task, u32", calls: ["get_current_pid_tgid", "get_ns_current_pid_tgid"] },
  tid: { doc: "thread id (the kernel's pid) of the current task, u32", calls: ["get_current_pid_tgid", "get_ns_current_pid_tgid"] },
  uid: { doc: "real user id of the current task, u32", calls: ["get_current_uid_gid"] },
  gid: { doc: "real group id of the current task, u32", calls: ["get_current_uid_gid"] },
  ktime: { doc: "nanoseconds since boot (CLOCK_MONOTONIC), u64", calls: ["ktime_get_ns"] },
  cpu: { doc: "the CPU the handler runs on, u32", calls: ["get_smp_processor_id"] },
  ppid: { doc: "process id of the current task's parent (task->real_parent->tgid), u32", calls: ["get_current_task", "probe_read_kernel"] },
  kstack: { doc: "the kernel stack of the current task, as a KStack (an id into the tracer's stack map; printed as frames)", calls: ["get_stackid"] },
  ustack: { doc: "the user stack of the current task, as a UStack (the stack id and the pid, for symbolizing)", calls: ["get_stackid", "get_current_pid_tgid"] },
  probe: { doc: "the probe that fired, as a ProbeName (a number in the kernel, its name in JavaScript: \"kprobe:tcp_connect\")", calls: ["get_attach_cookie"] },
  cgroup: { doc: "the id of the current task's cgroup (v2), u64: what cgroupId(path) gives for its directory", calls: ["get_current_cgroup_id"] },
  ksym: { doc: "ksym(address) is a kernel address (a tracepoint's call_site or function field) as a KSym: in JavaScript, and printed, the name of the kernel function holding it, as bpftrace's ksym()", calls: [] },
  usym: { doc: "usym(address) is a user address (reg(\"ip\") in a uprobe or profile) and the current process, as a USym: in JavaScript, and printed, the name of the function holding it in that process, as bpftrace's usym()", calls: ["get_current_pid_tgid", "get_ns_current_pid_tgid"] },
  ntop: { doc: "ntop(address) or ntop(family, address) is an IPv4 address (a 32-bit integer, 4 bytes) or an IPv6 one (16 bytes) as an Inet: in JavaScript, and printed, \"127.0.0.1\" or \"::1\", as bpftrace's ntop()", calls: ["probe_read_kernel", "probe_read_user"] },
  reg: { doc: "reg(\"ip\") is a register the probe stopped at (kprobe, uprobe, usdt, profile), u64, as bpftrace's reg(): the names are struct pt_regs's (ip, sp, bp, ax, di, ...)", calls: [] },
  cgroupName: { doc: "cgroupName(id) is the cgroup id `id` (e.g. cgroup()) as a Cgroup: in JavaScript, and printed, its path and container id", calls: [] },
  curtask: { doc: "the current task (struct task_struct *): read its fields, e.g. curtask().real_parent.tgid", calls: ["get_current_task"] },
  user: { doc: "user<T>(p): the pointer or address p, seen as pointing to kernel struct T in the traced process's memory (read with bpf_probe_read_user)", calls: [] },
  kernel: { doc: "kernel<T>(p): the pointer or address p, seen as pointing to kernel struct T in kernel memory (read with bpf_probe_read_kernel)", calls: [] },
  comm: { doc: "the current task's command name, Str<16>", calls: ["get_current_comm"] },
  override: { doc: "override(value) in a @kprobe handler makes the probed function return value (e.g. -2, ENOENT) without running: fault injection, only on functions the kernel lists as error-injectable", calls: ["override_return"] },
  str: { doc: "str(p, n?) reads a NUL-terminated string from a user or kernel pointer (or a tracepoint's string field)", calls: ["probe_read_user_str", "probe_read_kernel_str", "probe_read_str"] },
  xdpLoad: { doc: "xdpLoad(ctx, offset, size) reads 1, 2, 4 or 8 bytes of the packet an @xdp handler sees, from its Ethernet header, in the packet's byte order (0 past its end)", calls: ["xdp_load_bytes"] },
  skbCgroup: { doc: "skbCgroup(skb) is the id of the cgroup (v2) of the socket a @cgroupSkb handler's packet belongs to, u64: key per-cgroup counts by it (cgroupName(skbCgroup(skb)) prints its path)", calls: ["skb_cgroup_id"] },
  skbLoad: { doc: "skbLoad(skb, offset, size) reads 1, 2, 4 or 8 bytes of the packet from its network header, in the packet's byte order (0 past its end)", calls: ["skb_load_bytes"] },
} as const satisfies Record<string, HandlerHelper>;

export type HandlerHelperName = keyof typeof HANDLER_HELPERS;
