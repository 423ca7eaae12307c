// @kprobe("tcp_connect") / @kretprobe("tcp_connect"), and the explicit @fentry / @fexit.
//
// A kprobe's handler takes the traced function's arguments as its parameters, named and
// typed by the kernel's BTF (`onConnect(sk)` gets a `struct sock *`); a kretprobe's handler
// takes the return value. Where the kernel can, they are compiled as fentry/fexit programs
// (no trap, typed arguments); otherwise as kprobes, attached through the kprobe PMU, so the
// attachment is an fd that dies with the process.
import { type ContextField, ProbeLookupError, type ProbeContext } from "../compiler/target.ts";
import { closest } from "../compiler/diagnostics.ts";
import { AttachType, linkCreate, ProgType } from "../runtime/bpf.ts";
import { perfEventOpen } from "../runtime/perf.ts";
import { kernelBtf } from "../runtime/kernel_btf.ts";
import { hasFentry, pmuType, retprobeBit } from "../runtime/features.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { readTextFile } from "../runtime/files.ts";
import { verbose } from "../runtime/verbose.ts";

type Flavour = "kprobe" | "kretprobe" | "fentry" | "fexit";

/** x86-64 argument registers, in order, as pt_regs names them. */
const ARG_REGS = ["di", "si", "dx", "cx", "r8", "r9"];

interface Fn {
  id: number;
  params: { name: string; type: number }[];
  returnType: number;
}

function lookupFunction(name: string): Fn | undefined {
  const btf = kernelBtf();
  const proto = btf.funcProto(name);
  if (!proto) return undefined;
  return { id: proto.funcId, params: proto.params.map((p) => ({ name: p.name, type: p.type })), returnType: proto.returnType };
}

function unknownFunction(name: string): ProbeLookupError {
  const btf = kernelBtf();
  const funcs: string[] = [];
  for (let id = 1; id < btf.typeCount; id++) if (btf.kindOf(id) === "func") funcs.push(btf.nameOf(id));
  const variants = funcs.filter((f) => f.startsWith(`${name}.`));
  if (variants.length) {
    return new ProbeLookupError(`"${name}" exists only as ${variants.map((v) => `"${v}"`).join(", ")} (a compiler-specialised copy)`, [`attach to ${variants[0]} instead`]);
  }
  const inKallsyms = new RegExp(`^[0-9a-f]+ [tT] ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m").test(readTextFile("/proc/kallsyms") ?? "");
  if (inKallsyms) {
    return new ProbeLookupError(`"${name}" is in /proc/kallsyms but not in the kernel's BTF, so its arguments are unknown`, ["it may be inlined or static; trace its caller, or a tracepoint"]);
  }
  const near = closest(name, funcs);
  return new ProbeLookupError(`unknown kernel function "${name}"`, near.length ? [`did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`] : ["list them with: tsbpf list 'kprobe:tcp_*'"]);
}

function field(name: string, offset: number, type: number): ContextField {
  const btf = kernelBtf();
  const t = btf.type(btf.resolve(type));
  return {
    name, offset, size: 8, signed: t.kind === "int" && t.signed, kind: t.kind === "ptr" ? "ptr" : "int",
    cType: btf.typeName(type), space: "either", btfId: type,
  };
}

function regOffset(reg: string): number {
  const btf = kernelBtf();
  const regs = btf.findByName("pt_regs", "struct")[0];
  const m = regs === undefined ? undefined : btf.member(regs, reg);
  if (!m) throw new ProbeLookupError(`this kernel's struct pt_regs has no "${reg}" register`);
  return m.bitOffset / 8;
}

function context(flavour: Flavour, target: string): ProbeContext {
  const fn = lookupFunction(target);
  if (!fn) throw unknownFunction(target);
  const ret = flavour === "kretprobe" || flavour === "fexit";
  const useFentry = flavour === "fentry" || flavour === "fexit" || hasFentry();
  if ((flavour === "fentry" || flavour === "fexit") && !hasFentry()) {
    throw new ProbeLookupError(`this kernel cannot load ${flavour} programs (BPF_PROG_TYPE_TRACING: Linux 5.5+ with BTF, and not refused by policy)`, [`use @${ret ? "kretprobe" : "kprobe"}("${target}"), which falls back to kprobes`]);
  }
  if (!useFentry && pmuType("kprobe") === undefined) {
    throw new ProbeLookupError(`this kernel has neither fentry nor kprobes (no kprobe PMU in /sys/bus/event_source/devices: CONFIG_KPROBES is off)`, ["trace a @tracepoint or @rawTracepoint instead: tsbpf list 'syscalls:*'"]);
  }
  const describe = `${ret ? "kretprobe" : "kprobe"} ${target}`;
  verbose(`${describe}: compiled as ${useFentry ? (ret ? "fexit" : "fentry") : describe.split(" ")[0]} (${useFentry ? "the kernel loads BPF_PROG_TYPE_TRACING" : "no fentry on this kernel: a kprobe through the kprobe PMU"})`);
  if (useFentry) {
    // fentry/fexit: the context is the arguments as u64 slots, then (fexit) the return value.
    const args = fn.params.map((p, i) => field(p.name || `arg${i}`, i * 8, p.type));
    const params = ret ? [field("ret", fn.params.length * 8, fn.returnType)] : args;
    return {
      progType: ProgType.TRACING, expectedAttachType: ret ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY,
      attachBtfId: fn.id, fields: [], params, describe: `${describe} (fentry)`,
    };
  }
  if (fn.params.length > ARG_REGS.length) throw new ProbeLookupError(`${target} has more than ${ARG_REGS.length} arguments; kprobes read only those in registers`);
  const params = ret
    ? [field("ret", regOffset("ax"), fn.returnType)]
    : fn.params.map((p, i) => field(p.name || `arg${i}`, regOffset(ARG_REGS[i]), p.type));
  return { progType: ProgType.KPROBE, fields: [], params, describe };
}

function attach(flavour: Flavour, progFd: number, target: string, progType: number): OwnedFd[] {
  const ret = flavour === "kretprobe" || flavour === "fexit";
  if (progType === ProgType.TRACING) {
    return [linkCreate(progFd, 0, ret ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY, `${flavour} ${target}`)];
  }
  const type = pmuType("kprobe")!;
  const name = new TextEncoder().encode(target + "\0");
  const event = perfEventOpen({
    type, config: ret ? 1n << BigInt(retprobeBit("kprobe")) : 0n, config1: libcSync().addressOf(name), config2: 0n,
    label: `${flavour} ${target}`,
  });
  void name; // kept alive until perf_event_open has copied it
  try {
    return [linkCreate(progFd, event.fd, AttachType.PERF_EVENT, `${flavour} ${target}`), event];
  } catch (e) {
    event.close();
    throw e;
  }
}

function kind(flavour: Flavour) {
  return {
    kind: flavour,
    context: (target: string) => context(flavour, target),
    attach: (progFd: number, target: string, progType: number) => attach(flavour, progFd, target, progType),
    attachBtfId: (target: string) => kernelBtf().findByName(target, "func")[0],
  };
}

export const kprobeProbe = kind("kprobe");
export const kretprobeProbe = kind("kretprobe");
export const fentryProbe = kind("fentry");
export const fexitProbe = kind("fexit");
