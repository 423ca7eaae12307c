// Launch → first event, 5 probes + 2 ring buffers. Only getppid fires (the generator calls
// nothing else); the other four exist to measure the cost of loading and attaching them.
#include "common.h"

struct call { __u32 pid; __u32 nr; };
RINGBUF(calls);
RINGBUF(ids);

#define PROBE(name, rb, number)                                         \
  SEC("tp/syscalls/sys_enter_" #name)                                   \
  int on_##name(void *ctx) {                                            \
    if (!is_target()) return 0;                                         \
    SUBMIT(rb, struct call, (e->pid = target_pid, e->nr = number));     \
    return 0;                                                           \
  }

PROBE(getppid, calls, 110)
PROBE(getpid, ids, 39)
PROBE(gettid, ids, 186)
PROBE(getuid, ids, 102)
PROBE(getgid, ids, 104)
