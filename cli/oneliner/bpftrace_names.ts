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
  ntop: "print the address as a number (or use a script: docs/network.md)",
  uint8: "write (x as u8) in TypeScript", uint16: "write (x as u16) in TypeScript", uint32: "write (x as u32) in TypeScript", uint64: "write (x as u64) in TypeScript",
  int8: "write (x as i8) in TypeScript", int16: "write (x as i16) in TypeScript", int32: "write (x as i32) in TypeScript", int64: "write (x as i64) in TypeScript",
};
