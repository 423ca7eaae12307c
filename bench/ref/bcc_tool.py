#!/usr/bin/python3
# The bcc (Python) versions of the benchmark tools, one per mode:
#
#   bcc_tool.py launch1|launch5|stream|count PID
#
# Same behaviour as bench/ref/loader.c: "READY" once attached, "E <pid>" for the first event,
# and on SIGINT "received=N lost=M". Needs BCC_KERNEL_SOURCE (bench/run.sh sets it to a merge
# of Debian's 6.1 header trees, since this kernel ships no headers).
import signal
import sys
from bcc import BPF

COMMON = r"""
BPF_PERCPU_ARRAY(lost, u64, 1);
static inline void count_lost(void) { int zero = 0; u64 *n = lost.lookup(&zero); if (n) *n += 1; }
#define IS_TARGET() ((bpf_get_current_pid_tgid() >> 32) == PID)
"""

LAUNCH1 = r"""
struct call { u32 pid; };
BPF_RINGBUF_OUTPUT(events, 64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
  if (!IS_TARGET()) return 0;
  struct call *e = events.ringbuf_reserve(sizeof(*e));
  if (!e) { count_lost(); return 0; }
  e->pid = PID;
  events.ringbuf_submit(e, 0);
  return 0;
}
"""

# bcc rejects map calls inside C macros, so the five probes are written out in Python.
PROBE = r"""
TRACEPOINT_PROBE(syscalls, sys_enter_NAME) {
  if (!IS_TARGET()) return 0;
  struct call *e = RB.ringbuf_reserve(sizeof(*e));
  if (!e) { count_lost(); return 0; }
  e->pid = PID; e->nr = NR;
  RB.ringbuf_submit(e, 0);
  return 0;
}
"""
LAUNCH5 = r"""
struct call { u32 pid; u32 nr; };
BPF_RINGBUF_OUTPUT(calls, 64);
BPF_RINGBUF_OUTPUT(ids, 64);
""" + "".join(PROBE.replace("NAME", name).replace("RB", rb).replace("NR", str(nr))
              for name, rb, nr in [("getppid", "calls", 110), ("getpid", "ids", 39), ("gettid", "ids", 186),
                                   ("getuid", "ids", 102), ("getgid", "ids", 104)])

STREAM = r"""
struct event { u32 pid; u64 counter; char comm[16]; };
BPF_RINGBUF_OUTPUT(events, 64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
  if (!IS_TARGET()) return 0;
  struct event *e = events.ringbuf_reserve(sizeof(*e));
  if (!e) { count_lost(); return 0; }
  e->pid = PID;
  e->counter = bpf_ktime_get_ns();
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  events.ringbuf_submit(e, 0);
  return 0;
}
"""

# A plain hash (increment is an atomic add): bcc 0.26's increment on a BPF_PERCPU_HASH counted
# nothing on this kernel.
COUNT = r"""
BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
  if (!IS_TARGET()) return 0;
  u32 key = PID;
  counts.increment(key);
  return 0;
}
"""

mode, pid = sys.argv[1], int(sys.argv[2])
text = COMMON.replace("PID", str(pid)) + {"launch1": LAUNCH1, "launch5": LAUNCH5, "stream": STREAM, "count": COUNT}[mode].replace("PID", str(pid))
b = BPF(text=text)  # compiles, loads and attaches every TRACEPOINT_PROBE
received = 0


def on_event(table):
    def callback(ctx, data, size):
        global received
        event = table.event(data)  # decode into a ctypes struct, as user code would
        if received == 0:
            print(f"E {event.pid}", flush=True)
        received += 1
    return callback


for name in {"launch5": ("calls", "ids"), "count": ()}.get(mode, ("events",)):
    b[name].open_ring_buffer(on_event(b[name]))
# A flag, not KeyboardInterrupt: an exception raised inside a ctypes callback is swallowed.
exiting = False


def on_signal(signum, frame):
    global exiting
    exiting = True


signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)
print("READY", flush=True)
if mode == "count":
    while not exiting:
        signal.pause()
    counts = b["counts"]
    try:
        n = counts[counts.Key(pid)].value
    except KeyError:
        n = 0
    print(f"count={n}", flush=True)
    sys.exit(0)
while not exiting:
    b.ring_buffer_poll(100)
b.ring_buffer_consume()
print(f"received={received} lost={sum(b['lost'][0])}", flush=True)
