// Streaming through a perf buffer: the same event as stream.bpf.c, built on the stack and
// copied into the current CPU's buffer with bpf_perf_event_output, as tsbpf's PerfBuffer does.
#include "common.h"

struct event {
  __u32 pid;
  __u64 counter;
  char comm[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx) {
  if (!is_target()) return 0;
  struct event e = {.pid = target_pid, .counter = bpf_ktime_get_ns()};
  bpf_get_current_comm(e.comm, sizeof e.comm);
  if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof e)) count_lost();
  return 0;
}
