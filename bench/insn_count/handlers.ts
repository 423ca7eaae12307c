// The tsbpf side of the instruction-count benchmark: each handler has a twin of the same name
// in handlers.bpf.c that does the same work, for the same program type. bench/insn_count/run.ts
// compiles both, loads both and compares the instruction counts the kernel reports.
// Written as a tracing user would write them; not meant to be run on its own.
import { comm, curtask, ktime, pid, ppid, RingBuf, rawTracepoint, str, tid, Tracer, tracepoint, uid, type i32, type Str, type u32, type u64 } from "tsbpf";

interface Stream {
  pid: u32;
  counter: u64;
  comm: Str<16>;
}

interface Exec {
  ts: u64;
  pid: u32;
  ppid: u32;
  comm: Str<16>;
  filename: Str<256>;
}

interface Open {
  pid: u32;
  comm: Str<16>;
  flags: i32;
  filename: Str<256>;
}

interface Kill {
  pid: u32;
  tid: u32;
  uid: u32;
  target: i32;
  sig: i32;
}

function clamp(x: i32, lo: i32, hi: i32): i32 {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

function mix(x: u32): u32 {
  let h = x;
  h ^= h >> 16;
  h *= 0x45d9f3b;
  h ^= h >> 16;
  h *= 0x45d9f3b;
  h ^= h >> 16;
  return h;
}

export class InsnCount extends Tracer {
  streamEvents = new RingBuf<Stream>();
  execEvents = new RingBuf<Exec>();
  openEvents = new RingBuf<Open>();
  killEvents = new RingBuf<Kill>();

  /** A pid filter alone. */
  @tracepoint("syscalls:sys_enter_getppid")
  pid_filter() {
    if (pid() !== 4242) return 0;
    return 1;
  }

  /** The streaming benchmark's handler: filter, then a small event with the clock and comm. */
  @tracepoint("syscalls:sys_enter_getppid")
  stream() {
    if (pid() !== 4242) return;
    this.streamEvents.submit({ pid: pid(), counter: ktime(), comm: comm() });
  }

  /** execsnoop: time, pid, parent pid (through task_struct), comm, the program's path. */
  @tracepoint("syscalls:sys_enter_execve")
  execsnoop(args: any) {
    this.execEvents.submit({ ts: ktime(), pid: pid(), ppid: ppid(), comm: comm(), filename: str(args.filename) });
  }

  /** opensnoop: pid, comm, flags, path. */
  @tracepoint("syscalls:sys_enter_openat")
  opensnoop(args: any) {
    this.openEvents.submit({ pid: pid(), comm: comm(), flags: args.flags, filename: str(args.filename) });
  }

  /** killsnoop-like: only root's signals, with ids and the syscall's arguments. */
  @tracepoint("syscalls:sys_enter_kill")
  killsnoop(args: any) {
    if (uid() !== 0) return;
    this.killEvents.submit({ pid: pid(), tid: tid(), uid: uid(), target: args.pid, sig: args.sig });
  }

  /** The parent's pid through two kernel pointers (BTF / CO-RE). */
  @tracepoint("syscalls:sys_enter_getppid")
  task_parent() {
    return curtask().real_parent.tgid;
  }

  /** A switch over the syscall number: a category per syscall. */
  @rawTracepoint("sys_enter")
  syscall_class(args: any) {
    switch (args.id) {
      case 0: case 17: case 19: return 1;
      case 1: case 18: case 20: return 2;
      case 2: case 257: return 3;
      case 3: return 4;
      case 59: case 322: return 5;
      default: return 0;
    }
  }

  /** Set bits of the low 16 bits of the syscall number, in a bounded loop. */
  @rawTracepoint("sys_enter")
  bit_count(args: any) {
    const x = args.id as u32;
    let n: u32 = 0;
    for (let i = 0; i < 16; i++) n += (x >> i) & 1;
    return n;
  }

  /** Inlined functions over signed 32-bit values. */
  @rawTracepoint("sys_enter")
  clamp_args(args: any) {
    const a = clamp(args.id as i32, 0, 400);
    const b = clamp((args.id as i32) - 1000, -50, 50);
    return a * 2 + b;
  }

  /** u32 hash mixing: multiplies and shifts that wrap at 32 bits. */
  @rawTracepoint("sys_enter")
  hash_u32(args: any) {
    return mix(args.id as u32);
  }

  /** Nested ternaries and comparisons on a 64-bit value. */
  @rawTracepoint("sys_enter")
  ternary(args: any) {
    const id = args.id;
    return id < 100 ? id * 2 : id > 400 ? id - 400 : id & 7;
  }

  /** sched_switch: kernel struct fields of both tasks. */
  @rawTracepoint("sched_switch")
  sched_switch(args: any) {
    const prev = args.prev;
    const next = args.next;
    if (prev.tgid === next.tgid) return 0;
    return next.pid - prev.pid;
  }
}
