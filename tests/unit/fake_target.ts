// A compile target with no kernel behind it, so compiler tests run unprivileged: a small
// synthetic BTF (built with btf/'s writer) holding the structs and functions the tests read,
// tracepoint format files as tracefs writes them, and a fixed feature set (ring buffers and
// kprobes, no fentry, the initial PID namespace). What it says about probes is modelled on this
// project's probes/ (tracepoint, raw tracepoint, kprobe); whether the kernel accepts the
// programs compiled against it is the kernel tests' business (tests/kernel load them).
import { Btf } from "../../btf/reader.ts";
import { BtfBuilder } from "../../btf/writer.ts";
import { didYouMean } from "../../spec/diagnostics.ts";
import { type CompileTarget, type ContextField, type ProbeContext, ProbeLookupError, type ProbeRef } from "../../spec/target.ts";
import { parseFormat } from "../../probes/tracepoint_format.ts";
import { overrideAllowed, type OverrideFacts } from "../../probes/error_injection.ts";
import { skBuffFields } from "../../probes/sk_buff.ts";

const PROG_TYPE = { SOCKET_FILTER: 1, KPROBE: 2, TRACEPOINT: 5, XDP: 6, CGROUP_SKB: 8, RAW_TRACEPOINT: 17 } as const;
/** Raw tracepoints: every argument slot the context may be read at (probes/raw_tracepoint.ts). */
const RAW_ARGS = 12;

const COMMON = `	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;
`;

/** Format files of the tracepoints the tests use, as Linux 6.18's tracefs writes them. */
const FORMATS: Record<string, string> = {
  "syscalls:sys_enter_openat": `ID: 782\nformat:\n${COMMON}
	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:int flags;	offset:32;	size:8;	signed:0;
	field:umode_t mode;	offset:40;	size:8;	signed:0;
`,
  "syscalls:sys_exit_openat": `ID: 781\nformat:\n${COMMON}
	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:long ret;	offset:16;	size:8;	signed:1;
`,
  "syscalls:sys_enter_execve": `ID: 862\nformat:\n${COMMON}
	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:const char * filename;	offset:16;	size:8;	signed:0;
	field:const char *const * argv;	offset:24;	size:8;	signed:0;
	field:const char *const * envp;	offset:32;	size:8;	signed:0;
`,
  "syscalls:sys_enter_close": `ID: 790\nformat:\n${COMMON}
	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:unsigned int fd;	offset:16;	size:8;	signed:0;
`,
  "sched:sched_process_exit": `ID: 369\nformat:\n${COMMON}
	field:char comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t pid;	offset:24;	size:4;	signed:1;
	field:int prio;	offset:28;	size:4;	signed:1;
	field:bool group_dead;	offset:32;	size:1;	signed:0;
`,
};

interface KernelTypes {
  btf: Btf;
  /** Raw tracepoints: their arguments' names and BTF types. */
  rawTracepoints: Record<string, [string, number][]>;
}

/** x86-64 `struct pt_regs`, in order: every register 8 bytes. */
const PT_REGS = ["r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss"];
const ARG_REGS = ["di", "si", "dx", "cx", "r8", "r9"];

