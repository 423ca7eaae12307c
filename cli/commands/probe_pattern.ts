// Probe patterns as bpftrace writes them: KIND:TARGET, with * and ? wildcards in TARGET.
// Shared by `tsbpf list` and the one-liners' wildcard probes.
import { globMatcher } from "../../elf/glob.ts";
import { CliError, UsageError } from "../errors.ts";
import { kernelSymbolName, ProbeNameError, rawTracepointName, tracepointName, usdtName, userFileName, userSymbolName } from "../../probes/names.ts";

export type ListKind = "tracepoint" | "rawtracepoint" | "kprobe" | "uprobe" | "usdt" | "xdp" | "cgroupSkb" | "socketFilter";

/** Every spelling of a kind (bpftrace's short ones too) → the kind it lists. */
const KINDS: Record<string, ListKind> = {
  tracepoint: "tracepoint", t: "tracepoint",
  rawtracepoint: "rawtracepoint", rawTracepoint: "rawtracepoint", rt: "rawtracepoint", tpBtf: "rawtracepoint", tp_btf: "rawtracepoint",
  kprobe: "kprobe", k: "kprobe", kretprobe: "kprobe", kr: "kprobe", kfunc: "kprobe", kretfunc: "kprobe",
  fentry: "kprobe", fexit: "kprobe", f: "kprobe", fr: "kprobe",
  uprobe: "uprobe", u: "uprobe", uretprobe: "uprobe", ur: "uprobe",
  usdt: "usdt", U: "usdt",
  xdp: "xdp", cgroupSkb: "cgroupSkb", cgroup_skb: "cgroupSkb", socketFilter: "socketFilter", socket_filter: "socketFilter",
};

export interface ProbePattern {
  /** undefined: match the kernel's own kinds (tracepoint, rawtracepoint, kprobe). */
  kind?: ListKind;
  /** The pattern of the target: "syscalls:sys_enter_*", "tcp_*"; for uprobe/usdt the part after the binary. */
  target: string;
  /** uprobe/usdt: the file. */
  binary?: string;
}

export function parseProbePattern(text: string): ProbePattern {
  const pattern = parsePattern(text);
  try {
    checkNames(pattern);
  } catch (e) {
    if (!(e instanceof ProbeNameError)) throw e;
    throw new CliError([e.message, ...e.hints].join("; "));
  }
  return pattern;
}

/** The pattern's names by the kernel's grammar (probes/names.ts), wildcards allowed. */
function checkNames(p: ProbePattern): void {
  if (p.binary !== undefined) userFileName(p.binary);
  if (p.target === "*") return;
  if (p.kind === "socketFilter") throw new ProbeNameError(`"socketFilter:${p.target}": a socket filter has no target; list it as socketFilter`, []);
  if (p.kind === "xdp") {
    if (!/^[^/\s]{1,15}$/.test(p.target)) throw new ProbeNameError(`"${p.target}" is not a network device name (at most 15 characters, no slash or space)`, []);
  } else if (p.kind === "cgroupSkb") {
    if (p.target.startsWith("/") || p.target.split("/").some((part) => part === ".." || part === ".")) {
      throw new ProbeNameError(`"${p.target}": give the cgroup as a path under the cgroup v2 mount, without . or .. (system.slice/*)`, []);
    }
  } else if (p.kind === "rawtracepoint") rawTracepointName(p.target, true);
  else if (p.kind === "kprobe") kernelSymbolName(p.target, true);
  else if (p.kind === "uprobe") userSymbolName(p.target, true);
  else if (p.kind === "usdt") {
    const [provider, name = "*"] = p.target.split(":");
    usdtName(provider, name, true);
  } else if (p.kind === undefined && p.target.startsWith("/")) {
    // A binary's functions are listed under their kind, as bpftrace's -l does.
    const path = p.target.split(":")[0];
    throw new ProbeNameError(`"${path}" is a file: list a program's functions as uprobe:${path}:PATTERN (or its USDT probes as usdt:${path}:*)`, [`e.g. tsbpf list 'uprobe:${p.target.includes(":") ? p.target : `${p.target}:*`}'`]);
  } else if (p.target.includes(":")) tracepointName(p.target, true);
  else kernelSymbolName(p.target, true); // any kernel kind: a tracepoint category or a function
}

function parsePattern(text: string): ProbePattern {
  // A packet kind alone (not "xdp": also a tracepoint category) lists that kind.
  if (KINDS[text] === "socketFilter" || KINDS[text] === "cgroupSkb") return { kind: KINDS[text], target: "*" };
  const colon = text.indexOf(":");
  const kind = colon > 0 ? KINDS[text.slice(0, colon)] : undefined;
  if (!kind) return { target: text || "*" };
  const rest = text.slice(colon + 1);
  if (kind !== "uprobe" && kind !== "usdt") return { kind, target: rest || "*" };
  // uprobe:/bin/bash:read*; usdt:/path or usdt:/path:provider:name
  const sep = rest.indexOf(":");
  const binary = sep < 0 ? rest : rest.slice(0, sep);
  if (!binary) throw new UsageError(`${kind} patterns name a file: ${kind}:/bin/bash${kind === "uprobe" ? ":read*" : ""}`, "list");
  return { kind, binary, target: sep < 0 ? "*" : rest.slice(sep + 1) || "*" };
}

/** A predicate for a target pattern: whole-name glob with * and ?. */
export function matcher(pattern: string): (name: string) => boolean {
  return globMatcher(pattern);
}

export function hasWildcard(text: string): boolean {
  return /[*?]/.test(text);
}
