// What a one-liner's transform asks the running kernel (cli/oneliner/oneliner.ts KernelQuery):
// which probes a wildcard matches, and a tracepoint's fields. Listing probes needs the kernel's
// BTF and ELF readers (≈ 7 ms to load), so they are loaded only for a one-liner with a wildcard;
// a tracepoint's format is read by the code that attaches it anyway.
import { tracepointFormat } from "../../probes/tracepoint.ts";
import type { KernelQuery } from "./oneliner.ts";

type Expand = KernelQuery["expand"];

/** `withNames`: the query can also expand wildcards (loads the listing code). */
export async function kernelQuery(withNames: boolean): Promise<KernelQuery> {
  const expand = withNames ? await loadExpand() : () => {
    throw new Error("internal: a wildcard was expanded without the listing code");
  };
  return { expand, tracepointFields };
}

function tracepointFields(target: string) {
  try {
    return tracepointFormat(target).fields;
  } catch {
    return undefined; // the compiler reports an unknown tracepoint, at the right place
  }
}

async function loadExpand(): Promise<Expand> {
  const [{ kernelFunctionNames, rawTracepointNames, tracepointNames }, { resolveBinary, uprobeNames, usdtListing }, { kernelProbePattern }, { matcher }] =
    await Promise.all([import("../commands/list_kernel.ts"), import("../commands/list_user.ts"), import("../../probes/names.ts"), import("../commands/probe_pattern.ts")]);
  /** "/bin/bash:*readline*" → "/bin/bash:readline", ...; "binary:provider:name" patterns for USDT. */
  const expandUser = (kind: string, pattern: string): string[] => {
    const sep = pattern.indexOf(":");
    if (sep <= 0) return [];
    const binary = pattern.slice(0, sep), rest = pattern.slice(sep + 1);
    const path = resolveBinary(binary);
    const names = kind === "usdt" ? usdtListing(path, rest).map((u) => u.name) : uprobeNames(path, rest);
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
