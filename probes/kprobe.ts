// @kprobe("tcp_connect") / @kretprobe("tcp_connect"), and the explicit @fentry / @fexit.
//
// A kprobe's handler takes the traced function's arguments as its parameters, named and
// typed by the kernel's BTF (`onConnect(sk)` gets a `struct sock *`); a kretprobe's handler
// takes the return value. Where the kernel can, they are compiled as fentry/fexit programs
// (no trap, typed arguments); otherwise as kprobes, attached through the kprobe PMU, so the
// attachment is an fd that dies with the process.
//
// A wildcard (`@kprobe("tcp_*")`) attaches one kprobe program to every matching function the
// kernel lets us trace: through one kprobe_multi link (5.18+) where the kernel has it, else one
// perf kprobe per function (at most 1000, as bcc). The functions' signatures differ, so its
// handler's parameters are the raw argument registers (arg0..arg5) as u64, or the return value;
// probe() names the function (each target has its own attach cookie).
import { type ContextField, ProbeLookupError, type ProbeContext, type ProbeOptions } from "../spec/target.ts";
import { ERROR_INJECTION_LIST, overrideAllowed, type OverrideFacts } from "./error_injection.ts";
import { readTextFile } from "../runtime/files.ts";
import { closest } from "../spec/diagnostics.ts";
import { AttachType, kprobeMultiLinkCreate, linkCreate, ProgType } from "../runtime/bpf.ts";
import { perfEventOpen } from "../runtime/perf.ts";
import { kernelBtf } from "../runtime/kernel_btf.ts";
import { hasFentry, hasKprobeMulti, pmuType, retprobeBit } from "../runtime/features.ts";
import { attachEach, expandWildcard, isWildcard } from "./wildcard.ts";
import { kernelTextSymbols, specialisedCopies, traceableFunctions } from "./kernel_functions.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { verbose } from "../runtime/verbose.ts";
import { kernelSymbolName } from "./names.ts";

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

/** Wildcards attach to at most this many functions: per-function kprobes as bcc, kprobe_multi far more. */
const MAX_KPROBES = 1000;
const MAX_KPROBE_MULTI = 20000;

/**
 * A function the kernel has no symbol for: inlined into every caller, or only present as the
 * compiler's specialised copies (`tcp_foo.isra.0`), which a kprobe can name.
 */
function missingSymbol(name: string): MissingSymbolError | undefined {
  const symbols = kernelTextSymbols();
  if (!symbols.size || symbols.has(name)) return undefined;
  const copies = specialisedCopies(name);
  if (copies.length) {
    return new MissingSymbolError(`"${name}" exists only as ${copies.map((v) => `"${v}"`).join(", ")} (a copy the compiler specialised; the original was inlined)`,
      [`attach to the copy: @kprobe("${copies[0]}") (its parameters are then the raw argument registers)`], copies);
  }
  return new MissingSymbolError(`"${name}" is inlined into its callers: the kernel has no symbol for it in /proc/kallsyms, so no probe can attach to it`,
    ["trace a function that calls it, or a tracepoint near it (tsbpf list 'tracepoint:*')"], []);
}

/** A function without a symbol: `copies` are its specialised copies (`tcp_foo.isra.0`), empty when it was inlined whole. */
class MissingSymbolError extends ProbeLookupError {
  constructor(message: string, hints: string[], readonly copies: string[]) {
    super(message, hints);
  }
}

