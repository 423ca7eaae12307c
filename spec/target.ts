// What the compiler needs to know about the machine it compiles for, supplied by probes/
// and runtime/ (the compiler itself makes no syscalls).
import type { Btf } from "../btf/reader.ts";
import type { IntType } from "./layout.ts";
import { UserFacingError } from "./user_facing.ts";

/** One field of a probe's context (a tracepoint's format file, for example). */
export interface ContextField {
  name: string;
  offset: number;
  size: number;
  signed: boolean;
  /**
   * "int": a scalar; "ptr": a pointer (to `pointee`, e.g. "char"); "array": inline array; "data_loc": dynamic array;
   * "operand": a value computed from the context, see `operand`.
   */
  kind: "int" | "ptr" | "array" | "data_loc" | "operand";
  /** The C type as the kernel wrote it, for messages. */
  cType: string;
  /** Where a "ptr" points: user memory (syscall arguments) or kernel memory. */
  space: "user" | "kernel" | "either";
  elemSize?: number;
  /** A "ptr" register the script declared a 64-bit integer: see PtrType's `number`. */
  number?: IntType;
  /** The field's kernel type (BTF id), when the probe knows it: gives pointers a pointee. */
  btfId?: number;
  /**
   * For "operand" (a USDT argument that is not just a register): `disp` plus each 8-byte
   * context slot `regs[i].offset` (a pt_regs register) times its `scale`. Without `deref` that
   * sum is the value (a constant when `regs` is empty); with `deref`, it is the user-memory
   * address of the value, `size` bytes, read with bpf_probe_read_user.
   * The value is typed by `size` and `signed`, or as `kind` "ptr" when `pointer` is set.
   */
  operand?: { regs: { offset: number; scale: number }[]; disp: bigint; deref: boolean; pointer?: boolean };
  /**
   * A syscall wildcard's argument at another place in different syscalls (ProbeContext.syscalls):
   * at `offset` in the records of the syscalls numbered `syscalls` (`offset` above is the first
   * place's). Only these syscalls have it: a handler reading it runs only in them.
   */
  places?: { offset: number; syscalls: number[] }[];
}

/** A probe's run-time options, from the decorator call itself (a uprobe's pid, a profile's rate). */
export type ProbeOptions = Record<string, string | number | boolean | undefined>;

/** A probe as written in a decorator, before it is resolved against the kernel. */
export interface ProbeRef {
  kind: string;
  target: string;
  /** Known at run time only (given to `probeContext` by the runtime, never from the source). */
  options?: ProbeOptions;
  /**
   * The handler's method, when the decorator's target is not a literal (`@kprobe(pattern)`):
   * the target is then the one the decorator was called with at run time.
   */
  method?: string;
}

/**
 * Added to a syscall's number in ProbeContext.syscalls (and in probe()'s target index) for an exit,
 * when a syscall wildcard attached once has both sides: the exit's attach cookie has this bit.
 */
export const SYSCALL_EXIT_INDEX = 0x80000000;

