// What a one-liner's transform asks the running kernel (cli/oneliner/oneliner.ts KernelQuery):
// which probes a wildcard matches, and a tracepoint's fields. Listing probes needs the kernel's
// BTF and ELF readers (≈ 7 ms to load), so they are loaded only for a one-liner with a wildcard:
// without them, expand() throws NeedsListings and the caller transforms again with them
// (withListings). A tracepoint's format is read by the code that attaches it anyway.
import { tracepointFormat } from "../../probes/tracepoint.ts";
import { tracefs } from "../../probes/tracefs.ts";
import { tracepointName } from "../../probes/names.ts";
import { readTextFile } from "../../runtime/files.ts";
import type { KernelQuery } from "./oneliner.ts";
import { verbose } from "../../runtime/verbose.ts";

type Expand = KernelQuery["expand"];

/** Thrown by the query without the listing code when a wildcard is to be expanded. */
export class NeedsListings extends Error {
  constructor() {
    super("internal: a wildcard was expanded without the listing code");
  }
}

/**
 * `withNames`: the query can also expand wildcards (loads the listing code). `pid` (-p): a
 * library named without a path is the one that process has mapped, as when it is attached.
 */
export async function kernelQuery(withNames: boolean, pid?: number): Promise<KernelQuery> {
  const expand = withNames ? await loadExpand(pid) : () => {
    throw new NeedsListings();
  };
  return { expand, tracepointFields, tracepointFormatText };
}

/** `f`'s result with the query that lists no probes, or, when `f` needed the listings, with the one that does. */
export async function withListings<T>(f: (kernel: KernelQuery) => Promise<T>, pid?: number): Promise<T> {
  try {
    return await f(await kernelQuery(false, pid));
  } catch (e) {
    if (!(e instanceof NeedsListings)) throw e;
    return await f(await kernelQuery(true, pid));
  }
}

/** The format file tracepointFields() parses: a kept one-liner compares it, which costs a warm start ≈ 1 ms less than parsing it. */
function tracepointFormatText(target: string): string | undefined {
  try {
    const [category, name] = tracepointName(target); // checked before the path is built
    return readTextFile(`${tracefs()}/events/${category}/${name}/format`);
  } catch {
    return undefined;
  }
}

function tracepointFields(target: string) {
  try {
    return tracepointFormat(target).fields;
  } catch {
    return undefined; // the compiler reports an unknown tracepoint, at the right place
  }
}

async function loadExpand(pid: number | undefined): Promise<Expand> {
  verbose("loading the probe listings to expand a wildcard");
  const [{ kernelFunctionNames, rawTracepointNames, tracepointNames }, { resolveBinary, uprobeNames, usdtListing }, { kernelProbePattern }, { matcher }] =
    await Promise.all([import("../commands/list_kernel.ts"), import("../commands/list_user.ts"), import("../../probes/names.ts"), import("../commands/probe_pattern.ts")]);
  /** "/bin/bash:*readline*" → "/bin/bash:readline", ...; "binary:provider:name" patterns for USDT. */
  const expandUser = (kind: string, pattern: string): string[] => {
    const sep = pattern.indexOf(":");
    if (sep <= 0) return [];
    const binary = pattern.slice(0, sep), rest = pattern.slice(sep + 1);
    const file = resolveBinary(binary, pid);
    const names = kind === "usdt" ? usdtListing(file, rest).map((u) => u.name) : uprobeNames(file, rest);
    return names.map((n) => `${binary}:${n}`);
  };
  return (kind, pattern) => {
    if (kind === "uprobe" || kind === "uretprobe" || kind === "usdt") return expandUser(kind, pattern);
    const test = matcher(kernelProbePattern(kind, pattern));
    const names = kind === "tracepoint" ? tracepointNames()
      : kind === "rawTracepoint" ? rawTracepointNames()
      : ["kprobe", "kretprobe", "fentry", "fexit"].includes(kind) ? kernelFunctionNames()
      : [];
    return names.filter(test);
  };
}