function buildKernelTypes(): KernelTypes {
  const b = new BtfBuilder();
  const int = b.addInt("int", 4, { signed: true });
  const uint = b.addInt("unsigned int", 4);
  const long = b.addInt("long int", 8, { signed: true });
  const ulong = b.addInt("long unsigned int", 8);
  const ushort = b.addInt("short unsigned int", 2);
  const char = b.addInt("char", 1, { char: true });
  const bool = b.addInt("_Bool", 1, { bool: true });
  const comm = b.addArray(char, uint, 16);
  const member = (name: string, type: number, byte: number) => ({ name, type, bitOffset: byte * 8 });

  const ptRegs = b.addStruct("pt_regs", PT_REGS.length * 8, PT_REGS.map((r, i) => member(r, ulong, i * 8)));
  const ptRegsPtr = b.addPtr(ptRegs);
  // struct task_struct points to its parents: the pointer comes first, the struct right after it.
  const taskPtr = b.addPtr(ptRegsPtr + 2, true);
  const task = b.addStruct("task_struct", 128, [
    member("__state", uint, 0), member("flags", uint, 4), member("prio", int, 8),
    member("pid", int, 16), member("tgid", int, 20), member("real_parent", taskPtr, 24), member("parent", taskPtr, 32),
    member("comm", comm, 40), member("exit_code", int, 56), member("start_time", ulong, 64),
  ]);
  if (task !== taskPtr + 1) throw new Error("fake_target: task_struct is not where its pointer points");

  const sockCommon = b.addStruct("sock_common", 24, [
    member("skc_daddr", uint, 0), member("skc_rcv_saddr", uint, 4), member("skc_dport", ushort, 12), member("skc_num", ushort, 14),
    member("skc_family", ushort, 16),
  ]);
  const sock = b.addStruct("sock", 32, [member("__sk_common", sockCommon, 0), member("sk_protocol", ushort, 24)]);
  const sockPtr = b.addPtr(sock);
  b.addFunc("tcp_connect", b.addFuncProto(int, [{ name: "sk", type: sockPtr }]), "global");
  b.addFunc("tcp_close", b.addFuncProto(0, [{ name: "sk", type: sockPtr }, { name: "timeout", type: long }]), "global");
  b.addFunc("wake_up_new_task", b.addFuncProto(0, [{ name: "p", type: taskPtr }]), "global");
  b.addFunc("__x64_sys_openat", b.addFuncProto(long, [{ name: "regs", type: ptRegsPtr }]), "global");
  b.addFunc("should_failslab", b.addFuncProto(int, [{ name: "s", type: b.addPtr(0) }, { name: "gfpflags", type: uint }]), "global");

  return {
    btf: Btf.parse(b.bytes()),
    rawTracepoints: {
      sys_enter: [["regs", ptRegsPtr], ["id", long]],
      sys_exit: [["regs", ptRegsPtr], ["ret", long]],
      sched_switch: [["preempt", bool], ["prev", taskPtr], ["next", taskPtr], ["prev_state", uint]],
      sched_process_exit: [["p", taskPtr]],
    },
  };
}

let types: KernelTypes | undefined;
const kernelTypes = () => (types ??= buildKernelTypes());

/** A context field of a BTF-typed argument slot (raw tracepoints, kprobes). */
function btfField(btf: Btf, name: string, offset: number, type: number, space: ContextField["space"]): ContextField {
  const t = btf.type(btf.resolve(type));
  return {
    name, offset, size: 8, signed: t.kind === "int" && t.signed, kind: t.kind === "ptr" ? "ptr" : "int",
    cType: btf.typeName(type), space, btfId: type,
  };
}

function tracepoint(target: string): ProbeContext {
  const format = FORMATS[target];
  if (!format) throw new ProbeLookupError(`unknown tracepoint "${target}"`, didYouMean(target, Object.keys(FORMATS)));
  return { progType: PROG_TYPE.TRACEPOINT, fields: parseFormat(format, target.startsWith("syscalls:")).fields, describe: `tracepoint ${target}` };
}

function rawTracepoint(target: string): ProbeContext {
  const { btf, rawTracepoints } = kernelTypes();
  const args = rawTracepoints[target];
  if (!args) throw new ProbeLookupError(`unknown raw tracepoint "${target}"`, didYouMean(target, Object.keys(rawTracepoints)));
  const named = args.map(([name, type], i) => btfField(btf, name, i * 8, type, "kernel"));
  const positional = args.map(([, type], i) => btfField(btf, `arg${i}`, i * 8, type, "kernel"));
  return { progType: PROG_TYPE.RAW_TRACEPOINT, fields: [...named, ...positional], argArray: RAW_ARGS, describe: `raw tracepoint ${target}` };
}

