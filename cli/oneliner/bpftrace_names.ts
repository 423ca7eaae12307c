// What bpftrace calls by other names than tsbpf (cli/oneliner/bpftrace_syntax.ts): its short
// names of perf events, and what to write instead of its builtins that tsbpf has no form of.

/** bpftrace's short names of perf events, as perf (and perfEvent()) spells them. */
export const PERF_NAMES: Record<string, string> = {
  cpu: "cpu-clock", faults: "page-faults", cs: "context-switches", migrations: "cpu-migrations",
  cycles: "cpu-cycles", branches: "branch-instructions", "frontend-stalls": "stalled-cycles-frontend", "backend-stalls": "stalled-cycles-backend",
};

/** What to write instead of a bpftrace builtin tsbpf has no form of (in a one-liner, or a script). */
export const INSTEAD: Record<string, string> = {
  kaddr: "read the kernel symbol's value through a typed kprobe parameter instead",
  func: "in a one-liner each probe has its own handler: probe() names it (\"kprobe:vfs_read\")",
  username: "print the uid; user names are user space's (getent passwd UID)",
  strncmp: "strncmp(s, \"text\", n) == 0 translates (a prefix test); otherwise compare in TypeScript: str(p).startsWith(\"text\"), or === with a literal or another string",
  strcontains: "compare with === or a prefix with .startsWith(\"text\") in TypeScript",
  jiffies: "use ktime() (nanoseconds)",
  zero: "clear($) or clear($.name) in user space (the keys go, where bpftrace's zero keeps them at 0)",
  nsecs: "tsbpf's ktime() is nsecs(monotonic), bpftrace's plain nsecs; there is no boot or tai clock",
  strftime: "strftime(\"%H:%M:%S\", nsecs) translates as a printf value in a probe (the event's time); in BEGIN, END or interval print the time with time(\"%H:%M:%S \")",
  sizeof: "write the size as a number",
  offsetof: "read the field through a typed parameter instead",
  system: "bpftrace runs it only with --unsafe, in user space as each event arrives; tsbpf runs no commands from probes: print what the command needs (printf(\"%d\\n\", pid())) and run it from the shell that reads tsbpf's output (tsbpf -e '...' | while read p; do ls /proc/$p; done), or write a script whose event listener runs it (node:child_process)",
  cat: "bpftrace reads the file in user space as each event arrives; tsbpf reads no files from probes: print what names the file (printf(\"%d\\n\", pid())) and read it from the shell that reads tsbpf's output (tsbpf -e '...' | while read p; do cat /proc/$p/status; done), or write a script whose event listener reads it (node:fs)",
  signal: "tsbpf sends no signals from probes",
  override: "tsbpf does not change return values from one-liners; see docs/fault_injection.md for scripts",
  buf: "print the bytes with str(p, N) if they are text",
  rand: "tsbpf has no random numbers in handlers: sample with a condition on ktime() or pid() instead (ktime() % 100 == 0)",
  numaid: "print cpu() (the CPU's NUMA node is in /sys/devices/system/cpu/cpuN/)",
  usermode: "tsbpf has no form of it: a profile() probe's ustack() is empty when the CPU was in the kernel",
  cgroupid: "trace one cgroup with tsbpf --cgroup PATH -e '...'; or compare cgroup() == $1, giving the directory's inode number as $1 (stat -c %i PATH)",
  cgroup_path: "print cgroupName(cgroup()): it prints as the container, or the cgroup's path",
  uaddr: "tsbpf reads no user symbols' addresses: attach uprobe(\"/path:symbol\", ...) to the function instead",
  kptr: "not needed: a pointer read from the kernel is already read as kernel memory",
  uptr: "read it as user memory with user<struct_name>(p), or str(p) for a string",
  macaddr: "print the six bytes with printf(\"%02x:...\") of each, or use a script (docs/network.md)",
  path: "print the name of the file's dentry: str(file.f_path.dentry.d_name.name) (the last part of the path)",
  len: "tsbpf has no form of it: a stack's depth is chosen with kstack(N) or ustack(N)",
  has_key: "a map read gives 0 for an absent key: test $.name[key] != 0 (store 1 or more for the keys you set)",
  bswap: "swap the bytes with shifts and masks ((x >> 8) | ((x & 0xff) << 8) for 16 bits)",
  pton: "write the address as a number (10.0.0.1 is 0x0100000a in network byte order) or use an LpmTrieMap in a script (docs/network.md)",
  socket_cookie: "tsbpf has no form of it in one-liners",
  skboutput: "tsbpf has no form of it: use a @socketFilter or @cgroupSkb script (docs/network.md)",
  percpu_kaddr: "tsbpf has no form of it",
  uint8: "write (x as u8) in TypeScript", uint16: "write (x as u16) in TypeScript", uint32: "write (x as u32) in TypeScript", uint64: "write (x as u64) in TypeScript",
  int8: "write (x as i8) in TypeScript", int16: "write (x as i16) in TypeScript", int32: "write (x as i32) in TypeScript", int64: "write (x as i64) in TypeScript",
};
