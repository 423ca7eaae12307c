// @uprobe("/bin/bash:readline") / @uretprobe(...): a function of a program or library.
//
// Attached through the uprobe PMU (perf_event_open with the binary's path and the file offset of
// the instruction) and a BPF link, so the attachment is an fd that dies with the process and
// nothing is left in tracefs. The program is a kprobe-type program on the traced task's saved
// registers. User-space functions have no BTF, so the parameters are the six integer argument
// registers (a uretprobe's, rax), each 64 bits and given as a user address: `str(p)` reads a
// string there and `p as u64` is the number.
//
// A wildcard (`@uprobe("libfoo.so:foo_*")`) attaches one program to every matching function of
// the file: through one uprobe_multi link (6.6+) where the kernel has it, a pid given as its
// filter, else one perf uprobe per function (each costs the kernel a wait for RCU to detach).
// probe() names the function (each offset has its own attach cookie).
import { type ContextField, type ProbeContext, ProbeLookupError, type ProbeOptions } from "../spec/target.ts";
import { AttachType, linkCreate, ProgType, uprobeMultiLinkCreate } from "../runtime/bpf.ts";
import { perfEventOpen } from "../runtime/perf.ts";
import { hasUprobeMulti, pmuType, retprobeBit } from "../runtime/features.ts";
import { verbose } from "../runtime/verbose.ts";
import { attachEach, expandWildcard, isWildcard } from "./wildcard.ts";
import { cString, libcSync } from "../runtime/ffi/mod.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { ARG_REGS, regOffset } from "./pt_regs.ts";
import { type OpenUserBinary, openUserBinary, pidOption, type UserBinary, userBinary } from "./user_binary.ts";
import { symbolFileOffset } from "./user_symbol.ts";
import { attachError } from "./errors.ts";
import { userFileName, userSymbolName } from "./names.ts";

type Flavour = "uprobe" | "uretprobe";

/** The handler-language type of a register that may hold a number or a user pointer. */
export const USER_WORD = "u64 (user address)";

export function userWordField(name: string, offset: number): ContextField {
  return { name, offset, size: 8, signed: false, kind: "ptr", cType: USER_WORD, space: "user" };
}

/** "path:symbol", "path:symbol+offset" or "path:0xADDRESS" (a path may itself hold ":"). */
export function splitUprobeTarget(target: string): [string, string] {
  const at = target.lastIndexOf(":");
  if (at <= 0 || at === target.length - 1) {
    throw new ProbeLookupError(`"${target}" does not name a function`, ['write "path:function", e.g. "/bin/bash:readline" or "libc:malloc"']);
  }
  const spec = target.slice(at + 1);
  return [userFileName(target.slice(0, at)), userSymbolName(spec, isWildcard(spec))];
}

/** The binary and file offset a uprobe target names; `read` reads the binary (openUserBinary to attach). */
export function resolveUprobe(target: string, options?: ProbeOptions, read: (file: string, pid?: number) => UserBinary = userBinary) {
  const [file, spec] = splitUprobeTarget(target);
  const pid = pidOption(options?.pid);
  const bin = read(file, pid);
  return { bin, pid, offset: symbolFileOffset(bin, spec) };
}

export function requireUprobes(): number {
  const type = pmuType("uprobe");
  if (type === undefined) {
    throw new ProbeLookupError("this kernel has no uprobe PMU (/sys/bus/event_source/devices/uprobe: Linux 4.17+ with CONFIG_UPROBES)");
  }
  return type;
}

/**
 * Wildcards attach to at most this many functions. One perf uprobe each (no uprobe_multi) costs
 * the kernel a wait for RCU as it detaches, about 0.1 s each: as bcc and kprobes, 1000.
 */
const MAX_UPROBES = 1000;
const MAX_UPROBE_MULTI = 100000;

/**
 * The functions of `bin` a wildcard matches, sorted, each with the file offset of its code.
 * IFUNCs are left out (see symbolFileOffset); a name that is both (libc's memcpy: an IFUNC
 * exported, a function in .symtab) is the function's code.
 */
function wildcardFunctions(bin: UserBinary, pattern: string): { name: string; offset: number }[] {
  const code = new Map<string, number>();
  for (const s of bin.elf.symbols().match(pattern)) {
    const offset = s.type === "func" && s.value !== 0 ? bin.elf.fileOffset(s.value) : undefined;
    if (offset !== undefined && !code.has(s.name)) code.set(s.name, offset);
  }
  const limit = hasUprobeMulti() ? MAX_UPROBE_MULTI : MAX_UPROBES;
  const names = expandWildcard(pattern, code.keys(), `function of "${bin.display}"`, limit, `list them with: tsbpf list 'uprobe:${bin.display}:${pattern}'`);
  return names.map((name) => ({ name, offset: code.get(name)! }));
}

/** The probes a target names ("file:function" each): itself, or a wildcard's functions. */
function uprobeTargets(target: string, options?: ProbeOptions): string[] {
  const [file, spec] = splitUprobeTarget(target);
  if (!isWildcard(spec)) return [target];
  return wildcardFunctions(userBinary(file, pidOption(options?.pid)), spec).map((fn) => `${file}:${fn.name}`);
}

