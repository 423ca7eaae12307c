// The helpers a handler can call: pid(), comm(), str(p), ... and how each becomes BPF.
import { Code } from "../spec/diagnostics.ts";
import type { Base, Operand } from "./ir.ts";
import type { Node } from "./parse.ts";
import { describeValue, type Lower, type Value } from "./lower/context.ts";
import { cgroupType, i64, inetType, ksymType, kstackType, probeNameType, sizeOf, type StrType, type Type, typeName, u32, u64, ustackType, usymType } from "../spec/layout.ts";
import { CGROUP_MAP, probeId, STACKS_MAP } from "../spec/tracer_spec.ts";
import { kernelAddress, readHelper, readStrHelper, spaceCast } from "./kernel_access.ts";
import { memberFact, pidNamespaceFact } from "./assumptions.ts";
import { HANDLER_HELPERS, type HandlerHelperName, Helper } from "../spec/bpf/helpers.ts";
import { ProgType } from "../spec/prog_type.ts";
import { SYSCALL_EXIT_INDEX } from "../spec/target.ts";


type Scalar = Extract<Value, { kind: "scalar" }>;

const AF_INET = 2n, AF_INET6 = 10n;

/**
 * ntop(address) or ntop(family, address) into an Inet at base+off: the family, then the
 * address's bytes as they are in memory (network order), an IPv4 one zero-padded to 16. Without a
 * family, the address's size says which (4 bytes or a 32-bit integer: IPv4; 16: IPv6), as bpftrace's.
 */
function ntopInto(l: Lower, e: Node, t: Type, base: Base, off: number): void {
  const usage = "ntop(a.daddr), ntop(sk.__sk_common.skc_daddr), ntop(AF_INET6, sk.__sk_common.skc_v6_daddr)";
  if (e.arguments.length < 1 || e.arguments.length > 2) l.fail(e, Code.BadCall, `ntop() takes an address, or a family and an address: ${usage}`);
  if (t.kind !== "struct" || !t.inet) l.fail(e, Code.TypeMismatch, `ntop() gives an Inet (an IPv4 or IPv6 address), but ${typeName(t)} is expected here`, "declare the field as Inet");
  const family = e.arguments.length === 2 ? l.convert(l.intScalar(e.arguments[0]), u32, e.arguments[0]).op : undefined;
  ntopAddressInto(l, e.arguments[e.arguments.length - 1], family, base, off, usage);
}

/**
 * ntop()'s address `arg` and its family into the Inet at base+off. A conditional address
 * (`a.family == 2 ? a.daddr : a.daddr_v6`) writes the arm its condition picks, each arm an
 * address of its own size, as a conditional string does.
 */
function ntopAddressInto(l: Lower, arg: Node, family: Operand | undefined, base: Base, off: number, usage: string): void {
  if (arg.type === "ParenthesizedExpression") return ntopAddressInto(l, arg.expression, family, base, off, usage);
  if (arg.type === "ConditionalExpression") {
    const otherwise = l.b.label(), done = l.b.label();
    l.branch(arg.test, false, otherwise);
    ntopAddressInto(l, arg.consequent, family, base, off, usage);
    l.b.emit({ op: "jmp", target: done });
    l.b.place(otherwise);
    ntopAddressInto(l, arg.alternate, family, base, off, usage);
    return l.b.place(done);
  }
  const at = off + 4;
  const bad = (what: string): never => l.fail(arg, Code.TypeMismatch, `ntop() takes an address: a 32-bit integer or 4 bytes (IPv4), or 16 bytes (IPv6), not ${what}`, `e.g. ${usage}`);
  if (l.isAggregateCall(arg)) return bad(typeName(l.aggregateType(arg)));
  const v = l.expr(arg);
  let size: number;
  if (v.kind === "scalar") {
    if (v.type.kind !== "int") return bad(typeName(v.type));
    size = 4;
    l.b.emit({ op: "store", base, off: at, size: 4, value: l.convert(v, u32, arg).op });
  } else if (v.kind === "mem") {
    size = sizeOf(v.type);
    if (size !== 4 && size !== 16) return bad(`${typeName(v.type)} (${size} bytes)`);
    l.copy(v, base, at);
  } else if (v.kind === "kmem") {
    size = l.input.target.btf().sizeOf(v.btfId);
    if (size !== 4 && size !== 16) return bad(`${l.input.target.btf().typeName(v.btfId)} (${size} bytes)`);
    l.b.emit({ op: "call", helper: readHelper(v.space), args: [l.address(base, at), BigInt(size), kernelAddress(l, v)] });
  } else if (v.kind === "ctxfield" && v.field.kind === "array") {
    size = v.field.size;
    if (size !== 4 && size !== 16) return bad(`field "${v.field.name}" (${v.field.cType})`);
    for (let i = 0; i < size; i += 4) l.b.emit({ op: "store", base, off: at + i, size: 4, value: l.b.load(l.ctx, v.field.offset + i, 4) });
  } else {
    return bad(describeValue(v));
  }
  l.b.emit({ op: "store", base, off, size: 4, value: family ?? (size === 4 ? AF_INET : AF_INET6) });
  if (size === 4) l.zero(base, at + 4, 12);
}

