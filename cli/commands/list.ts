// `tsbpf list [PATTERN] [-v] [-p PID]`: probes by kind and wildcard, one per line as KIND:TARGET
// (the form a one-liner's probe takes), with -v the arguments a handler receives, with -p a
// library named without a path as that process has it mapped.
import { parseCommand, parsePid } from "../args.ts";
import { CliError } from "../errors.ts";
import { kernelFunctionArgs, kernelFunctionNames, rawTracepointArgs, rawTracepointNames, tracepointArgs, tracepointNames } from "./list_kernel.ts";
import { resolveBinary, uprobeNames, usdtListing } from "./list_user.ts";
import { cgroupPaths, cgroupSkbArgs, networkDevices, SOCKET_FILTER_NOTE, xdpArgs } from "./list_network.ts";
import { type ListKind, matcher, parseProbePattern } from "./probe_pattern.ts";
import { HELP } from "../help.ts";
import { printable } from "../../runtime/output.ts";

const OPTIONS = { verbose: { type: "boolean", short: "v" }, pid: { type: "string", short: "p" }, help: { type: "boolean", short: "h" } } as const;

interface Listed {
  probe: string;
  args?: () => string[];
}

export function listCommand(argv: string[]): number {
  const { values, positionals } = parseCommand(argv, OPTIONS, "list");
  if (values.help) return (console.log(HELP.list), 0);
  if (positionals.length > 1) throw new CliError(`list takes one pattern; quote it so the shell does not expand it: tsbpf list '${positionals[0]}'`);
  const pattern = positionals[0] ?? "*";
  if (parseProbePattern(pattern).kind === "socketFilter") return (console.error(`tsbpf list: ${SOCKET_FILTER_NOTE}`), 0);
  const listed = list(pattern, values.pid === undefined ? undefined : parsePid(values.pid as string));
  const out: string[] = [];
  for (const l of listed) {
    out.push(l.probe);
    if (values.verbose && l.args) {
      try {
        for (const a of l.args()) out.push(`    ${a}`);
      } catch (e) {
        out.push(`    (arguments unavailable: ${(e as Error).message})`);
      }
    }
  }
  // Symbol and USDT names come from the binary, which may be another user's: shown printable,
  // each line whole (a line feed in a symbol's name would list a probe of its own).
  if (out.length) console.log(out.map(printable).join("\n"));
  return 0;
}

/** The probes a pattern matches, grouped by kind, each kind sorted; `pid` picks the libraries user probes name. */
export function list(text: string, pid?: number): Listed[] {
  const p = parseProbePattern(text);
  const kinds: ListKind[] = p.kind ? [p.kind] : ["tracepoint", "rawtracepoint", "kprobe"];
  const out: Listed[] = [];
  for (const kind of kinds) {
    switch (kind) {
      case "tracepoint": {
        const test = matcher(p.target);
        for (const n of tracepointNames()) if (test(n)) out.push({ probe: `tracepoint:${n}`, args: () => tracepointArgs(n) });
        break;
      }
      case "rawtracepoint": {
        const test = matcher(p.target);
        for (const n of rawTracepointNames()) if (test(n)) out.push({ probe: `rawtracepoint:${n}`, args: () => rawTracepointArgs(n) });
        break;
      }
      case "kprobe": {
        const test = matcher(p.target);
        for (const n of kernelFunctionNames()) if (test(n)) out.push({ probe: `kprobe:${n}`, args: () => kernelFunctionArgs(n) });
        break;
      }
      case "uprobe": {
        const file = resolveBinary(p.binary!, pid);
        for (const n of uprobeNames(file, p.target)) out.push({ probe: `uprobe:${file.path}:${n}` });
        break;
      }
      case "usdt": {
        const file = resolveBinary(p.binary!, pid);
        for (const u of usdtListing(file, p.target)) out.push({ probe: `usdt:${file.path}:${u.name}`, args: () => u.args });
        break;
      }
      case "xdp":
        for (const d of networkDevices(p.target)) out.push({ probe: `xdp:${d}`, args: () => xdpArgs(d) });
        break;
      case "cgroupSkb":
        for (const c of cgroupPaths(p.target)) out.push({ probe: `cgroupSkb:${c}`, args: () => cgroupSkbArgs(c) });
        break;
    }
  }
  return out;
}