/** Opens a uprobe perf event on `path` at file `offset` and links the program to it. */
export function attachUprobe(progFd: number, o: { path: string; offset: number; ret: boolean; pid?: number; refCtrOffset?: bigint; cookie?: bigint; label: string }): OwnedFd[] {
  const type = requireUprobes();
  const path = cString(o.path);
  const event = perfEventOpen({
    type, config: (o.ret ? 1n << BigInt(retprobeBit("uprobe")) : 0n) | (o.refCtrOffset ?? 0n),
    config1: libcSync().addressOf(path), config2: BigInt(o.offset),
    // One event for every CPU: a process filter when a pid is given, else system-wide (cpu 0 is
    // only where perf files the event; the probe fires on every CPU).
    pid: o.pid ?? -1, cpu: o.pid === undefined ? 0 : -1, label: o.label,
  });
  void path; // kept alive until perf_event_open has copied it
  try {
    return [linkCreate(progFd, event.fd, AttachType.PERF_EVENT, o.label, o.cookie), event];
  } catch (e) {
    event.close();
    throw e;
  }
}

function context(flavour: Flavour, target: string, options?: ProbeOptions): ProbeContext {
  requireUprobes();
  const wildcard = isWildcard(splitUprobeTarget(target)[1]);
  let how = "";
  if (wildcard) {
    const count = uprobeTargets(target, options).length; // none matching is reported at the decorator
    how = `${count} functions, ${hasUprobeMulti() ? "attached once: one uprobe_multi link" : "one perf uprobe each: this kernel has no uprobe_multi (6.6+)"}`;
    verbose(`${flavour} ${target}: ${how}`);
  } else resolveUprobe(target, options); // a missing file or symbol is reported at the decorator
  const params = flavour === "uretprobe"
    ? [userWordField("ret", regOffset("ax"))]
    : ARG_REGS.map((r, i) => userWordField(`arg${i}`, regOffset(r)));
  if (!wildcard) return { progType: ProgType.KPROBE, fields: [], params, describe: `${flavour} ${target}` };
  return {
    progType: ProgType.KPROBE, expectedAttachType: hasUprobeMulti() ? AttachType.TRACE_UPROBE_MULTI : undefined, fields: [], params, multi: true,
    describe: `${flavour} ${target} (${how})`,
  };
}

/** A wildcard's functions of one file: one uprobe_multi link, or one perf uprobe each; target i's cookie is `cookie + i`. */
function attachWildcard(flavour: Flavour, progFd: number, bin: UserBinary, spec: string, pid: number | undefined, cookie: bigint, label: string): OwnedFd[] {
  const fns = wildcardFunctions(bin, spec);
  const offsets = fns.map((fn) => fn.offset);
  const ret = flavour === "uretprobe";
  if (hasUprobeMulti()) {
    const cookies = offsets.map((_, i) => cookie + BigInt(i));
    return [uprobeMultiLinkCreate(progFd, { path: bin.path, offsets, cookies, ret, pid, label: `${label} (uprobe_multi, ${fns.length} functions)` })];
  }
  return attachEach(fns.map((fn) => fn.name), (name, i) => attachUprobe(progFd, { path: bin.path, offset: offsets[i], ret, pid, cookie: cookie + BigInt(i), label: `${label.slice(0, label.lastIndexOf(":"))}:${name}` }));
}

function attach(flavour: Flavour, progFd: number, target: string, options?: ProbeOptions, cookie = 0n): OwnedFd[] {
  const label = `${flavour} ${target}`;
  try {
    // The file read is the file attached (openUserBinary), held open until then.
    let held: OpenUserBinary | undefined;
    try {
      const [file, spec] = splitUprobeTarget(target);
      if (isWildcard(spec)) {
        const pid = pidOption(options?.pid);
        held = openUserBinary(file, pid);
        return attachWildcard(flavour, progFd, held, spec, pid, cookie, label);
      }
      const { bin, pid, offset } = resolveUprobe(target, options, (file, pid) => (held = openUserBinary(file, pid)));
      return attachUprobe(progFd, { path: bin.path, offset, ret: flavour === "uretprobe", pid, label });
    } finally {
      held?.close();
    }
  } catch (e) {
    throw attachError(label, e);
  }
}

function kind(flavour: Flavour) {
  return {
    kind: flavour,
    context: (target: string, options?: ProbeOptions) => context(flavour, target, options),
    targets: uprobeTargets,
    attach: (progFd: number, target: string, _progType: number, options?: ProbeOptions, cookie?: bigint) => attach(flavour, progFd, target, options, cookie),
    // A wildcard's program is loaded for uprobe_multi or for perf uprobes: not interchangeable.
    cacheKey: (target: string) => (isWildcard(target) ? (hasUprobeMulti() ? "uprobe_multi" : "perf uprobes") : ""),
  };
}

export const uprobeProbe = kind("uprobe");
export const uretprobeProbe = kind("uretprobe");
