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
import { type ArgKind, argKind, emit, errnoName, type ExecArgs, formatArgs, formatResult, notice, parseToolArgs, processExited, readTextFile, requireTracepoints, returnsAddress, runTool, signalName, syscallArguments, syscallName, type SyscallSignature, usageError } from "tsbpf/tool";

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

/** A system call as the tool knows it: its arguments and where their payloads are. */
export interface Signature extends SyscallSignature {
  nr: number;
  /** Its entry in the kernel's `specs` map, without ENABLED. */
  spec: number;
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
      this.#exec.set(e.tid, { ...exec, env: Number(e.size), envMore: Number(e.size) === MAX_ENV, more: e.ret !== 0n });
      return;
    }
    if (e.kind === EXITED) {
      this.#flushThread(e.tid);
      const code = Number(e.ret), sig = code & 0x7f;
      emit({ type: "exit", pid: e.pid, comm: e.comm, status: code >> 8, ...(sig && { signal: signalName(sig) ?? sig }) }, () => {
        return `${e.comm}/${e.pid} +++ ${sig ? `killed by ${signalName(sig) ?? sig}${code & 0x80 ? " (core dumped)" : ""}` : `exited with ${code >> 8}`} +++`;
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
        record.errno = errnoName(Number(-ret)) ?? `E${-ret}`;
      } else record.ret = returnsAddress(name) ? formatResult(name, ret) : Number(ret);
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

/** strace -c's table from the kernel's counts, a line each: % time, seconds, usecs/call, calls, errors, syscall. */
export function summaryTable(t: Strace, sigs: Map<number, Signature>): { rows: { syscall: string; calls: number; errors: number; seconds: number }[]; lines: string[] } {
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
  const lines = [
    "% time     seconds  usecs/call     calls    errors syscall", rule,
    ...rows.map((r) => line(total.seconds ? (100 * r.seconds) / total.seconds : 0, r, r.syscall)), rule, line(100, total, "total"),
  ];
  return { rows, lines };
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
      const { rows, lines } = summaryTable(tracer, sigs);
      emit({ type: "summary", syscalls: rows }, () => lines);
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
