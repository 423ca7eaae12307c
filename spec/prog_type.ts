// The BPF program types tsbpf compiles and loads (enum bpf_prog_type, include/uapi/linux/bpf.h):
// one table for the compiler, which decides what a program's context holds by its type, and for
// runtime/bpf.ts, which loads it as that type.
export const ProgType = {
  SOCKET_FILTER: 1, KPROBE: 2, TRACEPOINT: 5, XDP: 6, PERF_EVENT: 7, CGROUP_SKB: 8, RAW_TRACEPOINT: 17, TRACING: 26, SYSCALL: 31,
} as const;