/** What a probe gives its handler: the program type and the context layout. */
export interface ProbeContext {
  progType: number;
  expectedAttachType?: number;
  fields: ContextField[];
  /** The context is an array of u64 arguments (raw tracepoints): `args[i]` reads the i-th. */
  argArray?: number;
  /**
   * The handler's parameters, in order, when the probe passes them one by one (a kprobe's
   * function arguments): parameter i reads params[i] from the context.
   */
  params?: ContextField[];
  /**
   * The program is attached to several targets (a wildcard), each with an attach cookie, which
   * probe() reads; otherwise probe() is a constant.
   */
  multi?: boolean;
  /**
   * A wildcard of syscall tracepoints attached once, to raw_syscalls (probes/tracepoint_syscalls.ts):
   * the handler runs only in a 64-bit syscall numbered here (numbers[i] is target i's), and
   * probe()'s target index is the syscall's number, not i. A wildcard of entries and exits
   * (syscalls:*) is attached to both sides, and an exit's number here has SYSCALL_EXIT_INDEX added.
   */
  syscalls?: number[];
  /**
   * A wildcard's matches that have a field of this name, when not all have it alike (the handler
   * cannot read it): what the error about it names.
   */
  matchesWith?(field: string): string[];
  /**
   * The handler may call override(): a kprobe on a function the kernel lets fail, with what it
   * may be made to return ("ERRNO", "NULL", "ERRNO_NULL", "TRUE"). Asked for with the probe
   * option `override` (compiler/override.ts).
   */
  errorInjection?: string;
  /** For fentry/fexit: the BTF id of the traced function in the kernel's BTF. */
  attachBtfId?: number;
  /** Name for messages: "tracepoint syscalls:sys_enter_execve". */
  describe: string;
  /**
   * For programs whose return value decides what the kernel does with a packet (cgroup skb,
   * socket filter, XDP): what a handler returns when it ends without `return`, the range the
   * verifier accepts (none: any value), and what the values mean, for messages; `notBool`: why
   * a bool is refused (what true and false would mean).
   */
  verdict?: { fallthrough: bigint; range?: [min: number, max: number]; meaning: string; notBool?: string };
  /**
   * The program is attached to a cgroup (the tracer's cgroup, when it has one): the cgroup
   * filter of tracing programs does not apply, and could not (it reads the current task).
   */
  cgroupAttached?: boolean;
  /** The context is a packet: an `__sk_buff` that skbLoad() reads, or an `xdp_md` that xdpLoad() reads. */
  packet?: "skb" | "xdp";
}

/**
 * What a ProbeLookupError carries, under `Symbol.for` so that another copy of this module knows
 * it: a bundle imports its compiler as a module of its own (build/bundle.ts), so the target's
 * errors do not come from the compiler's copy of these classes. The value is the error's kind.
 */
const PROBE_LOOKUP: unique symbol = Symbol.for("tsbpf.probe-lookup") as never;

/** Thrown by `CompileTarget.probeContext` when a probe cannot be resolved. */
export class ProbeLookupError extends UserFacingError {
  [PROBE_LOOKUP]: "lookup" | "override" = "lookup";
  constructor(message: string, readonly hints: string[] = []) {
    super(message);
    this.name = "ProbeLookupError";
  }
}

/** Whether `e` is a ProbeLookupError of any copy of this module (`kind` "override": an OverrideRefusedError). */
export function isProbeLookupError(e: unknown, kind?: "override"): e is ProbeLookupError {
  const brand = (e as Record<symbol, unknown> | null)?.[PROBE_LOOKUP];
  return e instanceof Error && brand !== undefined && (kind === undefined || brand === kind);
}

/** A ProbeLookupError saying why this probe's handler cannot call override(): reported at the call. */
export class OverrideRefusedError extends ProbeLookupError {
  constructor(message: string, hints: string[] = []) {
    super(message, hints);
    this[PROBE_LOOKUP] = "override";
    this.name = "OverrideRefusedError";
  }
}

export interface CompileTarget {
  /** Resolves a decorator's probe, or throws ProbeLookupError. */
  probeContext(ref: ProbeRef): ProbeContext;
  /** The kernel's BTF, for kernel struct access and helpers that read task_struct. */
  btf(): Btf;
  /**
   * Whether the kernel has BPF ring buffers (5.8+); when it answers false, RingBuf fields are
   * compiled as perf buffers. Asked only when a tracer declares a RingBuf (default: true).
   */
  ringBuffers?(): boolean;
  /**
   * The PID namespace the tracer runs in, when it is not the initial one: pid() and tid() then
   * give that namespace's numbers (bpf_get_ns_current_pid_tgid). Default: the initial one.
   */
  pidNamespace?(): { dev: bigint; ino: bigint } | undefined;
}