/** Program types whose context starts with the saved registers (struct pt_regs): kprobe/uprobe, perf_event. */
const REGS_CONTEXTS = new Set<number>([ProgType.KPROBE, ProgType.PERF_EVENT]);

export interface Builtin {
  /** For helpers returning a number. */
  scalar?: (l: Lower, e: Node) => Scalar;
  /** For helpers producing a string: written straight into its destination. */
  aggregate?: {
    defaultType: (l: Lower, e: Node) => Type;
    into: (l: Lower, e: Node, t: Type, base: Base, off: number) => void;
  };
  doc: string;
}

function noArgs(l: Lower, e: Node, name: string): void {
  if (e.arguments.length) l.fail(e.arguments[0], Code.BadCall, `${name}() takes no arguments`);
}

/**
 * The current task's tgid << 32 | pid: the kernel's numbers, or, when the tracer runs inside a
 * PID namespace, that namespace's (0 for a task outside it), as struct bpf_pidns_info lays them out.
 */
function pidTgid(l: Lower): number {
  const ns = l.input.target.pidNamespace?.();
  l.assume(pidNamespaceFact(ns));
  if (!ns) return l.b.call(Helper.get_current_pid_tgid, []);
  const off = l.b.allocStack(8, 8);
  l.b.emit({ op: "call", helper: Helper.get_ns_current_pid_tgid, args: [l.b.mov(ns.dev), l.b.mov(ns.ino), l.b.frame(off), 8n] });
  return l.b.load("fp", off, 8);
}
const uidGid = (l: Lower) => l.b.call(Helper.get_current_uid_gid, []);

function expectStr(l: Lower, e: Node, t: Type, what: string): StrType {
  if (t.kind !== "str") l.fail(e, Code.TypeMismatch, `${what} gives a string, but ${typeName(t)} is expected here`, "declare the field as Str<N>");
  return t;
}

