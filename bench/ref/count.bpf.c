// In-kernel aggregation: every getppid() of the generator counts one more for its pid in a
// per-CPU hash map (what bpftrace's @[pid] = count() and tsbpf's Count compile to).
#include "common.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 10240);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx) {
  if (!is_target()) return 0;
  __u32 key = target_pid;
  __u64 *n = bpf_map_lookup_elem(&counts, &key);
  if (n) {
    *n += 1;
  } else {
    __u64 one = 1;
    bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
  }
  return 0;
}
