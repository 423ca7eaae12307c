// Streaming: every getppid() of the generator becomes a {pid, u64 counter, comm[16]} event.
// The counter is bpf_ktime_get_ns(), as in the tsbpf and bpftrace versions (tsbpf has no
// counter map yet), so every tool does the same work per event.
#include "common.h"

struct event {
  __u32 pid;
  __u64 counter;
  char comm[16];
};
RINGBUF(events);

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx) {
  if (!is_target()) return 0;
  SUBMIT(events, struct event, (e->pid = target_pid, e->counter = bpf_ktime_get_ns(),
                                bpf_get_current_comm(e->comm, sizeof e->comm)));
  return 0;
}