const LOWERINGS = {
  pid: {
    scalar: (l, e) => (noArgs(l, e, "pid"), { kind: "scalar", type: u32, op: l.b.alu("rsh", pidTgid(l), 32n) }),
  },
  tid: {
    scalar: (l, e) => (noArgs(l, e, "tid"), { kind: "scalar", type: u32, op: l.zext32(pidTgid(l)) }),
  },
  uid: {
    scalar: (l, e) => (noArgs(l, e, "uid"), { kind: "scalar", type: u32, op: l.zext32(uidGid(l)) }),
  },
  gid: {
    scalar: (l, e) => (noArgs(l, e, "gid"), { kind: "scalar", type: u32, op: l.b.alu("rsh", uidGid(l), 32n) }),
  },
  ktime: {
    scalar: (l, e) => (noArgs(l, e, "ktime"), { kind: "scalar", type: u64, op: l.b.call(Helper.ktime_get_ns, []) }),
  },
  cpu: {
    scalar: (l, e) => (noArgs(l, e, "cpu"), { kind: "scalar", type: u32, op: l.b.call(Helper.get_smp_processor_id, []) }),
  },
  ppid: {
    scalar: (l, e) => {
      noArgs(l, e, "ppid");
      const btf = l.input.target.btf();
      const task = btf.findByName("task_struct", "struct")[0];
      const parent = btf.member(task, "real_parent");
      const tgid = btf.member(task, "tgid");
      if (!parent || !tgid) return l.fail(e, Code.Unsupported, `this kernel's task_struct has no real_parent/tgid`);
      l.assume(memberFact(btf, task, "real_parent")!);
      l.assume(memberFact(btf, task, "tgid")!);
      const cur = l.b.call(Helper.get_current_task, []);
      const p = readKernel(l, l.b.alu("add", cur, BigInt(parent.bitOffset / 8)), 8);
      return { kind: "scalar", type: u32, op: readKernel(l, l.b.alu("add", p, BigInt(tgid.bitOffset / 8)), 4) };
    },
  },
  kstack: {
    scalar: (l, e) => (noArgs(l, e, "kstack"), captureStack(l, "kernel", STACKS_MAP, 0)),
  },
  ustack: {
    scalar: (l, e) => (noArgs(l, e, "ustack"), captureStack(l, "user", STACKS_MAP, 0)),
  },
  probe: {
    scalar: (l, e) => {
      noArgs(l, e, "probe");
      // A wildcard's program reads which target fired from its attach cookie (5.15+, 5.18+ for
      // kprobe_multi); a program with one target knows it already.
      const op = l.input.probe.multi ? l.b.call(Helper.get_attach_cookie, [l.ctx]) : probeId(l.input.programIndex, 0);
      // Attached once to raw_syscalls: which of the wildcard's syscalls is its number (below 2^32, filtered).
      if (l.input.probe.syscalls) return { kind: "scalar", type: probeNameType, op: l.b.alu("or", op, l.b.load(l.ctx, SYSCALL_NR_OFFSET, 8)) };
      return { kind: "scalar", type: probeNameType, op };
    },
  },
  cgroup: {
    scalar: (l, e) => (noArgs(l, e, "cgroup"), { kind: "scalar", type: u64, op: l.b.call(Helper.get_current_cgroup_id, []) }),
  },
  skbLoad: { scalar: (l, e) => packetLoad(l, e, "skb") },
  skbCgroup: {
    scalar: (l, e) => {
      if (!l.input.probe.cgroupAttached) l.fail(e, Code.BadCall, `skbCgroup() is the cgroup of a @cgroupSkb handler's packet; a ${l.input.probe.describe} has none`, "cgroup() is the current task's cgroup");
      if (e.arguments.length !== 1 || l.expr(e.arguments[0]).kind !== "ctx") l.fail(e.arguments[0] ?? e, Code.BadCall, `skbCgroup() takes the handler's packet parameter`, "write skbCgroup(skb)");
      return { kind: "scalar", type: u64, op: l.b.call(Helper.skb_cgroup_id, [l.ctx]) };
    },
  },
  xdpLoad: { scalar: (l, e) => packetLoad(l, e, "xdp") },
  ksym: {
    scalar: (l, e) => {
      if (e.arguments.length !== 1) l.fail(e, Code.BadCall, `ksym() takes a kernel address: ksym(args.call_site)`);
      // A pointer (a tracepoint's void *function) is its address as it is.
      const address = l.scalar(e.arguments[0]);
      if (address.type.kind === "ptr") return { kind: "scalar", type: ksymType, op: address.op };
      if (address.type.kind !== "int") l.fail(e.arguments[0], Code.TypeMismatch, `ksym() takes a kernel address, a number or a pointer, not ${typeName(address.type)}`);
      return { kind: "scalar", type: ksymType, op: l.convert(address, u64, e.arguments[0]).op };
    },
  },
  reg: {
    scalar: (l, e) => {
      const name = e.arguments[0];
      if (e.arguments.length !== 1 || name.type !== "StringLiteral") l.fail(e, Code.BadCall, `reg() takes a register's name as a string: reg("ip")`);
      // A kprobe's or uprobe's context is the saved registers; a perf event's (profile) begins with them.
      if (!REGS_CONTEXTS.has(l.input.probe.progType)) {
        l.fail(e, Code.BadCall, `reg() reads the registers a kprobe, uprobe, usdt or profile probe stopped at; a ${l.input.probe.describe} has none`, "a tracepoint's values are its fields: args.name");
      }
      const btf = l.input.target.btf();
      const [regs] = btf.findByName("pt_regs", "struct");
      const m = regs === undefined ? undefined : btf.member(regs, name.value);
      if (!m) return l.fail(name, Code.BadCall, `this kernel's struct pt_regs has no register "${name.value}"`, `its registers: ${btf.memberNames(regs).join(", ")}`);
      l.assume(memberFact(btf, regs, name.value)!);
      return l.asScalar(l.contextField({ name: `reg("${name.value}")`, offset: m.bitOffset / 8, size: 8, signed: false, kind: "int", cType: "unsigned long", space: "kernel" }), e) as Scalar;
    },
  },
  cgroupName: {
    scalar: (l, e) => {
      if (e.arguments.length !== 1) l.fail(e, Code.BadCall, `cgroupName() takes a cgroup id: cgroupName(cgroup())`);
      return { kind: "scalar", type: cgroupType, op: l.convert(l.intScalar(e.arguments[0]), u64, e.arguments[0]).op };
    },
  },
  curtask: {
    scalar: (l, e) => {
      noArgs(l, e, "curtask");
      const btf = l.input.target.btf();
      const [task] = btf.findByName("task_struct", "struct");
      return { kind: "scalar", type: { kind: "ptr", space: "kernel", cType: "struct task_struct *", btfId: task }, op: l.b.call(Helper.get_current_task, []) };
    },
  },
  user: {
    scalar: (l, e) => spaceCast(l, e, "user"),
  },
  kernel: {
    scalar: (l, e) => spaceCast(l, e, "kernel"),
  },
  override: {
    scalar: (l, e) => {
      // Set by the probe only for a @kprobe on an error-injectable function (probes/error_injection.ts).
      if (!l.input.probe.errorInjection) {
        l.fail(e, Code.Unsupported, `override() changes what a kernel function returns, so it works only in a @kprobe handler on a function the kernel lets fail; this is a ${l.input.probe.describe} handler`,
          "fault injection: @kprobe(\"__x64_sys_openat\") onOpen() { if (pid() === this.victim) override(-2); }");
      }
      if (e.arguments.length !== 1) l.fail(e, Code.BadCall, `override() takes the value the function returns: override(-2)`);
      const value = l.convert(l.intScalar(e.arguments[0]), i64, e.arguments[0]).op;
      l.b.emit({ op: "call", helper: Helper.override_return, args: [l.ctx, value] });
      return { kind: "scalar", type: u32, op: 0n };
    },
  },
  usym: {
    aggregate: {
      defaultType: () => usymType,
      into: (l, e, t, base, off) => {
        if (e.arguments.length !== 1) l.fail(e, Code.BadCall, `usym() takes a user address: usym(reg("ip"))`);
        if (t.kind !== "struct" || !t.usym) l.fail(e, Code.TypeMismatch, `usym() gives a USym (a user address and its process), but ${typeName(t)} is expected here`, "declare the field as USym");
        // A pointer is its address as it is; the process is the current one (the address is in its memory).
        const address = l.scalar(e.arguments[0]);
        if (address.type.kind !== "int" && address.type.kind !== "ptr") l.fail(e.arguments[0], Code.TypeMismatch, `usym() takes a user address, a number or a pointer, not ${typeName(address.type)}`);
        const op = address.type.kind === "ptr" ? address.op : l.convert(address, u64, e.arguments[0]).op;
        l.b.emit({ op: "store", base, off, size: 8, value: op });
        l.b.emit({ op: "store", base, off: off + 8, size: 4, value: l.b.alu("rsh", pidTgid(l), 32n) });
        l.b.emit({ op: "store", base, off: off + 12, size: 4, value: 0n }); // padding: part of a key's identity
      },
    },
  },
  ntop: {
    aggregate: {
      defaultType: () => inetType,
      into: (l, e, t, base, off) => ntopInto(l, e, t, base, off),
    },
  },
  comm: {
    aggregate: {
      defaultType: () => ({ kind: "str", len: 16 }),
      into: (l, e, t, base, off) => {
        noArgs(l, e, "comm");
        const s = expectStr(l, e, t, "comm()");
        l.b.emit({ op: "call", helper: Helper.get_current_comm, args: [l.address(base, off), BigInt(s.len)] });
      },
    },
  },
  str: {
    aggregate: {
      defaultType: (l, e) => ({ kind: "str", len: strLength(l, e) ?? 256 }),
      into: (l, e, t, base, off) => {
        const s = expectStr(l, e, t, "str()");
        if (e.arguments.length < 1 || e.arguments.length > 2) l.fail(e, Code.BadCall, `str() takes a pointer and an optional length: str(args.filename)`);
        const len = Math.min(strLength(l, e) ?? s.len, s.len);
        const src = l.expr(e.arguments[0]);
        const dst = l.address(base, off);
        if (src.kind === "kmem") {
          l.b.emit({ op: "call", helper: readStrHelper(src.space), args: [dst, BigInt(len), kernelAddress(l, src)] });
          return;
        }
        if (src.kind === "ctxfield") {
          // A string inside the tracepoint record: inline (char[N]) or dynamic (__data_loc: u32 offset | len << 16).
          const f = src.field;
          let at = l.b.alu("add", l.ctx, BigInt(f.offset));
          if (f.kind === "data_loc") at = l.b.alu("add", l.ctx, l.b.alu("and", l.b.load(l.ctx, f.offset, 4), 0xffffn));
          l.b.emit({ op: "call", helper: Helper.probe_read_kernel_str, args: [dst, BigInt(len), at] });
          return;
        }
        if (src.kind !== "scalar" || src.type.kind !== "ptr") {
          const address = src.kind === "scalar" && src.type.kind === "int" && src.type.bits === 64;
          return l.fail(e.arguments[0], Code.TypeMismatch, `str() reads from a pointer, got ${src.kind === "scalar" ? typeName(src.type) : src.kind}`,
            ...(address ? ["an address held as a number: say which memory it points to, str(user(x)) or str(kernel(x))"] : []));
        }
        // "either": the legacy helper, which reads user or kernel memory by address on x86-64.
        l.b.emit({ op: "call", helper: readStrHelper(src.type.space), args: [dst, BigInt(len), src.op] });
      },
    },
  },
} satisfies Record<HandlerHelperName, Omit<Builtin, "doc">>;

