// @usdt("path:provider:name"): a static probe a program declares with <sys/sdt.h>
// (DTRACE_PROBE / STAP_PROBE), found in its `.note.stapsdt` notes.
//
// Each note says where the probe's `nop` is and where each argument is at that instruction, as
// an assembler operand: a register (`-4@%edi`), memory (`8@-16(%rbp)`, `4@counter(%rip)`) or a
// constant (`-4@$5`). The handler's parameters are those arguments, decoded in the kernel from
// the saved registers (and user memory), typed by their size and signedness; an unsigned 64-bit
// one may be a pointer, so it is given as a user address (`str(p)`, or `p as u64`).
//
// A probe with a semaphore only computes its arguments while someone listens: the uprobe PMU's
// `ref_ctr_offset` makes the kernel count the semaphore up while the probe is attached.
import { type ContextField, type ProbeContext, ProbeLookupError, type ProbeOptions } from "../spec/target.ts";
import { closest } from "../spec/diagnostics.ts";
import { ElfError, type UsdtArg, type UsdtProbe, usdtProbes } from "../elf/mod.ts";
import { ProgType } from "../runtime/bpf.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { readTextFile } from "../runtime/files.ts";
import { regOffset } from "./pt_regs.ts";
import { type OpenUserBinary, openUserBinary, pidOption, type UserBinary, userBinary } from "./user_binary.ts";
import { attachUprobe, requireUprobes, USER_WORD } from "./uprobe.ts";
import { attachError } from "./errors.ts";
import { userFileName, usdtName } from "./names.ts";

interface Resolved {
  bin: UserBinary;
  pid: number | undefined;
  /** Every site of the probe (a probe in an inlined or repeated function has several). */
  sites: UsdtProbe[];
  params: ContextField[];
}

/**
 * The most sites of one probe attached: each is a uprobe of its own (a perf event and a link),
 * which the kernel makes and removes waiting for a grace period each, some 60 ms on a busy host.
 * Real programs have a few sites a probe, but whoever writes the binary chooses how many: with
 * 50 000 in a 2.6 MB file of nobody's, root's tracer had attached 8 700 after 10 minutes and
 * traced nothing yet (1000 took 63 s to attach, 80 s to detach). The limit of
 * per-function kprobes (kprobe.ts), the same cost.
 */
const MAX_SITES = 1000;

/** "path:provider:name": the path may hold ":" itself, so the last two fields are split off. */
function split(target: string): [string, string, string] {
  const parts = target.split(":");
  if (parts.length < 3 || parts.some((p) => !p)) {
    throw new ProbeLookupError(`"${target}" does not name a USDT probe`, ['write "path:provider:name", e.g. "/usr/bin/python3:python:function__entry"']);
  }
  const name = parts.pop()!, provider = parts.pop()!;
  usdtName(provider, name);
  return [userFileName(parts.join(":")), provider, name];
}

/** `read` reads the binary (openUserBinary to attach: the file read is the file attached). */
function resolve(target: string, options?: ProbeOptions, read: (file: string, pid?: number) => UserBinary = userBinary): Resolved {
  const [file, provider, name] = split(target);
  const pid = pidOption(options?.pid);
  const bin = read(file, pid);
  let all: UsdtProbe[];
  try {
    all = usdtProbes(bin.elf);
  } catch (e) {
    if (e instanceof ElfError) throw new ProbeLookupError(`the USDT notes of "${bin.display}" are damaged: ${e.message}`);
    throw e;
  }
  if (!all.length) throw new ProbeLookupError(`"${bin.display}" has no USDT probes (no .note.stapsdt notes)`);
  const sites = all.filter((p) => p.provider === provider && p.name === name);
  if (!sites.length) {
    const names = [...new Set(all.map((p) => `${p.provider}:${p.name}`))];
    const near = closest(`${provider}:${name}`, names);
    throw new ProbeLookupError(`"${bin.display}" has no USDT probe "${provider}:${name}"`,
      near.length ? [`did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`] : [`its probes: ${names.slice(0, 10).join(", ")}${names.length > 10 ? ", ..." : ""}`]);
  }
  if (sites.length > MAX_SITES) {
    throw new ProbeLookupError(`USDT probe "${provider}:${name}" of "${bin.display}" has ${sites.length} sites, more than the ${MAX_SITES} tsbpf attaches to (a uprobe each)`,
      ["trace some of them with @uprobe by address instead"]);
  }
  const params = fields(bin, sites[0]);
  // One program serves every site, so every site must keep its arguments in the same places.
  const key = JSON.stringify(params, bigints);
  const odd = sites.find((s) => JSON.stringify(fields(bin, s), bigints) !== key);
  if (odd) {
    throw new ProbeLookupError(`USDT probe "${provider}:${name}" has ${sites.length} sites whose arguments are in different places ("${sites[0].argSpec}" and "${odd.argSpec}")`,
      ["one handler cannot read both yet; trace the sites with @uprobe by address instead"]);
  }
  return { bin, pid, sites, params };
}

