// strace: system calls with their arguments decoded, one line each, of a command, a process
// (and its children) or the whole machine. `comm/tid call(args) = result <seconds>`, as in
// `cat/4242 openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3 <0.000011>`.
// Like `strace -f` and `perf trace`, without stopping the traced
// process at each call (ptrace): paths, socket addresses, timespecs, write() and read() buffers
// and stat results are read in the kernel (at entry, or at exit for what the call fills in).
// Which arguments are strings or structs comes from this kernel's syscalls:sys_enter_* format
// files; open/mmap/at flags, socket families, signals and errno are printed by name.
//
//   sudo bun run examples/strace.ts [-f] [-c] [-p PID] [-e trace=open,openat|%file] [--duration S] [--json]
//   sudo deno run --allow-ffi examples/strace.ts -p 1234 -f
//   sudo tsbpf -c 'make -j2' run examples/strace.ts -f        (a command: tsbpf holds it until the probes are attached)
//
// Without -p or a command it traces every process (but itself), as `perf trace -a` does.
// A call that has not returned after 100 ms is printed with "..." and finished later with
// "... [continued]: name()) = result", as perf trace does.
import process from "node:process";
import { ArrayMap, comm, Count, curtask, HashMap, ktime, LruHashMap, pid, RingBuf, str, Sum, tid, Tracer, tracepoint, user, type i64, type Str, type TracepointArgs, type u16, type u32, type u64, type u8 } from "tsbpf";
import { emit, notice, parseToolArgs, processExited, readTextFile, requireTracepoints, runTool, type SyscallArgument, syscallArguments, syscallName, usageError } from "tsbpf/tool";

/** `kind` of an event: ARG is one of execve's arguments (`nr` its index, `str0` its text), ENVC its environment's size. */
export const ENTER = 0, EXIT = 1, EXITED = 2, ARG = 3, ENVC = 4;
/** execve arguments shown, and environment strings counted, as strace does by default. */
const MAX_ARGS = 32, MAX_ENV = 512;

// What each system call needs read in the kernel, packed in its entry of `specs`: the argument
// (1 to 6; 0: none) in each 3-bit field, and what the pointer saved for the exit points to.
const ENABLED = 1, STRING = 1, STRING2 = 4, SOCKADDR = 7, DATA = 10, OUT = 13, TIMESPEC = 16, OUT_KIND = 19, OUT_LEN = 22;
const OUT_DATA = 1, OUT_STAT = 2, OUT_SOCKADDR = 3, OUT_STATX = 4;
/** The fields read at entry: strings, sockaddr, data, timespec. */
const PAYLOAD_MASK = 0x71ffe;

export interface SyscallEvent {
  kind: u8;
  nr: u32;
  pid: u32;
  tid: u32;
  /** At exit: the result (or minus the errno); EXITED: the task's exit_code. */
  ret: i64;
  /** At entry: ktime; at exit: nanoseconds the call took. */
  ns: u64;
  args: [u64, u64, u64, u64, u64, u64];
  comm: Str<16>;
  str0: Str<256>;
  /** A second path, or a unix socket's path. */
  str1: Str<256>;
  /** write()'s data at entry, read()'s at exit: up to 64 bytes, to the first NUL. */
  data: Str<64>;
  family: u16;
  /** In network byte order, as the sockaddr holds it. */
  port: u16;
  addr4: u32;
  addr6: [u32, u32, u32, u32];
  mode: u32;
  /** The value behind an `int *` length the kernel fills in (accept's addrlen), at exit. */
  len: u32;
  size: i64;
  sec: i64;
  nsec: i64;
}

// The kernel structs the handlers read, for the editor (the compiler reads them from BTF).
interface sockaddr { sa_family: u16 }
interface sockaddr_in { sin_port: u16; sin_addr: { s_addr: u32 } }
interface sockaddr_in6 { sin6_port: u16; sin6_scope_id: u32; sin6_addr: { in6_u: { u6_addr32: [u32, u32, u32, u32] } } }
interface stat { st_mode: u32; st_size: i64 }
interface statx { stx_mask: u32; stx_attributes: u64; stx_mode: u16; stx_size: u64 }
/** Also the way to read one u32 of user memory (an `int *` result): the kernel's struct of one u32. */
interface in_addr { s_addr: u32 }
interface __kernel_timespec { tv_sec: i64; tv_nsec: i64 }

interface Inflight {
  nr: u32;
  ts: u64;
  out: u64;
  outKind: u32;
  /** The first string argument, read again at exit when the entry found its page not yet in memory. */
  path: u64;
  /** The `int *` length of a sockaddr the kernel fills in (accept's upeer_addrlen). */
  outLen: u64;
}

/** Argument `i` (1-6) of the call, 0 for none: which one carries a payload is data, from `specs`. */
function argAt(args: TracepointArgs, i: u32): u64 {
  switch (i) {
    case 1: return args.args[0];
    case 2: return args.args[1];
    case 3: return args.args[2];
    case 4: return args.args[3];
    case 5: return args.args[4];
    case 6: return args.args[5];
  }
  return 0n;
}

export class Strace extends Tracer {
  events = new RingBuf<SyscallEvent>(8 << 20);
  /** Per system call number: ENABLED and where its payloads are (see above); 0: not traced. */
  specs = new ArrayMap<u32>(512);
  /** The processes traced when `onlyTraced` (by pid); children join with `follow`. */
  traced = new HashMap<u32, u8>(32768);
  /** Calls entered and not yet returned, by thread. LRU: a thread killed inside a call never returns from it, and its entry must not fill the map. */
  inflight = new LruHashMap<u32, Inflight>(32768);
  calls = new Count<u32>(512);
  errors = new Count<u32>(512);
  nanoseconds = new Sum<u32>(512);
  /** This process, never traced. */
  selfPid: u32 = 0;
  /** Trace only `targetPid` and the processes in `traced` (its children, with -f); else every process. */
  onlyTraced = false;
  /** -p PID, or the command `tsbpf -c` holds: fixed before the probes attach, so its first call is seen. */
  targetPid: u32 = 0;
  /**
   * targetPid is tsbpf's holding shell, which runs a few calls of its own once released: it is
   * traced from its successful execve of the command on (as strace starts at its execve).
   */
  command = false;
  execveNr: u32 = 59;
  execveatNr: u32 = 322;
  /** Each traced call's entry in `specs`, written in begin(): before start() resolves (and so before `tsbpf -c` releases its command). */
  specTable: [number, number][] = [];
  /** New children of traced processes are traced (-f). */
  follow = false;
  /** Count in the kernel (-c) instead of sending each call. */
  summary = false;