/** The handler helpers of the table (spec/bpf/helpers.ts), each with how it is lowered. */
export const BUILTINS: Record<string, Builtin> = Object.fromEntries(
  Object.entries(LOWERINGS).map(([name, b]) => [name, { ...b, doc: HANDLER_HELPERS[name as HandlerHelperName].doc }]),
);

/** A tracer limited to a cgroup: each handler returns at once for tasks outside it (or its descendants). */
export function cgroupFilter(l: Lower): void {
  const map = l.b.reg();
  l.b.emit({ op: "map", dst: map, map: CGROUP_MAP });
  const inside = l.b.label();
  l.b.emit({ op: "br", cond: "jeq", a: l.b.call(Helper.current_task_under_cgroup, [map, 0n]), b: 1n, target: inside });
  l.b.emit({ op: "ret", value: 0n });
  l.b.place(inside);
}

/** Where a syscall's number is in the records of raw_syscalls (long id) and syscalls:* (int __syscall_nr). */
export const SYSCALL_NR_OFFSET = 8;
/** x86's thread_info.status bit of a task in a 32-bit syscall (ia32, int 0x80 included): TS_COMPAT. */
const TS_COMPAT = 2n;

/**
 * A syscall wildcard attached once to raw_syscalls: the handler runs only where one of the
 * matched tracepoints would fire, in a 64-bit syscall whose number is one of `numbers` (the
 * kernel's syscalls:* events never fire in a 32-bit one, whose numbers are another table's).
 * A binary search over the numbers' runs, then the task's TS_COMPAT bit.
 */