function bigints(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

function fields(bin: UserBinary, site: UsdtProbe): ContextField[] {
  let args: readonly UsdtArg[];
  try {
    args = site.args;
  } catch (e) {
    if (e instanceof ElfError) throw new ProbeLookupError(e.message);
    throw e;
  }
  return args.map((a, i) => field(bin, site, a, `arg${i}`));
}

function field(bin: UserBinary, site: UsdtProbe, a: UsdtArg, name: string): ContextField {
  const pointer = a.size === 8 && !a.signed;
  const base = { name, size: a.size, signed: a.signed, space: "user" as const, cType: pointer ? USER_WORD : `${a.signed ? "i" : "u"}${a.size * 8}` };
  if (a.kind === "reg") {
    // The register's slot, at the byte the name covers (%ah is byte 1 of rax).
    const offset = regOffset(a.reg.field) + a.reg.shift / 8;
    return { ...base, offset, kind: pointer ? "ptr" : "int" };
  }
  if (a.kind === "const") return { ...base, offset: 0, kind: "operand", operand: { regs: [], disp: a.value, deref: false, pointer } };
  const regs: { offset: number; scale: number }[] = [];
  let disp = BigInt(a.disp);
  if (a.base && a.base.field !== "ip") regs.push({ offset: regOffset(a.base.field), scale: 1 });
  if (a.index) regs.push({ offset: regOffset(a.index.field), scale: a.scale });
  if (a.symbol !== undefined) {
    const sym = bin.elf.symbols().lookup(a.symbol);
    if (!sym) throw new ProbeLookupError(`argument "${a.text}" of USDT probe ${site.provider}:${site.name} refers to "${a.symbol}", which "${bin.display}" does not define`);
    disp += BigInt(sym.value);
    // A PIE or library is loaded at an offset only known at run time: the saved ip is the probe's
    // address plus that offset, so symbol = ip - probe address + symbol's link-time address.
    if (bin.elf.type !== "EXEC") {
      regs.push({ offset: regOffset("ip"), scale: 1 });
      disp -= BigInt(site.address);
    }
  } else if (a.base?.field === "ip") {
    throw new ProbeLookupError(`argument "${a.text}" of USDT probe ${site.provider}:${site.name} is relative to the next instruction, which a probe cannot know`);
  }
  return { ...base, offset: 0, kind: "operand", operand: { regs, disp, deref: true, pointer } };
}

/** The config bits of the uprobe PMU's ref_ctr_offset ("config:32-63"), or undefined before 4.20. */
function refCtrShift(): bigint | undefined {
  const text = readTextFile("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset");
  const m = text && /config:(\d+)/.exec(text);
  return m ? BigInt(m[1]) : undefined;
}

export const usdtProbe = {
  kind: "usdt",
  context(target: string, options?: ProbeOptions): ProbeContext {
    requireUprobes();
    const { params } = resolve(target, options);
    return { progType: ProgType.KPROBE, fields: [], params, describe: `usdt ${target}` };
  },
  attach(progFd: number, target: string, _progType: number, options?: ProbeOptions): OwnedFd[] {
    const label = `usdt ${target}`;
    const out: OwnedFd[] = [];
    let held: OpenUserBinary | undefined;
    try {
      const { bin, pid, sites } = resolve(target, options, (file, pid) => (held = openUserBinary(file, pid)));
      for (const site of sites) {
        let refCtrOffset: bigint | undefined;
        if (site.semaphoreOffset !== undefined) {
          const shift = refCtrShift();
          if (shift === undefined) {
            throw new ProbeLookupError(`${site.provider}:${site.name} has a semaphore, and this kernel's uprobes cannot count it (ref_ctr_offset: Linux 4.20+)`);
          }
          refCtrOffset = BigInt(site.semaphoreOffset) << shift;
        }
        out.push(...attachUprobe(progFd, { path: bin.path, offset: site.fileOffset, ret: false, pid, refCtrOffset, label }));
      }
      return out;
    } catch (e) {
      for (const fd of out) fd.close();
      throw attachError(label, e);
    } finally {
      held?.close();
    }
  },
  /** The compiled handler reads the arguments where this binary keeps them: rebuilding it can move them. */
  cacheKey(target: string, options?: ProbeOptions): string {
    try {
      return JSON.stringify(resolve(target, options).params, bigints);
    } catch {
      return ""; // the compiler reports the failure, with its position
    }
  },
};