  @tracepoint("raw_syscalls:sys_enter")
  onEnter(args: TracepointArgs) {
    const p = pid();
    if (p === this.selfPid) return;
    const nr = args.id as u32;
    if (this.onlyTraced && !this.traced.has(p)) {
      if (p !== this.targetPid) return;
      if (this.command && nr !== this.execveNr && nr !== this.execveatNr) return;
    }
    const spec = this.specs.get(nr)!;
    if ((spec & ENABLED) === 0) return;
    const t = tid(), now = ktime();
    this.inflight.set(t, { nr, ts: now, out: argAt(args, (spec >> OUT) & 7), outKind: (spec >> OUT_KIND) & 7, path: argAt(args, (spec >> STRING) & 7), outLen: argAt(args, (spec >> OUT_LEN) & 7) });
    if (this.summary) return;
    const all: [u64, u64, u64, u64, u64, u64] = [args.args[0], args.args[1], args.args[2], args.args[3], args.args[4], args.args[5]];
    const sa = argAt(args, (spec >> SOCKADDR) & 7), ts = argAt(args, (spec >> TIMESPEC) & 7);
    if ((spec & PAYLOAD_MASK) === 0) {
      this.events.submit({ kind: ENTER, nr, pid: p, tid: t, ret: 0n, ns: now, args: all, comm: comm(), str0: "", str1: "", data: "", family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: 0n, sec: 0n, nsec: 0n });
    } else if (sa !== 0n) {
      const sin = user<sockaddr_in>(sa), sin6 = user<sockaddr_in6>(sa);
      this.events.submit({
        kind: ENTER, nr, pid: p, tid: t, ret: 0n, ns: now, args: all, comm: comm(), str0: "", str1: str(user(sa + 2n)), data: "",
        family: user<sockaddr>(sa).sa_family, port: sin.sin_port, addr4: sin.sin_addr.s_addr, addr6: sin6.sin6_addr.in6_u.u6_addr32, mode: sin6.sin6_scope_id, len: 0, size: 0n, sec: 0n, nsec: 0n,
      });
    } else if (ts !== 0n) {
      const tv = user<__kernel_timespec>(ts);
      this.events.submit({ kind: ENTER, nr, pid: p, tid: t, ret: 0n, ns: now, args: all, comm: comm(), str0: "", str1: "", data: "", family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: 0n, sec: tv.tv_sec, nsec: tv.tv_nsec });
    } else {
      this.events.submit({
        kind: ENTER, nr, pid: p, tid: t, ret: 0n, ns: now, args: all, comm: comm(), str0: str(user(argAt(args, (spec >> STRING) & 7))),
        str1: str(user(argAt(args, (spec >> STRING2) & 7))), data: str(user(argAt(args, (spec >> DATA) & 7)), 64), family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: 0n, sec: 0n, nsec: 0n,
      });
    }
  }

  /** execve's argv and the size of its environment, read where the tracepoint types them (user pointer arrays). */
  @tracepoint("syscalls:sys_enter_execve")
  onExecve(args: TracepointArgs) {
    const p = pid();
    if (p === this.selfPid || this.summary) return;
    if (this.onlyTraced && !this.traced.has(p) && p !== this.targetPid) return;
    if ((this.specs.get(this.execveNr)! & ENABLED) === 0) return;
    const t = tid(), none: [u64, u64, u64, u64, u64, u64] = [0n, 0n, 0n, 0n, 0n, 0n];
    let n: u32 = 0;
    for (let i = 0; i < MAX_ARGS; i++) {
      const arg = args.argv[i];
      if (arg === 0n) break;
      this.events.submit({ kind: ARG, nr: i, pid: p, tid: t, ret: 0n, ns: 0n, args: none, comm: "", str0: str(arg), str1: "", data: "", family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: 0n, sec: 0n, nsec: 0n });
      n++;
    }
    let env: i64 = 0n;
    for (let i = 0; i < MAX_ENV; i++) {
      if (args.envp[i] === 0n) break;
      env++;
    }
    const more = n === MAX_ARGS && args.argv[MAX_ARGS] !== 0n;
    this.events.submit({ kind: ENVC, nr: n, pid: p, tid: t, ret: more ? 1n : 0n, ns: 0n, args: none, comm: "", str0: "", str1: "", data: "", family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: env, sec: 0n, nsec: 0n });
  }

  @tracepoint("raw_syscalls:sys_exit")
  onExit(args: TracepointArgs) {
    const t = tid();
    if (!this.inflight.has(t)) return;
    const f = this.inflight.get(t)!;
    if (this.command && !this.traced.has(pid())) {
      // The holding shell: its execve of the command starts the trace; its failed attempts (PATH search) are not the command's.
      if (args.ret !== 0) {
        this.inflight.delete(t);
        return;
      }
      this.traced.set(pid(), 1);
    }
    const nr = f.nr, took = ktime() - f.ts, out = f.outKind === 0 || args.ret < 0 ? 0 : f.outKind, at = f.out, path = f.path, len = f.outLen;
    this.inflight.delete(t);
    if (this.summary) {
      this.calls.add(nr);
      if (args.ret < 0 && args.ret > -4096) this.errors.add(nr);
      this.nanoseconds.add(nr, took);
      return;
    }
    const zero: [u64, u64, u64, u64, u64, u64] = [0n, 0n, 0n, 0n, 0n, 0n];
    if (out === OUT_DATA) {
      this.events.submit({ kind: EXIT, nr, pid: pid(), tid: t, ret: args.ret, ns: took, args: zero, comm: comm(), str0: str(user(path)), str1: "", data: str(user(at), 64), family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: 0n, sec: 0n, nsec: 0n });
    } else if (out === OUT_STAT) {
      const st = user<stat>(at);
      this.events.submit({ kind: EXIT, nr, pid: pid(), tid: t, ret: args.ret, ns: took, args: zero, comm: comm(), str0: str(user(path)), str1: "", data: "", family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: st.st_mode, len: 0, size: st.st_size, sec: 0n, nsec: 0n });
    } else if (out === OUT_STATX) {
      const sx = user<statx>(at);
      this.events.submit({
        kind: EXIT, nr, pid: pid(), tid: t, ret: args.ret, ns: took, args: zero, comm: comm(), str0: str(user(path)), str1: "", data: "", family: 0, port: 0, addr4: 0,
        addr6: [0, 0, 0, 0], mode: sx.stx_mode, len: sx.stx_mask, size: sx.stx_size, sec: sx.stx_attributes, nsec: 0n,
      });
    } else if (out === OUT_SOCKADDR) {
      const sin = user<sockaddr_in>(at), sin6 = user<sockaddr_in6>(at);
      this.events.submit({
        kind: EXIT, nr, pid: pid(), tid: t, ret: args.ret, ns: took, args: zero, comm: comm(), str0: "", str1: str(user(at + 2n)), data: "",
        family: user<sockaddr>(at).sa_family, port: sin.sin_port, addr4: sin.sin_addr.s_addr, addr6: sin6.sin6_addr.in6_u.u6_addr32, mode: sin6.sin6_scope_id, len: user<in_addr>(len).s_addr,
        size: 0n, sec: 0n, nsec: 0n,
      });
    } else if (path !== 0n) {
      this.events.submit({ kind: EXIT, nr, pid: pid(), tid: t, ret: args.ret, ns: took, args: zero, comm: comm(), str0: str(user(path)), str1: "", data: "", family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: 0n, sec: 0n, nsec: 0n });
    } else {
      this.events.submit({ kind: EXIT, nr, pid: pid(), tid: t, ret: args.ret, ns: took, args: zero, comm: comm(), str0: "", str1: "", data: "", family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: 0n, sec: 0n, nsec: 0n });
    }
  }

  /** -f: a child of a traced process is traced from its first instruction (fork runs before it does). */
  @tracepoint("sched:sched_process_fork")
  onFork(args: TracepointArgs) {
    const p = pid();
    if (this.follow && this.onlyTraced && ((p === this.targetPid && !this.command) || this.traced.has(p))) this.traced.set(args.child_pid, 1);
  }