export function syscallFilter(l: Lower, numbers: number[]): void {
  const enters = numbers.filter((n) => n < SYSCALL_EXIT_INDEX), exits = numbers.filter((n) => n >= SYSCALL_EXIT_INDEX).map((n) => n - SYSCALL_EXIT_INDEX);
  const nr = l.b.load(l.ctx, SYSCALL_NR_OFFSET, 8);
  const skip = l.b.label(), matched = l.b.label();
  if (!enters.length || !exits.length || String(runsOf(enters)) === String(runsOf(exits))) {
    numberSearch(l, nr, runsOf(enters.length ? enters : exits), skip, matched);
  } else {
    // Entries and exits of different syscalls: the exit's attachment has the exit bit in its cookie.
    const exit = l.b.label();
    l.b.emit({ op: "br", cond: "jset", a: l.b.call(Helper.get_attach_cookie, [l.ctx]), b: BigInt(SYSCALL_EXIT_INDEX), target: exit });
    numberSearch(l, nr, runsOf(enters), skip, matched);
    l.b.place(exit);
    numberSearch(l, nr, runsOf(exits), skip, matched);
  }
  l.b.place(matched);
  const btf = l.input.target.btf();
  const task = btf.findByName("task_struct", "struct")[0];
  const info = btf.findByName("thread_info", "struct")[0];
  const thread = task === undefined ? undefined : btf.member(task, "thread_info");
  const status = info === undefined ? undefined : btf.member(info, "status");
  if (!thread || !status) throw new Error("this kernel's task_struct has no thread_info.status (x86-64's has): a syscall wildcard cannot be attached to raw_syscalls here");
  l.assume(memberFact(btf, task, "thread_info")!);
  l.assume(memberFact(btf, info, "status")!);
  const cur = l.b.call(Helper.get_current_task, []);
  const bits = readKernel(l, l.b.alu("add", cur, BigInt((thread.bitOffset + status.bitOffset) / 8)), 4);
  const native = l.b.label();
  l.b.emit({ op: "br", cond: "jset", a: bits, b: TS_COMPAT, target: skip });
  l.b.emit({ op: "jmp", target: native });
  l.b.place(skip);
  l.b.emit({ op: "ret", value: 0n });
  l.b.place(native);
}