/** A kernel that lets these functions fail (override()), as its error injection list says. */
const ERROR_INJECTION: OverrideFacts = { helper: true, list: "__x64_sys_openat\tERRNO\nshould_failslab\tERRNO\n" };

function kprobe(kind: "kprobe" | "kretprobe", target: string, override: OverrideFacts | undefined): ProbeContext {
  const errorInjection = override && overrideAllowed(kind, target, false, override);
  if (errorInjection instanceof Error) throw errorInjection;
  const { btf } = kernelTypes();
  const fn = btf.funcProto(target);
  if (!fn) {
    const funcs: string[] = [];
    for (let id = 1; id < btf.typeCount; id++) if (btf.kindOf(id) === "func") funcs.push(btf.nameOf(id));
    throw new ProbeLookupError(`unknown kernel function "${target}"`, didYouMean(target, funcs));
  }
  const reg = (name: string) => PT_REGS.indexOf(name) * 8;
  const params = kind === "kretprobe"
    ? [btfField(btf, "ret", reg("ax"), fn.returnType, "either")]
    : fn.params.map((p, i) => btfField(btf, p.name || `arg${i}`, reg(ARG_REGS[i]), p.type, "either"));
  return { progType: PROG_TYPE.KPROBE, fields: [], params, describe: `${kind} ${target}`, errorInjection };
}

/**
 * The fake target. `ringBuffers: false` models a kernel before 5.8 (RingBuf fields become perf
 * buffers); `errorInjection`, what the kernel says about fault injection (override()).
 */
export function fakeTarget(options: { ringBuffers?: boolean; errorInjection?: OverrideFacts } = {}): CompileTarget {
  return {
    probeContext(ref: ProbeRef): ProbeContext {
      const packets = packetContext(ref);
      if (packets) return packets;
      if (typeof ref.target !== "string" || !ref.target) throw new ProbeLookupError(`@${ref.kind} needs a probe name the test target knows`);
      switch (ref.kind) {
        case "tracepoint": return tracepoint(ref.target);
        case "rawTracepoint": return rawTracepoint(ref.target);
        case "kprobe": case "kretprobe": return kprobe(ref.kind, ref.target, ref.options?.override ? options.errorInjection ?? ERROR_INJECTION : undefined);
      }
      throw new ProbeLookupError(`the test target has no ${ref.kind} probes`, ["use a tracepoint, raw tracepoint or kprobe in compiler unit tests"]);
    },
    btf: () => kernelTypes().btf,
    ringBuffers: () => options.ringBuffers ?? true,
    pidNamespace: () => undefined,
  };
}

/** The packet programs, as probes/cgroup_skb.ts, socket_filter.ts and xdp.ts describe them. */
function packetContext(ref: ProbeRef): ProbeContext | undefined {
  switch (ref.kind) {
    case "cgroupSkb":
      return {
        progType: PROG_TYPE.CGROUP_SKB, expectedAttachType: ref.target === "egress" ? 1 : 0, fields: skBuffFields("cgroup"), cgroupAttached: true, packet: "skb",
        verdict: { fallthrough: 1n, range: [0, 1], meaning: "true or 1 lets the packet pass, false or 0 drops it" }, describe: `cgroup skb ${ref.target}`,
      };
    case "socketFilter":
      return {
        progType: PROG_TYPE.SOCKET_FILTER, fields: skBuffFields("socket"), packet: "skb",
        verdict: { fallthrough: 0xffff_ffffn, meaning: "the number of bytes of the packet to keep", notBool: "true would keep 1 byte of the packet" }, describe: "socket filter",
      };
    case "xdp":
      return {
        progType: PROG_TYPE.XDP, fields: [], packet: "xdp",
        verdict: { fallthrough: 2n, meaning: "an XDP action", notBool: "true would be XDP_DROP (1) and false XDP_ABORTED (0)" }, describe: `xdp ${ref.target}`,
      };
  }
  return undefined;
}