function unknownFunction(name: string): ProbeLookupError {
  const btf = kernelBtf();
  const funcs: string[] = [];
  for (let id = 1; id < btf.typeCount; id++) if (btf.kindOf(id) === "func") funcs.push(btf.nameOf(id));
  const missing = missingSymbol(name);
  if (missing?.copies.length) return missing;
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

/** The raw argument registers (or the return value) of a function whose prototype is unknown. */
function rawParams(ret: boolean): ContextField[] {
  const u64Field = (name: string, reg: string): ContextField => ({ name, offset: regOffset(reg), size: 8, signed: false, kind: "int", cType: "u64", space: "kernel" });
  return ret ? [u64Field("ret", "ax")] : ARG_REGS.map((r, i) => u64Field(`arg${i}`, r));
}

function noKprobes(): ProbeLookupError {
  return new ProbeLookupError(`this kernel has neither fentry nor kprobes (no kprobe PMU in /sys/bus/event_source/devices: CONFIG_KPROBES is off)`, ["trace a @tracepoint or @rawTracepoint instead: tsbpf list 'syscalls:*'"]);
}

/** The functions a target names: itself, or a wildcard's traceable matches. */
function kprobeTargets(target: string): string[] {
  kernelSymbolName(target, isWildcard(target));
  if (!isWildcard(target)) return [target];
  const limit = hasKprobeMulti() ? MAX_KPROBE_MULTI : MAX_KPROBES;
  return expandWildcard(target, traceableFunctions(), "traceable kernel function", limit, "list them with: tsbpf list 'kprobe:tcp_*'");
}

function wildcardContext(flavour: Flavour, target: string): ProbeContext {
  if (flavour === "fentry" || flavour === "fexit") {
    throw new ProbeLookupError(`@${flavour} takes one function, not a wildcard`, [`use @${flavour === "fentry" ? "kprobe" : "kretprobe"}("${target}"), which attaches to every match`]);
  }
  if (pmuType("kprobe") === undefined) throw noKprobes();
  const ret = flavour === "kretprobe";
  const targets = kprobeTargets(target);
  const multi = hasKprobeMulti();
  verbose(`${flavour} ${target}: ${targets.length} functions, one kprobe program ${multi ? "attached through one kprobe_multi link" : "attached through one perf kprobe each (this kernel has no kprobe_multi: 5.18+ with CONFIG_FPROBE)"}`);
  return {
    progType: ProgType.KPROBE, expectedAttachType: multi ? AttachType.TRACE_KPROBE_MULTI : undefined, fields: [], params: rawParams(ret), multi: true,
    describe: `${flavour} ${target} (${targets.length} functions)`,
  };
}

function context(flavour: Flavour, target: string, options?: ProbeOptions): ProbeContext {
  kernelSymbolName(target, isWildcard(target));
  if (options?.override) return overrideContext(flavour, target);
  if (isWildcard(target)) return wildcardContext(flavour, target);
  const fn = lookupFunction(target);
  const missing = missingSymbol(target);
  if (fn && missing) throw missing;
  if (!fn) {
    // A symbol without a BTF prototype (an .isra copy, a static function pahole left out): a
    // kprobe can still attach, with the raw argument registers as its parameters.
    if ((flavour === "kprobe" || flavour === "kretprobe") && kernelTextSymbols().has(target) && pmuType("kprobe") !== undefined) {
      verbose(`${flavour} ${target}: not in the kernel's BTF, so compiled as a kprobe whose parameters are the raw argument registers`);
      return { progType: ProgType.KPROBE, fields: [], params: rawParams(flavour === "kretprobe"), describe: `${flavour} ${target}` };
    }
    throw unknownFunction(target);
  }
  const ret = flavour === "kretprobe" || flavour === "fexit";
  // A handler making tail calls (option `kprobe`) stays a kprobe: its targets are kprobe programs.
  const useFentry = flavour === "fentry" || flavour === "fexit" || (hasFentry() && !options?.kprobe);
  if ((flavour === "fentry" || flavour === "fexit") && !hasFentry()) {
    throw new ProbeLookupError(`this kernel cannot load ${flavour} programs (BPF_PROG_TYPE_TRACING: Linux 5.5+ with BTF, and not refused by policy)`, [`use @${ret ? "kretprobe" : "kprobe"}("${target}"), which falls back to kprobes`]);
  }
  if (!useFentry && pmuType("kprobe") === undefined) throw noKprobes();
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

/**
 * A handler that calls override(): always a kprobe (bpf_override_return exists only there), on a
 * function the kernel lets fail. The kernel checks the list again when the kprobe is attached.
 */
function overrideContext(flavour: Flavour, target: string): ProbeContext {
  if (flavour === "kprobe" && !isWildcard(target) && pmuType("kprobe") === undefined) throw noKprobes();
  const allowed = overrideAllowed(flavour, target, isWildcard(target), overrideFacts());
  if (typeof allowed !== "string") throw allowed;
  const fn = lookupFunction(target);
  if (!fn && !kernelTextSymbols().has(target)) throw unknownFunction(target);
  if (fn && fn.params.length > ARG_REGS.length) throw new ProbeLookupError(`${target} has more than ${ARG_REGS.length} arguments; kprobes read only those in registers`);
  const params = fn ? fn.params.map((p, i) => field(p.name || `arg${i}`, regOffset(ARG_REGS[i]), p.type)) : rawParams(false);
  verbose(`kprobe ${target}: compiled as a kprobe (override() needs one; the function may return ${allowed})`);
  return { progType: ProgType.KPROBE, fields: [], params, describe: `kprobe ${target}`, errorInjection: allowed };
}

/** Whether this kernel has bpf_override_return, and its error injection list (debugfs mounted for it if it is not). */
export function overrideFacts(): OverrideFacts {
  const helper = kernelBtf().findByName("bpf_override_return", "func").length > 0;
  const mounts = readTextFile("/proc/self/mounts") ?? "";
  if (!/^\S+ \/sys\/kernel\/debug debugfs /m.test(mounts)) libcSync().mount("debugfs", "/sys/kernel/debug", "debugfs", 0);
  return { helper, list: readTextFile(ERROR_INJECTION_LIST) };
}

/** A perf kprobe on one function, linked to the program; `cookie` for a wildcard's probe(). */
function perfKprobe(flavour: Flavour, progFd: number, target: string, cookie?: bigint): OwnedFd[] {
  const ret = flavour === "kretprobe" || flavour === "fexit";
  const type = pmuType("kprobe")!;
  const name = new TextEncoder().encode(target + "\0");
  const event = perfEventOpen({
    type, config: ret ? 1n << BigInt(retprobeBit("kprobe")) : 0n, config1: libcSync().addressOf(name), config2: 0n,
    label: `${flavour} ${target}`,
  });
  void name; // kept alive until perf_event_open has copied it
  try {
    return [linkCreate(progFd, event.fd, AttachType.PERF_EVENT, `${flavour} ${target}`, cookie), event];
  } catch (e) {
    event.close();
    throw e;
  }
}

function attach(flavour: Flavour, progFd: number, target: string, progType: number, cookie = 0n): OwnedFd[] {
  kernelSymbolName(target, isWildcard(target));
  const ret = flavour === "kretprobe" || flavour === "fexit";
  if (progType === ProgType.TRACING) {
    return [linkCreate(progFd, 0, ret ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY, `${flavour} ${target}`)];
  }
  if (!isWildcard(target)) return perfKprobe(flavour, progFd, target);
  const targets = kprobeTargets(target);
  if (hasKprobeMulti()) {
    return [kprobeMultiLinkCreate(progFd, targets, targets.map((_, i) => cookie + BigInt(i)), ret, `${flavour} ${target} (kprobe_multi, ${targets.length} functions)`)];
  }
  return attachEach(targets, (fn, i) => perfKprobe(flavour, progFd, fn, cookie + BigInt(i)));
}

function kind(flavour: Flavour) {
  return {
    kind: flavour,
    context: (target: string, options?: ProbeOptions) => context(flavour, target, options),
    targets: kprobeTargets,
    attach: (progFd: number, target: string, progType: number, _options?: unknown, cookie?: bigint) => attach(flavour, progFd, target, progType, cookie),
    attachBtfId: (target: string) => kernelBtf().findByName(target, "func")[0],
    // A wildcard's program is loaded for kprobe_multi or for perf kprobes: not interchangeable.
    cacheKey: (target: string) => (isWildcard(target) ? (hasKprobeMulti() ? "kprobe_multi" : "perf kprobes") : ""),
  };
}

export const kprobeProbe = kind("kprobe");
export const kretprobeProbe = kind("kretprobe");
export const fentryProbe = kind("fentry");
export const fexitProbe = kind("fexit");