/** The numbers as runs of consecutive ones, [first, last], in order. */
function runsOf(numbers: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const n of [...new Set(numbers)].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && last[1] === n - 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}

/** A binary search of `nr` over `runs`: on to `matched` when in one, `skip` otherwise. */
function numberSearch(l: Lower, nr: Operand, runs: [number, number][], skip: number, matched: number): void {
  // Unsigned compares: a negative number (-1: no syscall) is above every run.
  // `floor`: what the number is known to be at least here.
  const search = (from: number, to: number, floor: number): void => {
    if (to - from === 1) {
      const [lo, hi] = runs[from];
      if (lo > floor) l.b.emit({ op: "br", cond: "jlt", a: nr, b: BigInt(lo), target: skip });
      l.b.emit({ op: "br", cond: "jle", a: nr, b: BigInt(hi), target: matched });
      l.b.emit({ op: "jmp", target: skip });
      return;
    }
    const mid = (from + to) >> 1, upper = l.b.label();
    l.b.emit({ op: "br", cond: "jge", a: nr, b: BigInt(runs[mid][0]), target: upper });
    search(from, mid, floor);
    l.b.place(upper);
    search(mid, to, runs[mid][0]);
  };
  search(0, runs.length, 0);
}

const BPF_F_USER_STACK = 1n << 8n;

