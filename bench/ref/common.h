// Shared by the hand-written libbpf reference programs: the pid filter and loss counting.
// No vmlinux.h and no kernel headers: tracepoint programs here only need their context pointer.
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

// Set by the loader before load (it finds this variable in .rodata through BTF), so the
// verifier sees a constant, just as tsbpf's handlers compare against a literal.
const volatile __u32 target_pid = 0;

// Events the program could not submit because the ring buffer was full, per CPU.
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} lost SEC(".maps");

static __always_inline int is_target(void) {
  return (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

static __always_inline void count_lost(void) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&lost, &zero);
  if (n) *n += 1;
}

// Reserve, fill, submit: the same shape as tsbpf's RingBuf.submit.
#define SUBMIT(rb, type, fill)                        \
  do {                                                \
    type *e = bpf_ringbuf_reserve(&rb, sizeof *e, 0); \
    if (!e) {                                         \
      count_lost();                                   \
      break;                                          \
    }                                                 \
    fill;                                             \
    bpf_ringbuf_submit(e, 0);                         \
  } while (0)

#define RINGBUF(name)                      \
  struct {                                 \
    __uint(type, BPF_MAP_TYPE_RINGBUF);    \
    __uint(max_entries, 256 * 1024);       \
  } name SEC(".maps")
