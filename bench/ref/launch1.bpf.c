// Launch → first event, 1 probe: the generator's getppid() calls into one ring buffer.
#include "common.h"

struct call { __u32 pid; };
RINGBUF(events);

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx) {
  if (!is_target()) return 0;
  SUBMIT(events, struct call, e->pid = target_pid);
  return 0;
}