/**
 * Stores the current kernel or user stack in the stack-trace map `mapName` and gives its value:
 * the 32-bit id (negative on failure) in the low half; for a user stack the pid above it (for
 * symbolizing); and the map's number (`stackIndex`) in the top byte, so the value decodes to
 * frames wherever it is stored.
 */
export function captureStack(l: Lower, kind: "kernel" | "user", mapName: string, stackIndex: number): Scalar {
  if (mapName === STACKS_MAP) l.usesStacks = true;
  const map = l.b.reg();
  l.b.emit({ op: "map", dst: map, map: mapName });
  let value = l.zext32(l.b.call(Helper.get_stackid, [l.ctx, map, kind === "user" ? BPF_F_USER_STACK : 0n]));
  // The pid as /proc shows it where tsbpf runs, to find the process's files when symbolizing.
  if (kind === "user") value = l.b.alu("or", l.b.alu("lsh", l.b.alu("rsh", pidTgid(l), 32n), 32n), value);
  if (stackIndex) value = l.b.alu("or", value, l.b.mov(BigInt(stackIndex) << 56n));
  return { kind: "scalar", type: kind === "user" ? ustackType : kstackType, op: value };
}

function strLength(l: Lower, e: Node): number | undefined {
  const n = e.arguments[1];
  if (!n) return undefined;
  if (n.type !== "NumericLiteral" || !Number.isInteger(n.value) || n.value < 1 || n.value > 4096) {
    l.fail(n, Code.NotConstant, `str()'s length must be a number literal from 1 to 4096`);
  }
  return n.value;
}

/** Reads `size` bytes of kernel memory at `addr` through a stack slot. */
function readKernel(l: Lower, addr: number, size: 4 | 8): number {
  const off = l.b.allocStack(8, 8);
  l.b.emit({ op: "call", helper: Helper.probe_read_kernel, args: [l.b.frame(off), BigInt(size), addr] });
  return l.b.load("fp", off, size);
}

const PACKET_HANDLERS = { skb: "@cgroupSkb and @socketFilter handlers", xdp: "@xdp handlers" };

/**
 * skbLoad(skb, offset, size) and xdpLoad(ctx, offset, size): bpf_skb_load_bytes or
 * bpf_xdp_load_bytes into a zeroed stack slot (so a packet too short gives 0), read back as the
 * bytes sit in memory.
 */
function packetLoad(l: Lower, e: Node, kind: "skb" | "xdp"): Scalar {
  const name = kind === "skb" ? "skbLoad" : "xdpLoad";
  const [ctx, offset, size] = e.arguments;
  if (l.input.probe.packet !== kind) {
    const other = l.input.probe.packet === "skb" ? " (use skbLoad)" : l.input.probe.packet === "xdp" ? " (use xdpLoad)" : "";
    l.fail(e, Code.BadCall, `${name}() reads the packet of ${PACKET_HANDLERS[kind]}, not of a ${l.input.probe.describe}${other}`);
  }
  if (!ctx || l.expr(ctx).kind !== "ctx") l.fail(ctx ?? e, Code.BadCall, `${name}()'s first argument is the handler's packet parameter`, `write ${name}(${kind === "skb" ? "skb" : "ctx"}, 12, 2)`);
  if (size?.type !== "NumericLiteral" || ![1, 2, 4, 8].includes(size.value)) l.fail(size ?? e, Code.NotConstant, `${name}()'s size must be 1, 2, 4 or 8`);
  const off = l.intScalar(offset);
  const slot = l.b.allocStack(8, 8);
  l.zero("fp", slot, 8);
  l.b.emit({ op: "call", helper: kind === "skb" ? Helper.skb_load_bytes : Helper.xdp_load_bytes, args: [l.ctx, off.op, l.b.frame(slot), BigInt(size.value)] });
  return { kind: "scalar", type: size.value === 8 ? u64 : u32, op: l.b.load("fp", slot, size.value as 1 | 2 | 4 | 8) };
}