  @tracepoint("sched:sched_process_exit")
  onProcessExit(_args: TracepointArgs) {
    const task = curtask();
    if (!this.onlyTraced) return;
    // sched_process_fork also adds new threads (by thread id): they leave the set when they end.
    if (task.pid !== task.tgid) {
      this.traced.delete(task.pid);
      return;
    }
    if ((task.tgid !== this.targetPid || this.command) && !this.traced.has(task.tgid)) return;
    this.traced.delete(task.tgid);
    if (this.summary) return;
    this.events.submit({
      kind: EXITED, nr: 0, pid: task.tgid, tid: task.pid, ret: task.exit_code, ns: 0n, args: [0n, 0n, 0n, 0n, 0n, 0n], comm: comm(), str0: "", str1: "", data: "",
      family: 0, port: 0, addr4: 0, addr6: [0, 0, 0, 0], mode: 0, len: 0, size: 0n, sec: 0n, nsec: 0n,
    });
  }

  override begin(): void {
    for (const [nr, spec] of this.specTable) this.specs.set(nr, spec);
  }

  /** The table of -c and pending calls are printed by the main program's end(), not the maps. */
  override end(): void {}
}

// ---- What the kernel should read, from this kernel's tracepoint formats ----

/** How an argument is read and printed. */
type ArgKind = "value" | "string" | "data" | "out-data" | "sockaddr" | "out-sockaddr" | "out-len" | "stat" | "statx" | "timespec";

/** A system call as the tool knows it: its arguments and where their payloads are. */
export interface Signature {
  nr: number;
  name: string;
  args: SyscallArgument[];
  kinds: ArgKind[];
  /** Its entry in the kernel's `specs` map, without ENABLED. */
  spec: number;
}

/** Calls whose sockaddr argument is filled in by the kernel (read at exit). */
const SOCKADDR_OUT = new Set(["accept", "accept4", "getsockname", "getpeername", "recvfrom"]);

function argKind(call: string, a: SyscallArgument, previous?: ArgKind): ArgKind {
  const t = a.cType;
  if (previous === "out-sockaddr" && t === "int *") return "out-len";
  if (/struct sockaddr\b/.test(t)) return SOCKADDR_OUT.has(call) ? "out-sockaddr" : "sockaddr";
  if (/^struct stat \*$/.test(t)) return "stat";
  if (/^struct statx \*$/.test(t)) return "statx";
  if (/^const struct (__kernel_)?timespec \*$/.test(t)) return "timespec";
  if (a.name === "optval") return "value"; // setsockopt's value is an int or a struct, not text
  if (/^(const )?char \*$/.test(t)) {
    if (a.name === "buf" || a.name === "ubuf") return t.startsWith("const") ? "data" : "out-data";
    return "string";
  }
  return "value";
}

/** The kernel-side spec of a call: which argument each payload comes from (1-6). */
function packSpec(kinds: ArgKind[]): number {
  let spec = 0, strings = 0;
  kinds.forEach((k, i) => {
    const arg = i + 1;
    if (k === "string" && strings < 2) spec |= arg << (strings++ === 0 ? STRING : STRING2);
    else if (k === "sockaddr") spec |= arg << SOCKADDR;
    else if (k === "data") spec |= arg << DATA;
    else if (k === "timespec") spec |= arg << TIMESPEC;
    else if (k === "out-data" || k === "stat" || k === "statx" || k === "out-sockaddr") {
      spec |= (arg << OUT) | ((k === "out-data" ? OUT_DATA : k === "stat" ? OUT_STAT : k === "statx" ? OUT_STATX : OUT_SOCKADDR) << OUT_KIND);
    } else if (k === "out-len") spec |= arg << OUT_LEN;
  });
  return spec;
}

/** Every system call this kernel has a tracepoint for, by number (x86-64 numbering). */
export function signatures(): Map<number, Signature> {
  const out = new Map<number, Signature>();
  for (let nr = 0; nr < 512; nr++) {
    const name = syscallName(nr);
    if (name.startsWith("syscall_")) continue;
    // x86-64's stat, fstat, lstat and uname have tracepoints named after their kernel functions (newstat...).
    const args = syscallArguments(name) ?? syscallArguments(`new${name}`);
    if (!args) continue;
    const kinds: ArgKind[] = [];
    for (const a of args) kinds.push(argKind(name, a, kinds[kinds.length - 1]));
    out.set(nr, { nr, name, args, kinds, spec: packSpec(kinds) });
  }
  return out;
}

/** strace's classes for -e trace=%file and the like. */
const CLASSES = ["file", "network", "process", "memory", "desc"];

/** Whether the call is in the class (one of CLASSES). */
function inClass(name: string, s: Signature): boolean {
  switch (name) {
    case "file": return s.args.some((a, i) => s.kinds[i] === "string" && /name|path/.test(a.name));
    case "network": return /^(socket|socketpair|bind|listen|accept4?|connect|getsockname|getpeername|sendto|recvfrom|sendmsg|recvmsg|sendmmsg|recvmmsg|shutdown|setsockopt|getsockopt)$/.test(s.name);
    case "process": return /^(clone3?|fork|vfork|execve|execveat|exit|exit_group|wait4|waitid|kill|tkill|tgkill)$/.test(s.name);
    case "memory": return /^(brk|mmap|munmap|mremap|mprotect|madvise|mlock2?|munlock|mlockall|munlockall|msync|mincore|remap_file_pages|pkey_mprotect)$/.test(s.name);
    default: return s.args.some((a) => /^(fd|fildes|dfd|oldfd|newfd)$/.test(a.name));
  }
}

/** The numbers -e names: `trace=open,openat`, `%file`, `!close` (all but), or every call. */
export function selectCalls(expr: string | undefined, sigs: Map<number, Signature>): Set<number> {
  const all = new Set(sigs.keys());
  if (!expr) return all;
  let list = expr.startsWith("trace=") ? expr.slice(6) : expr;
  const negate = list.startsWith("!");
  if (negate) list = list.slice(1);
  const chosen = new Set<number>();
  for (const word of list.split(",").filter(Boolean)) {
    if (word === "all") all.forEach((n) => chosen.add(n));
    else if (word.startsWith("%")) {
      if (!CLASSES.includes(word.slice(1))) usageError(`-e: unknown class "${word}" (known: ${CLASSES.map((c) => `%${c}`).join(", ")})`);
      for (const s of sigs.values()) if (inClass(word.slice(1), s)) chosen.add(s.nr);
    } else {
      const found = [...sigs.values()].find((s) => s.name === word);
      if (!found) usageError(`-e: this kernel has no system call "${word}" (or no tracepoint for it)`);
      chosen.add(found.nr);
    }
  }
  return negate ? new Set([...all].filter((n) => !chosen.has(n))) : chosen;
}

// ---- Names for numbers ----

type Names = [number, string][];

