// Probe names checked against the kernel's own name grammar before anything is built from them.
//
// A tracepoint's name becomes a tracefs path (events/<category>/<name>/format), a kernel
// function's name a string the kprobe PMU looks up, a USDT probe's name a key into a binary's
// notes. Names with path segments ("syscalls:sys_enter_openat/../../sched/sched_switch") would
// read another tracepoint's format and attach there while `plan` shows the first name, so every
// name is checked here, at one place, by the grammar the kernel itself accepts:
//   - tracepoint categories (TRACE_SYSTEM): letters, digits, "_" and "." (the kernel's
//     is_good_system_name; "9p" starts with a digit), event names: letters, digits and "_";
//   - kernel symbols: letters, digits, "_" and "." (`tcp_foo.isra.0`), at most KSYM_NAME_LEN;
//   - raw tracepoints and USDT providers and probes: C identifiers;
//   - ELF symbols of user programs: any printable text without spaces (C++ and Rust mangling).
// Where a name may be a wildcard, "*" and "?" are allowed as well.
import { ProbeLookupError } from "../spec/target.ts";

/** KSYM_NAME_LEN - 1; tracefs names are far shorter in practice. */
const MAX_NAME = 511;

const TRACEPOINT_CATEGORY = /^[A-Za-z0-9_][A-Za-z0-9_.]*$/;
const TRACEPOINT_EVENT = /^[A-Za-z0-9_]+$/;
const KERNEL_SYMBOL = /^[A-Za-z0-9_.]+$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ELF_SYMBOL = /^[\x21-\x7e]+$/;

export class ProbeNameError extends ProbeLookupError {
  constructor(message: string, hints: string[] = []) {
    super(message, hints);
    this.name = "ProbeNameError";
  }
}

/** With `wildcard`, "*" and "?" may stand for any run of characters or one character. */
function fits(grammar: RegExp, name: string, wildcard: boolean): boolean {
  if (!name || name.length > MAX_NAME) return false;
  if (!wildcard) return grammar.test(name);
  // A pattern fits when some name it matches fits: every wildcard could be a plain letter.
  return grammar.test(name.replace(/[*?]/g, "a"));
}

/** Quoted for messages, with control characters made visible. */
function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

/** "category:event" → [category, event]; throws ProbeNameError for anything else. */
export function tracepointName(target: string, wildcard = false): [string, string] {
  const parts = target.split(":");
  const example = 'write it as "category:name", e.g. "syscalls:sys_enter_openat" (tsbpf list \'tracepoint:*\' lists them)';
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new ProbeNameError(`${shown(target)} is not a tracepoint name`, [example]);
  const [category, event] = parts;
  if (!fits(TRACEPOINT_CATEGORY, category, wildcard)) {
    throw new ProbeNameError(`${shown(category)} is not a tracepoint category: a category has only letters, digits, "_" and "."${wildcard ? " (and the wildcards * and ?)" : ""}`, [example]);
  }
  if (!fits(TRACEPOINT_EVENT, event, wildcard)) {
    throw new ProbeNameError(`${shown(event)} is not a tracepoint name: a tracepoint's name has only letters, digits and "_"${wildcard ? " (and the wildcards * and ?)" : ""}`, [example]);
  }
  return [category, event];
}

/** A kernel function (kprobe, fentry) or a pattern of them. */
export function kernelSymbolName(name: string, wildcard = false): string {
  if (!fits(KERNEL_SYMBOL, name, wildcard)) {
    throw new ProbeNameError(`${shown(name)} is not a kernel function name: it has only letters, digits, "_" and "."${wildcard ? " (and the wildcards * and ?)" : ""}`,
      ["e.g. \"tcp_connect\" or \"tcp_*\" (tsbpf list 'kprobe:tcp_*' lists them)"]);
  }
  return name;
}

/** A raw tracepoint: the tracepoint's own name, without its category. */
export function rawTracepointName(name: string, wildcard = false): string {
  if (!fits(IDENTIFIER, name, wildcard)) {
    throw new ProbeNameError(`${shown(name)} is not a raw tracepoint name`, ['name the tracepoint without its category, e.g. "sched_switch"']);
  }
  return name;
}

/** A USDT provider or probe name (C identifiers, as <sys/sdt.h> pastes them into symbols). */
export function usdtName(provider: string, name: string, wildcard = false): [string, string] {
  for (const part of [provider, name]) {
    if (!fits(IDENTIFIER, part, wildcard)) {
      throw new ProbeNameError(`${shown(part)} is not a USDT ${part === provider ? "provider" : "probe"} name: it is a C identifier`,
        ['write "path:provider:name", e.g. "/usr/bin/python3:python:function__entry"']);
    }
  }
  return [provider, name];
}

/** The function part of a uprobe target: a symbol, "symbol+offset" or "0xADDRESS". */
export function userSymbolName(spec: string, wildcard = false): string {
  if (!fits(ELF_SYMBOL, spec, wildcard)) {
    throw new ProbeNameError(`${shown(spec)} is not a symbol name: symbols have no spaces or control characters`, ['write "path:function", e.g. "/bin/bash:readline"']);
  }
  return spec;
}

/** A file a user-space probe names: the kernel takes it as a C string, so a NUL would cut it short. */
export function userFileName(file: string): string {
  if (!file || /[\x00-\x1f\x7f]/.test(file) || file.length > 4095) {
    throw new ProbeNameError(`${shown(file)} is not a file name tsbpf can pass to the kernel (empty, too long, or with control characters)`);
  }
  return file;
}

/** A wildcard pattern of a kernel probe kind, as one-liners and tools glob it against the kernel's names. */
export function kernelProbePattern(kind: string, pattern: string): string {
  if (kind === "tracepoint") {
    if (pattern.includes(":")) tracepointName(pattern, true);
    else kernelSymbolName(pattern, true); // "sched*": globbed over "category:name"
  }
  else if (kind === "rawTracepoint" || kind === "tpBtf") rawTracepointName(pattern, true);
  else if (["kprobe", "kretprobe", "fentry", "fexit"].includes(kind)) kernelSymbolName(pattern, true);
  return pattern;
}
