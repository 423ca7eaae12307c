// The C side of the instruction-count benchmark: each program is the twin of the handler of the
// same name in handlers.ts and does the same work (the same helper calls, reads and event
// fields), for the same program type. Built by run.ts with `clang -O2 -g -target bpf` against a
// vmlinux.h that bpftool generates from this kernel's BTF; loaded with `bpftool prog loadall`.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

// Events a program could not submit because its ring buffer was full (tsbpf's loss counter).
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, __u64);
} lost SEC(".maps");

#define RINGBUF(name)                   \
  struct {                              \
    __uint(type, BPF_MAP_TYPE_RINGBUF); \
    __uint(max_entries, 256 * 1024);    \
  } name SEC(".maps")

RINGBUF(stream_events);
RINGBUF(exec_events);
RINGBUF(open_events);
RINGBUF(kill_events);

static __always_inline void count_lost(__u32 key) {
  __u64 *n = bpf_map_lookup_elem(&lost, &key);
  if (n) *n += 1;
}

// Reserve, fill, submit; count a loss when the buffer is full (as tsbpf's RingBuf.submit).
#define SUBMIT(rb, type, key, fill)                   \
  do {                                                \
    type *e = bpf_ringbuf_reserve(&rb, sizeof *e, 0); \
    if (!e) {                                         \
      count_lost(key);                                \
      break;                                          \
    }                                                 \
    fill;                                             \
    bpf_ringbuf_submit(e, 0);                         \
  } while (0)

static __always_inline __u32 pid(void) { return bpf_get_current_pid_tgid() >> 32; }
static __always_inline __u32 tid(void) { return (__u32)bpf_get_current_pid_tgid(); }
static __always_inline __u32 uid(void) { return (__u32)bpf_get_current_uid_gid(); }
static __always_inline __u32 ppid(void) {
  struct task_struct *task = (void *)bpf_get_current_task();
  return BPF_CORE_READ(task, real_parent, tgid);
}

struct stream { __u32 pid; __u64 counter; char comm[16]; };
struct exec { __u64 ts; __u32 pid; __u32 ppid; char comm[16]; char filename[256]; };
struct open { __u32 pid; char comm[16]; __s32 flags; char filename[256]; };
struct kill { __u32 pid; __u32 tid; __u32 uid; __s32 target; __s32 sig; };

SEC("tp/syscalls/sys_enter_getppid")
int pid_filter(void *ctx) {
  if (pid() != 4242) return 0;
  return 1;
}

SEC("tp/syscalls/sys_enter_getppid")
int stream(void *ctx) {
  if (pid() != 4242) return 0;
  SUBMIT(stream_events, struct stream, 1,
         (e->pid = pid(), e->counter = bpf_ktime_get_ns(), bpf_get_current_comm(e->comm, sizeof e->comm)));
  return 0;
}

SEC("tp/syscalls/sys_enter_execve")
int execsnoop(struct trace_event_raw_sys_enter *ctx) {
  SUBMIT(exec_events, struct exec, 2,
         (e->ts = bpf_ktime_get_ns(), e->pid = pid(), e->ppid = ppid(),
          bpf_get_current_comm(e->comm, sizeof e->comm),
          bpf_probe_read_user_str(e->filename, sizeof e->filename, (void *)ctx->args[0])));
  return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int opensnoop(struct trace_event_raw_sys_enter *ctx) {
  SUBMIT(open_events, struct open, 3,
         (e->pid = pid(), bpf_get_current_comm(e->comm, sizeof e->comm), e->flags = ctx->args[2],
          bpf_probe_read_user_str(e->filename, sizeof e->filename, (void *)ctx->args[1])));
  return 0;
}

SEC("tp/syscalls/sys_enter_kill")
int killsnoop(struct trace_event_raw_sys_enter *ctx) {
  if (uid() != 0) return 0;
  SUBMIT(kill_events, struct kill, 4,
         (e->pid = pid(), e->tid = tid(), e->uid = uid(), e->target = ctx->args[0], e->sig = ctx->args[1]));
  return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int task_parent(void *ctx) {
  return ppid();
}

SEC("raw_tp/sys_enter")
int syscall_class(struct bpf_raw_tracepoint_args *ctx) {
  switch ((long)ctx->args[1]) {
    case 0: case 17: case 19: return 1;
    case 1: case 18: case 20: return 2;
    case 2: case 257: return 3;
    case 3: return 4;
    case 59: case 322: return 5;
    default: return 0;
  }
}

SEC("raw_tp/sys_enter")
int bit_count(struct bpf_raw_tracepoint_args *ctx) {
  __u32 x = ctx->args[1];
  __u32 n = 0;
  for (int i = 0; i < 16; i++) n += (x >> i) & 1;
  return n;
}

static __always_inline int clamp(int x, int lo, int hi) {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

SEC("raw_tp/sys_enter")
int clamp_args(struct bpf_raw_tracepoint_args *ctx) {
  int a = clamp((int)ctx->args[1], 0, 400);
  int b = clamp((int)ctx->args[1] - 1000, -50, 50);
  return a * 2 + b;
}

static __always_inline __u32 mix(__u32 h) {
  h ^= h >> 16;
  h *= 0x45d9f3b;
  h ^= h >> 16;
  h *= 0x45d9f3b;
  h ^= h >> 16;
  return h;
}

SEC("raw_tp/sys_enter")
int hash_u32(struct bpf_raw_tracepoint_args *ctx) {
  return mix(ctx->args[1]);
}

SEC("raw_tp/sys_enter")
int ternary(struct bpf_raw_tracepoint_args *ctx) {
  long id = ctx->args[1];
  return id < 100 ? id * 2 : id > 400 ? id - 400 : id & 7;
}

SEC("raw_tp/sched_switch")
int sched_switch(struct bpf_raw_tracepoint_args *ctx) {
  struct task_struct *prev = (void *)ctx->args[1], *next = (void *)ctx->args[2];
  if (BPF_CORE_READ(prev, tgid) == BPF_CORE_READ(next, tgid)) return 0;
  return BPF_CORE_READ(next, pid) - BPF_CORE_READ(prev, pid);
}