const O_FLAGS: Names = [
  [0o100, "O_CREAT"], [0o200, "O_EXCL"], [0o400, "O_NOCTTY"], [0o1000, "O_TRUNC"], [0o2000, "O_APPEND"], [0o4000, "O_NONBLOCK"],
  [0o4010000, "O_SYNC"], [0o10000, "O_DSYNC"], [0o20000, "O_ASYNC"], [0o40000, "O_DIRECT"], [0o100000, "O_LARGEFILE"],
  [0o400000, "O_NOFOLLOW"], [0o1000000, "O_NOATIME"], [0o2000000, "O_CLOEXEC"], [0o10000000, "O_PATH"], [0o20200000, "O_TMPFILE"],
  [0o200000, "O_DIRECTORY"],
];
const AT_FLAGS: Names = [
  [0x100, "AT_SYMLINK_NOFOLLOW"], [0x200, "AT_REMOVEDIR"], [0x400, "AT_SYMLINK_FOLLOW"], [0x800, "AT_NO_AUTOMOUNT"], [0x1000, "AT_EMPTY_PATH"],
  [0x2000, "AT_STATX_FORCE_SYNC"], [0x4000, "AT_STATX_DONT_SYNC"], [0x8000, "AT_RECURSIVE"],
];
const PROT: Names = [[1, "PROT_READ"], [2, "PROT_WRITE"], [4, "PROT_EXEC"], [0x1000000, "PROT_GROWSDOWN"], [0x2000000, "PROT_GROWSUP"]];
const MAP: Names = [
  [0x10, "MAP_FIXED"], [0x20, "MAP_ANONYMOUS"], [0x40, "MAP_32BIT"], [0x100, "MAP_GROWSDOWN"], [0x800, "MAP_DENYWRITE"], [0x1000, "MAP_EXECUTABLE"],
  [0x2000, "MAP_LOCKED"], [0x4000, "MAP_NORESERVE"], [0x8000, "MAP_POPULATE"], [0x10000, "MAP_NONBLOCK"], [0x20000, "MAP_STACK"], [0x40000, "MAP_HUGETLB"],
  [0x80000, "MAP_SYNC"], [0x100000, "MAP_FIXED_NOREPLACE"],
];
const ACCESS: Names = [[4, "R_OK"], [2, "W_OK"], [1, "X_OK"]];
const STATX_MASK: Names = [
  [0x7ff, "STATX_BASIC_STATS"], [1, "STATX_TYPE"], [2, "STATX_MODE"], [4, "STATX_NLINK"], [8, "STATX_UID"], [0x10, "STATX_GID"], [0x20, "STATX_ATIME"],
  [0x40, "STATX_MTIME"], [0x80, "STATX_CTIME"], [0x100, "STATX_INO"], [0x200, "STATX_SIZE"], [0x400, "STATX_BLOCKS"], [0x800, "STATX_BTIME"],
  [0x1000, "STATX_MNT_ID"], [0x2000, "STATX_DIOALIGN"],
];
const SOCK_FLAGS: Names = [[0o4000, "SOCK_NONBLOCK"], [0o2000000, "SOCK_CLOEXEC"]];
const CLOEXEC_NONBLOCK: Names = [[0o4000, "O_NONBLOCK"], [0o2000000, "O_CLOEXEC"]];
const GRND: Names = [[1, "GRND_NONBLOCK"], [2, "GRND_RANDOM"], [4, "GRND_INSECURE"]];
const AF: Record<number, string> = { 0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET", 40: "AF_VSOCK" };
const SOCK_TYPE: Record<number, string> = { 1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET", 10: "SOCK_PACKET" };
const IPPROTO: Record<number, string> = { 0: "IPPROTO_IP", 1: "IPPROTO_ICMP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 58: "IPPROTO_ICMPV6", 132: "IPPROTO_SCTP" };
const SEEK: Record<number, string> = { 0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END", 3: "SEEK_DATA", 4: "SEEK_HOLE" };
const FCNTL: Record<number, string> = {
  0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK", 6: "F_SETLK", 7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN",
  1030: "F_DUPFD_CLOEXEC", 1033: "F_ADD_SEALS", 1034: "F_GET_SEALS",
};
const CLOCKS: Record<number, string> = { 0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID", 3: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW", 5: "CLOCK_REALTIME_COARSE", 6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME" };
const RLIMITS = ["RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME"];
const SIGNALS = ["0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"];
const SIG_HOW = ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"];
const ARCH_PRCTL: Record<number, string> = { 0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS", 0x1004: "ARCH_GET_GS", 0x3001: "ARCH_CET_STATUS" };
const IOCTL: Record<number, string> = { 0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x540f: "TIOCGPGRP", 0x5410: "TIOCSPGRP", 0x5413: "TIOCGWINSZ", 0x5421: "FIONBIO", 0x541b: "FIONREAD", 0x5450: "FIONCLEX", 0x5451: "FIOCLEX" };
const FUTEX = ["FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET"];
const MADVISE: Record<number, string> = { 0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED", 4: "MADV_DONTNEED", 8: "MADV_FREE", 14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE", 100: "MADV_HWPOISON" };
const FADVISE: Record<number, string> = { 0: "POSIX_FADV_NORMAL", 1: "POSIX_FADV_RANDOM", 2: "POSIX_FADV_SEQUENTIAL", 3: "POSIX_FADV_WILLNEED", 4: "POSIX_FADV_DONTNEED", 5: "POSIX_FADV_NOREUSE" };
const SHUT = ["SHUT_RD", "SHUT_WR", "SHUT_RDWR"];
const SOL: Record<number, string> = { 0: "SOL_IP", 1: "SOL_SOCKET", 6: "SOL_TCP", 17: "SOL_UDP", 41: "SOL_IPV6" };
const SO: Record<number, string> = {
  1: "SO_DEBUG", 2: "SO_REUSEADDR", 3: "SO_TYPE", 4: "SO_ERROR", 5: "SO_DONTROUTE", 6: "SO_BROADCAST", 7: "SO_SNDBUF", 8: "SO_RCVBUF",
  9: "SO_KEEPALIVE", 10: "SO_OOBINLINE", 13: "SO_LINGER", 15: "SO_REUSEPORT", 20: "SO_RCVTIMEO_OLD", 21: "SO_SNDTIMEO_OLD",
};

/** errno names and glibc's messages. */
const ERRNO: Record<number, [string, string]> = {
  1: ["EPERM", "Operation not permitted"], 2: ["ENOENT", "No such file or directory"], 3: ["ESRCH", "No such process"],
  4: ["EINTR", "Interrupted system call"], 5: ["EIO", "Input/output error"], 6: ["ENXIO", "No such device or address"],
  7: ["E2BIG", "Argument list too long"], 8: ["ENOEXEC", "Exec format error"], 9: ["EBADF", "Bad file descriptor"],
  10: ["ECHILD", "No child processes"], 11: ["EAGAIN", "Resource temporarily unavailable"], 12: ["ENOMEM", "Cannot allocate memory"],
  13: ["EACCES", "Permission denied"], 14: ["EFAULT", "Bad address"], 16: ["EBUSY", "Device or resource busy"], 17: ["EEXIST", "File exists"],
  18: ["EXDEV", "Invalid cross-device link"], 19: ["ENODEV", "No such device"], 20: ["ENOTDIR", "Not a directory"], 21: ["EISDIR", "Is a directory"],
  22: ["EINVAL", "Invalid argument"], 23: ["ENFILE", "Too many open files in system"], 24: ["EMFILE", "Too many open files"],
  25: ["ENOTTY", "Inappropriate ioctl for device"], 26: ["ETXTBSY", "Text file busy"], 27: ["EFBIG", "File too large"],
  28: ["ENOSPC", "No space left on device"], 29: ["ESPIPE", "Illegal seek"], 30: ["EROFS", "Read-only file system"], 31: ["EMLINK", "Too many links"],
  32: ["EPIPE", "Broken pipe"], 33: ["EDOM", "Numerical argument out of domain"], 34: ["ERANGE", "Numerical result out of range"],
  35: ["EDEADLK", "Resource deadlock avoided"], 36: ["ENAMETOOLONG", "File name too long"], 38: ["ENOSYS", "Function not implemented"],
  39: ["ENOTEMPTY", "Directory not empty"], 40: ["ELOOP", "Too many levels of symbolic links"], 61: ["ENODATA", "No data available"],
  62: ["ETIME", "Timer expired"], 75: ["EOVERFLOW", "Value too large for defined data type"], 88: ["ENOTSOCK", "Socket operation on non-socket"],
  95: ["EOPNOTSUPP", "Operation not supported"], 97: ["EAFNOSUPPORT", "Address family not supported by protocol"],
  98: ["EADDRINUSE", "Address already in use"], 99: ["EADDRNOTAVAIL", "Cannot assign requested address"], 101: ["ENETUNREACH", "Network is unreachable"],
  104: ["ECONNRESET", "Connection reset by peer"], 106: ["EISCONN", "Transport endpoint is already connected"],
  107: ["ENOTCONN", "Transport endpoint is not connected"], 110: ["ETIMEDOUT", "Connection timed out"], 111: ["ECONNREFUSED", "Connection refused"],
  113: ["EHOSTUNREACH", "No route to host"], 114: ["EALREADY", "Operation already in progress"], 115: ["EINPROGRESS", "Operation now in progress"],
  512: ["ERESTARTSYS", "To be restarted if SA_RESTART is set"], 513: ["ERESTARTNOINTR", "To be restarted"],
  514: ["ERESTARTNOHAND", "To be restarted if no handler"], 516: ["ERESTART_RESTARTBLOCK", "Interrupted by signal"],
};

/** Set bits by name in the table's order, then what is left in hex; `zero` when nothing is set. */
export function flagNames(value: number, names: Names, zero = "0"): string {
  const out: string[] = [];
  let rest = value;
  for (const [bits, name] of names) {
    if (bits !== 0 && (rest & bits) === bits) {
      out.push(name);
      rest &= ~bits;
    }
  }
  if (rest) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out.length ? out.join("|") : zero;
}

/** open(2) flags as strace prints them: the access mode, then the other flags. */
export function openFlags(flags: number): string {
  const access = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][flags & 3];
  const rest = flagNames(flags & ~3, O_FLAGS, "");
  return rest ? `${access}|${rest}` : access;
}

function mmapFlags(flags: number): string {
  const type = ["0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"][flags & 3] ?? String(flags & 0xf);
  const rest = flagNames(flags & ~0xf, MAP, "");
  return rest ? `${type}|${rest}` : type;
}

function named(table: Record<number, string> | string[], v: number): string {
  return (table as Record<number, string>)[v] ?? String(v);
}

/** A file mode as strace prints it: S_IFREG|0644. */
function fileMode(mode: number): string {
  const types: Record<number, string> = { 0o140000: "S_IFSOCK", 0o120000: "S_IFLNK", 0o100000: "S_IFREG", 0o60000: "S_IFBLK", 0o40000: "S_IFDIR", 0o20000: "S_IFCHR", 0o10000: "S_IFIFO" };
  const type = types[mode & 0o170000];
  const perm = `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
  return type ? `${type}|${perm}` : perm;
}

/** Calls whose result is an address (printed in hex). */
const RETURNS_ADDRESS = new Set(["mmap", "brk", "mremap", "shmat"]);

/** A result: `-1 ENOENT (No such file or directory)`, an address in hex, or the number. */
export function formatResult(call: string, ret: bigint): string {
  if (ret < 0n && ret > -4096n) {
    const errno = Number(-ret), known = ERRNO[errno];
    if (errno >= 512 && errno <= 516) return `? ${known?.[0] ?? `ERESTART(${errno})`} (${known?.[1] ?? "To be restarted"})`;
    return known ? `-1 ${known[0]} (${known[1]})` : `-1 E${errno} (errno ${errno})`;
  }
  if (RETURNS_ADDRESS.has(call)) return `0x${BigInt.asUintN(64, ret).toString(16)}`;
  return String(ret);
}

// ---- Printing arguments ----

/** A C string as strace prints it: escapes, octal for the rest, `...` after the quote when there is more. */
export function quoted(text: string | Uint8Array, more = false): string {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const escapes: Record<number, string> = { 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\" };
  let out = "";
  bytes.forEach((b, i) => {
    if (escapes[b]) out += escapes[b];
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else {
      const next = bytes[i + 1];
      out += `\\${next !== undefined && next >= 0x30 && next <= 0x37 ? b.toString(8).padStart(3, "0") : b.toString(8)}`;
    }
  });
  return `"${out}"${more ? "..." : ""}`;
}

/**
 * A buffer of `length` bytes, of which the kernel read `text` (to its first NUL, at most 64
 * bytes): its first 32 bytes as strace -s 32 shows them, `...` when there is more than shown.
 */
export function bufferText(text: string, length: number): string {
  const bytes = new TextEncoder().encode(text).slice(0, Math.min(length, 32));
  return quoted(bytes, length > bytes.length);
}

function hex(v: bigint): string {
  return v === 0n ? "NULL" : `0x${v.toString(16)}`;
}

/** In network byte order as read little-endian: the port's value. */
function portOf(raw: number): number {
  return ((raw & 0xff) << 8) | (raw >> 8);
}

function sockaddrText(e: SyscallEvent): string {
  const family = e.family;
  if (family === 2) {
    const b = [e.addr4 & 0xff, (e.addr4 >>> 8) & 0xff, (e.addr4 >>> 16) & 0xff, e.addr4 >>> 24];
    return `{sa_family=AF_INET, sin_port=htons(${portOf(e.port)}), sin_addr=inet_addr("${b.join(".")}")}`;
  }
  if (family === 10) {
    const bytes = new Uint8Array(new Uint32Array(e.addr6).buffer);
    const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
    let text = groups.join(":");
    const run = /(^|:)0(:0)+(:|$)/.exec(text);
    if (run) text = `${text.slice(0, run.index)}::${text.slice(run.index + run[0].length)}`;
    const flow = ((e.addr4 & 0xff) << 24 | ((e.addr4 >>> 8) & 0xff) << 16 | ((e.addr4 >>> 16) & 0xff) << 8 | (e.addr4 >>> 24)) >>> 0;
    return `{sa_family=AF_INET6, sin6_port=htons(${portOf(e.port)}), sin6_flowinfo=htonl(${flow}), inet_pton(AF_INET6, "${text}", &sin6_addr), sin6_scope_id=${e.mode}}`;
  }
  if (family === 1) return `{sa_family=AF_UNIX, sun_path=${quoted(e.str1)}}`;
  return `{sa_family=${AF[family] ?? family}}`;
}

/** An integer argument by its C type: int is 32-bit signed, pointers and unsigned longs unsigned. */
function numeric(cType: string, raw: bigint): bigint {
  let width = widths.get(cType);
  if (width === undefined) {
    width = /\*|unsigned long|size_t|u64|__u64|aio_context_t/.test(cType) ? 0
      : /^(unsigned( int)?|u32|__u32|uid_t|gid_t|umode_t|qid_t|key_serial_t|mqd_t|unsigned short)$/.test(cType) ? 32
      : /long|off_t|loff_t|ssize_t|time_t/.test(cType) ? -64 : -32;
    widths.set(cType, width);
  }
  return width === 0 ? raw : width > 0 ? BigInt.asUintN(width, raw) : BigInt.asIntN(-width, raw);
}
/** By C type: 0 as it is, 32 unsigned 32-bit, -64 and -32 signed (the regular expressions run once per type). */
const widths = new Map<string, number>();

/** A number argument, by name where a name helps: AT_FDCWD, open flags, PROT_READ, SIGTERM... */
function valueText(call: string, a: SyscallArgument, raw: bigint, all: bigint[]): string | undefined {
  const v = numeric(a.cType, raw), n = Number(v);
  if (a.cType.includes("*")) return hex(raw);
  switch (a.name) {
    case "dfd": case "olddfd": case "newdfd": return n === -100 ? "AT_FDCWD" : undefined;
    case "fd": return String(BigInt.asIntN(32, raw));
    case "addr": case "start": case "brk": case "new_addr": return /unsigned long/.test(a.cType) ? hex(raw) : undefined;
    case "arg2": return call === "arch_prctl" ? hex(raw) : undefined;
    case "option": return call === "arch_prctl" ? ARCH_PRCTL[n] ?? `0x${n.toString(16)}` : undefined;
    case "sig": return call === "rseq" ? `0x${(n >>> 0).toString(16)}` : named(SIGNALS, n);
    case "flags":
      if (call === "open" || call === "openat") return openFlags(n);
      if (call === "mmap") return mmapFlags(n);
      if (call === "statx") return [["AT_STATX_SYNC_AS_STAT", "AT_STATX_FORCE_SYNC", "AT_STATX_DONT_SYNC", "0x6000"][(n >> 13) & 3], flagNames(n & ~0x6000, AT_FLAGS, "")].filter(Boolean).join("|");
      if (/^(unlinkat|faccessat2|fchmodat2?|fchownat|linkat|utimensat|statx|execveat|name_to_handle_at|open_tree|newfstatat)$/.test(call)) return flagNames(n, AT_FLAGS);
      if (/^(pipe2|dup3|eventfd2|inotify_init1|epoll_create1|signalfd4|timerfd_create)$/.test(call)) return flagNames(n, CLOEXEC_NONBLOCK);
      if (call === "accept4") return flagNames(n, SOCK_FLAGS);
      if (call === "getrandom") return flagNames(n, GRND);
      if (call === "clock_nanosleep") return n === 1 ? "TIMER_ABSTIME" : String(n);
      return n === 0 ? "0" : `0x${(n >>> 0).toString(16)}`;
    case "flag": return flagNames(n, AT_FLAGS);
    case "mode":
      if (/^(access|faccessat2?)$/.test(call)) return n === 0 ? "F_OK" : flagNames(n, ACCESS);
      return `0${(n & 0o7777).toString(8).padStart(3, "0")}`;
    case "prot": return flagNames(n, PROT, "PROT_NONE");
    case "family": return call === "socket" || call === "socketpair" ? named(AF, n) : undefined;
    case "type":
      if (call !== "socket" && call !== "socketpair") return undefined;
      return [named(SOCK_TYPE, n & 0xf), flagNames(n & ~0xf, SOCK_FLAGS, "")].filter(Boolean).join("|");
    case "protocol": return (call === "socket" || call === "socketpair") && (Number(all[0]) === 2 || Number(all[0]) === 10) ? named(IPPROTO, n) : undefined;
    case "whence": case "origin": return named(SEEK, n);
    case "cmd": return call === "fcntl" ? named(FCNTL, n) : call === "ioctl" ? IOCTL[n >>> 0] ?? `0x${(n >>> 0).toString(16)}` : undefined;
    case "how": return call === "rt_sigprocmask" ? named(SIG_HOW, n) : call === "shutdown" ? named(SHUT, n) : undefined;
    case "which_clock": return named(CLOCKS, n);
    case "resource": return named(RLIMITS, n);
    case "behavior": return named(MADVISE, n);
    case "advice": return named(FADVISE, n);
    case "op": return call === "futex" ? `${FUTEX[n & 0x7f] ?? n & 0x7f}${n & 128 ? "_PRIVATE" : ""}` : undefined;
    case "level": return /^[gs]etsockopt$/.test(call) ? named(SOL, n) : undefined;
    case "optname": return /^[gs]etsockopt$/.test(call) && Number(all[1]) === 1 ? named(SO, n) : /^[gs]etsockopt$/.test(call) && Number(all[1]) === 6 && n === 1 ? "TCP_NODELAY" : undefined;
    case "mask": return call === "statx" ? flagNames(n, STATX_MASK) : undefined;
    case "off": return call === "mmap" ? `0x${raw.toString(16)}`.replace(/^0x0$/, "0") : undefined;
  }
  return undefined;
}

/** execve's argv (as read at entry), the number of its environment strings, and whether argv went on past MAX_ARGS. */
export interface ExecArgs {
  argv: string[];
  env?: number;
  more: boolean;
}

/** The arguments of a call as strace shows them, with what was read at entry (and at exit, if it returned). */
export function formatArgs(sig: Signature, enter: SyscallEvent, exit?: SyscallEvent, exec?: ExecArgs): string[] {
  const all = enter.args.map((a) => BigInt(a));
  let strings = 0;
  const texts = sig.args.map((a, i) => {
    const raw = all[i], kind = sig.kinds[i];
    if (kind === "string") {
      const which = strings++;
      // A path in a page the process had not touched yet reads as "" at entry; the exit reads it again.
      const first = enter.str0 === "" && exit?.str0 ? exit.str0 : enter.str0;
      return raw === 0n ? "NULL" : which === 0 ? quoted(first) : which === 1 ? quoted(enter.str1) : hex(raw);
    }
    if (raw === 0n && kind !== "value") return "NULL";
    if (exec && a.name === "argv") return `[${exec.argv.map((w) => bufferText(w, new TextEncoder().encode(w).length)).join(", ")}${exec.more ? ", ..." : ""}]`;
    if (exec?.env !== undefined && a.name === "envp") return `${hex(raw)} /* ${exec.env}${exec.env === MAX_ENV ? "+" : ""} vars */`;
    if (kind === "sockaddr") return sockaddrText(enter);
    if (kind === "timespec") return `{tv_sec=${enter.sec}, tv_nsec=${enter.nsec}}`;
    if (kind === "data") return bufferText(enter.data, Number(all[i + 1] ?? 0n));
    if (exit && exit.ret >= 0n) {
      if (kind === "out-data") return bufferText(exit.data, Number(exit.ret));
      if (kind === "stat") return `{st_mode=${fileMode(exit.mode)}, st_size=${exit.size}, ...}`;
      if (kind === "statx") return `{stx_mask=${flagNames(exit.len, STATX_MASK)}, stx_attributes=${exit.sec === 0n ? "0" : `0x${exit.sec.toString(16)}`}, stx_mode=${fileMode(exit.mode)}, stx_size=${exit.size}, ...}`;
      if (kind === "out-sockaddr") return sockaddrText(exit);
      if (kind === "out-len") return `[${exit.len}]`;
    }
    if (kind !== "value") return hex(raw);
    return valueText(sig.name, a, raw, all) ?? String(numeric(a.cType, raw));
  });
  // open and openat show the mode only when it is used, as strace does.
  if ((sig.name === "open" || sig.name === "openat") && !(Number(all[sig.name === "open" ? 1 : 2]) & 0o20100100)) texts.pop();
  return texts;
}

// ---- Lines: an entry and its exit joined into one ----

/** How long a call may be pending before its entry is printed alone (with "..."). */
const PENDING_MS = 100;

/** One finished (or unfinished) call, as printed and as the JSON record. */
export interface CallRecord {
  pid: number;
  tid: number;
  comm: string;
  syscall: string;
  args: string[];
  /** The result as a number, or undefined while unfinished (or for exit_group). */
  ret?: number | string;
  errno?: string;
  /** Seconds the call took. */
  seconds?: number;
}

/**
 * Joins each call's entry and exit (the kernel sends both; events of other threads may come
 * between) and prints one line per call. An entry waiting longer than PENDING_MS is printed
 * alone and its exit later as "... [continued]".
 */
export class CallPrinter {
  #pending = new Map<number, { enter: SyscallEvent; since: number; shown: boolean }>();
  /** execve's arguments by thread, until its line is printed (they may arrive before or after its entry). */
  #exec = new Map<number, ExecArgs>();
  /** The `tsbpf -c` command's pid until its execve succeeds: the holding shell's calls before it are not the command's. */
  skipUntilExec?: number;

  /** `chosen`: the calls to print (-e); others may be traced (execve, for skipUntilExec) but are not shown. */
  constructor(private sigs: Map<number, Signature>, private chosen: Set<number>) {}

  handle(e: SyscallEvent): void {
    if (e.pid === this.skipUntilExec && !this.#startsCommand(e)) return;
    if (e.kind === ARG) {
      const exec = e.nr === 0 ? { argv: [], more: false } : this.#exec.get(e.tid) ?? { argv: [], more: false };
      exec.argv.push(e.str0);
      this.#exec.set(e.tid, exec);
      return;
    }
    if (e.kind === ENVC) {
      const exec = this.#exec.get(e.tid) ?? { argv: [], more: false };
      if (e.nr === 0) exec.argv = [];
      this.#exec.set(e.tid, { ...exec, env: Number(e.size), more: e.ret !== 0n });
      return;
    }
    if (e.kind === EXITED) {
      this.#flushThread(e.tid);
      const code = Number(e.ret), sig = code & 0x7f;
      emit({ type: "exit", pid: e.pid, comm: e.comm, status: code >> 8, ...(sig && { signal: SIGNALS[sig] ?? sig }) }, () => {
        return `${e.comm}/${e.pid} +++ ${sig ? `killed by ${SIGNALS[sig] ?? sig}${code & 0x80 ? " (core dumped)" : ""}` : `exited with ${code >> 8}`} +++`;
      });
      return;
    }
    if (e.kind === ENTER) {
      this.#flushThread(e.tid); // an entry whose exit never came (execve from another thread, a lost event)
      const name = this.name(e.nr);
      if (name === "exit" || name === "exit_group") return this.chosen.has(e.nr) ? this.#print(e, undefined, "?") : undefined;
      this.#pending.set(e.tid, { enter: e, since: Date.now(), shown: false });
      return;
    }
    const p = this.#pending.get(e.tid);
    this.#pending.delete(e.tid);
    if (!this.chosen.has(e.nr)) return;
    if (p && p.enter.nr === e.nr && !p.shown) return this.#print(p.enter, e);
    // Its entry was printed alone earlier (or lost): perf trace's form.
    const name = this.name(e.nr);
    emit({ type: "call", ...this.#record(p?.enter ?? e, e), continued: true }, () => `${e.comm}/${e.tid} ... [continued]: ${name}()) = ${formatResult(name, BigInt(e.ret))} <${seconds(e.ns)}>`);
  }

  /** Prints the entries pending for longer than PENDING_MS (all of them with `all`). */
  flushPending(all = false): void {
    const now = Date.now();
    for (const [tid, p] of this.#pending) {
      if (p.shown || (!all && now - p.since < PENDING_MS) || !this.chosen.has(p.enter.nr)) continue;
      p.shown = true;
      const sig = this.sigs.get(p.enter.nr);
      emit({ type: "call", ...this.#record(p.enter), unfinished: true }, () => `${p.enter.comm}/${p.enter.tid} ${this.name(p.enter.nr)}(${sig ? formatArgs(sig, p.enter).join(", ") : ""} ...`);
      if (all) this.#pending.delete(tid);
    }
  }

  name(nr: number): string {
    return this.sigs.get(nr)?.name ?? syscallName(nr);
  }

  /** Whether `e` is (the entry of) the held command's execve, or the end of the shell: then it is shown. */
  #startsCommand(e: SyscallEvent): boolean {
    const exec = /^execve(at)?$/.test(this.name(e.nr));
    if (e.kind === ARG || e.kind === ENVC) return true;
    if (e.kind === ENTER) {
      this.#pending.delete(e.tid); // an earlier attempt of the shell's PATH search, which failed
      return exec;
    }
    if (e.kind === EXIT && !(exec && e.ret === 0n)) {
      this.#pending.delete(e.tid);
      return false;
    }
    this.skipUntilExec = undefined;
    return true;
  }

  #flushThread(tid: number): void {
    const p = this.#pending.get(tid);
    if (!p) return;
    this.#pending.delete(tid);
    if (!p.shown && this.chosen.has(p.enter.nr)) this.#print(p.enter, undefined, "?");
  }

  #record(enter: SyscallEvent, exit?: SyscallEvent): CallRecord {
    const sig = this.sigs.get(enter.nr), name = this.name(enter.nr);
    const exec = name === "execve" ? this.#exec.get(enter.tid) : undefined;
    if (exec && exit) this.#exec.delete(enter.tid);
    const record: CallRecord = { pid: enter.pid, tid: enter.tid, comm: enter.comm, syscall: name, args: sig && enter.kind === ENTER ? formatArgs(sig, enter, exit, exec) : [] };
    if (exit) {
      const ret = BigInt(exit.ret);
      if (ret < 0n && ret > -4096n) {
        record.ret = -1;
        record.errno = ERRNO[Number(-ret)]?.[0] ?? `E${-ret}`;
      } else record.ret = RETURNS_ADDRESS.has(name) ? formatResult(name, ret) : Number(ret);
      record.seconds = Number(exit.ns) / 1e9;
    }
    return record;
  }

  #print(enter: SyscallEvent, exit?: SyscallEvent, unknown?: string): void {
    const record = this.#record(enter, exit), name = record.syscall;
    const result = exit ? `${formatResult(name, BigInt(exit.ret))} <${seconds(exit.ns)}>` : unknown ?? "?";
    emit({ type: "call", ...record }, () => `${enter.comm}/${enter.tid} ${name}(${record.args.join(", ")}) = ${result}`);
  }
}

function seconds(ns: bigint | number): string {
  return (Number(ns) / 1e9).toFixed(6);
}

// ---- -c: the summary table ----

/** strace -c's table from the kernel's counts: % time, seconds, usecs/call, calls, errors, syscall. */
export function summaryTable(t: Strace, sigs: Map<number, Signature>): { rows: { syscall: string; calls: number; errors: number; seconds: number }[]; text: string } {
  const errors = new Map(t.errors.entries().map(([nr, n]) => [nr, Number(n)]));
  const times = new Map(t.nanoseconds.entries().map(([nr, n]) => [nr, Number(n)]));
  const rows = t.calls.entries().map(([nr, n]) => ({
    syscall: sigs.get(nr)?.name ?? syscallName(nr), calls: Number(n), errors: errors.get(nr) ?? 0, seconds: (times.get(nr) ?? 0) / 1e9,
  }));
  rows.sort((a, b) => b.seconds - a.seconds || b.calls - a.calls || a.syscall.localeCompare(b.syscall));
  const total = { calls: 0, errors: 0, seconds: 0 };
  for (const r of rows) (total.calls += r.calls, total.errors += r.errors, total.seconds += r.seconds);
  const line = (pct: number, r: { calls: number; errors: number; seconds: number }, name: string) => {
    const usecs = r.calls ? Math.round((r.seconds * 1e6) / r.calls) : 0;
    return `${pct.toFixed(2).padStart(6)} ${r.seconds.toFixed(6).padStart(11)} ${String(usecs).padStart(11)} ${String(r.calls).padStart(9)} ${(r.errors ? String(r.errors) : "").padStart(9)} ${name}`;
  };
  const rule = "------ ----------- ----------- --------- --------- ----------------";
  const text = [
    "% time     seconds  usecs/call     calls    errors syscall", rule,
    ...rows.map((r) => line(total.seconds ? (100 * r.seconds) / total.seconds : 0, r, r.syscall)), rule, line(100, total, "total"),
  ].join("\n");
  return { rows, text };
}

// ---- The command line ----

/**
 * The arguments for parseToolArgs: a command after the options (`strace.ts -- cat /etc/hostname`,
 * as strace takes it) is refused with the way to run one. Running a command is tsbpf's -c: it
 * holds the command stopped until the probes are attached, and this tool then spawns nothing
 * (`tsbpf plan` can say it only observes).
 */
function commandHint(argv: string[]): string[] {
  const valueOptions = new Set(["-p", "--pid", "-e", "--expr", "--duration", "--cgroup", "--metrics"]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--" || !a.startsWith("-")) {
      const words = argv.slice(a === "--" ? i + 1 : i).join(" ");
      usageError(`to trace a command, let tsbpf start it held until the probes are attached: sudo tsbpf -c '${words}' run examples/strace.ts ${argv.slice(0, i).join(" ")}`.trimEnd());
    }
    if (valueOptions.has(a) || /^-[a-z]*[pe]$/.test(a)) i++;
  }
  return argv;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const { values, commandPid, start } = parseToolArgs({
    name: "strace",
    description: "Trace system calls with their arguments decoded, read in the kernel (like strace -f and perf trace)",
    options: {
      pid: { type: "string", short: "p", value: "PID", help: "trace this process (with -f, and its new children) until it (and they) have exited; under `tsbpf -c CMD`, CMD" },
      follow: { type: "boolean", short: "f", help: "follow children created by fork/clone" },
      summary: { type: "boolean", short: "c", help: "count calls, errors and time per syscall (in the kernel) and print strace -c's table at the end" },
      expr: { type: "string", short: "e", value: "trace=LIST", help: "only these calls: trace=open,openat or %file, %network, %process, %memory, %desc; !LIST for all but (filtered in the kernel)" },
      duration: { type: "string", value: "SECONDS", help: "stop after this many seconds" },
    },
    examples: [
      ["-p 1234 -f", "trace a running process and its new children"], ["-e trace=%network", "network calls of every process"],
      ["-c -p 1234", "strace -c's table for a process, when it exits or at Ctrl-C"], ["-e trace=clock_nanosleep", "like perf trace -a -e nanosleep: blocked calls show \"...\""],
    ],
  }, commandHint(argv));
  requireTracepoints("strace", ["raw_syscalls:sys_enter", "raw_syscalls:sys_exit", "syscalls:sys_enter_openat"], "CONFIG_FTRACE_SYSCALLS");
  const targetPid = values.pid === undefined ? 0 : Number(values.pid);
  if (!Number.isSafeInteger(targetPid) || targetPid < 0 || (values.pid !== undefined && targetPid === 0)) usageError(`-p must be a process id, got "${values.pid}"`);
  if (targetPid && readTextFile(`/proc/${targetPid}/stat`) === undefined) {
    console.error(`strace: attach: no such process ${targetPid}`);
    process.exit(1);
  }
  // The probes compare the process (thread group) id: a thread's id would match no call.
  const tgid = targetPid ? Number(/^Tgid:\s+(\d+)$/m.exec(readTextFile(`/proc/${targetPid}/status`) ?? "")?.[1] ?? targetPid) : 0;
  if (tgid !== targetPid) usageError(`-p ${targetPid} is a thread of process ${tgid}: give the process's id (-p ${tgid}), whose threads are all traced`);
  // Under `tsbpf -c CMD`, -p is CMD, held stopped by tsbpf until this tracer has started.
  const command = commandPid !== undefined && targetPid === commandPid;

  const sigs = signatures(), chosen = selectCalls(values.expr, sigs);
  const tracer = new Strace();
  tracer.selfPid = process.pid;
  tracer.targetPid = targetPid;
  tracer.onlyTraced = targetPid !== 0;
  tracer.follow = !!values.follow;
  tracer.summary = !!values.summary;
  tracer.command = command;
  tracer.execveNr = [...sigs.values()].find((s) => s.name === "execve")?.nr ?? 0;
  tracer.execveatNr = [...sigs.values()].find((s) => s.name === "execveat")?.nr ?? 0;
  // The command's own calls start at its execve (tsbpf's holding shell runs a few before): traced always, shown if chosen.
  const execs = [...sigs.values()].filter((s) => /^execve(at)?$/.test(s.name)).map((s) => s.nr);
  tracer.specTable = [...sigs].map(([nr, s]) => [nr, chosen.has(nr) || (command && execs.includes(nr)) ? s.spec | ENABLED : 0]);
  const printer = new CallPrinter(sigs, chosen);
  if (command) printer.skipUntilExec = targetPid;
  const report = () => {
    if (tracer.summary) {
      const { rows, text } = summaryTable(tracer, sigs);
      emit({ type: "summary", syscalls: rows }, () => text);
    } else printer.flushPending(true);
  };
  await tracer.start(start);
  if (!tracer.summary) {
    tracer.events.on((e) => printer.handle(e));
    tracer.every(PENDING_MS, () => printer.flushPending());
  }
  if (!command) notice(`Tracing ${targetPid ? `process ${targetPid}${values.follow ? " and its new children" : ""}` : "every process"}${tracer.summary ? " (counting)" : ""}... Ctrl-C to end.`);
  // As strace -p, it ends once the process has exited (with -f, once the children it traced have too).
  const exited = targetPid && !command ? processExited(targetPid) : undefined;
  if (exited) {
    tracer.every(1000, () => {
      if (exited() && (!values.follow || tracer.traced.size === 0)) tracer.stop();
    });
  }
  const seconds = values.duration === undefined ? 0 : Number(values.duration);
  if (!(seconds >= 0)) usageError(`--duration must be a number of seconds, got "${values.duration}"`);
  await runTool(tracer, { duration: seconds || undefined, report });
}
