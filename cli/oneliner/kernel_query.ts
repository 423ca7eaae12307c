// What a one-liner's transform asks the running kernel (cli/oneliner/oneliner.ts KernelQuery):
// which probes a wildcard matches, and a tracepoint's fields. Listing probes needs the kernel's
// BTF and ELF readers (≈ 7 ms to load), so they are loaded only for a one-liner with a wildcard:
// without them, expand() throws NeedsListings and the caller transforms again with them
// (withListings). A tracepoint's format is read by the code that attaches it anyway.
import { tracepointFormat, tracepointProbe } from "../../probes/tracepoint.ts";
import { tracefs } from "../../probes/tracefs.ts";
import { tracepointName } from "../../probes/names.ts";
import { readTextFile } from "../../runtime/files.ts";
import type { KernelQuery } from "./oneliner.ts";
import { verbose } from "../../runtime/verbose.ts";

type Expand = KernelQuery["expand"];

/** Thrown by the query without the listing code when a wildcard is to be expanded, or a kernel struct's field typed. */
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
  const needs = () => {
    throw new NeedsListings();
  };
  // The kernel's types (BTF) come with the listings: both are loaded only for the few one-liners that need them.
  const [expand, kernelType] = withNames ? await Promise.all([loadExpand(pid), loadKernelType()]) : [needs, needs];
  return { expand, tracepointFields, syscallWildcardFields, tracepointFormatText, kernelType };
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

/** The fields of a syscalls:* wildcard attached once to raw_syscalls (probes/tracepoint.ts), or undefined. */
function syscallWildcardFields(pattern: string) {
  if (!pattern.startsWith("syscalls:")) return undefined;
  try {
    const context = tracepointProbe.context(pattern);
    return context.syscalls ? context.fields : undefined;
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
    const names = kind === "usdt" ? usdtListing(file, rest).map((u) => u.name) : uprobeNames(file, rest, true);
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

/**
 * KernelQuery.kernelType: the type of the field `chain` names from `root`, read from the kernel's
 * BTF (loaded only for a one-liner that keys, prints or stores such a field): a char array is a
 * string of its length, an integer or enum its own width, a pointer u64.
 */
async function loadKernelType(): Promise<NonNullable<KernelQuery["kernelType"]>> {
  const [{ kernelBtf }, { hostTarget }] = await Promise.all([import("../../runtime/kernel_btf.ts"), import("../../tracer/compile_target.ts")]);
  const target = await hostTarget();
  return (root, chain) => {
    try {
      const btf = kernelBtf();
      let id: number | undefined;
      if (root === "curtask") id = btf.findByName("task_struct", "struct")[0];
      else {
        const ctx = target.probeContext({ kind: root.kind, target: root.target });
        const list = typeof root.param === "number" ? ctx.params ?? ctx.fields : ctx.fields;
        const f = typeof root.param === "number" ? list[root.param] : list.find((x) => x.name === root.param);
        id = f?.btfId;
        if (f && f.kind === "int" && !chain.length) return undefined;
      }
      for (const name of chain) {
        if (id === undefined) return undefined;
        id = btf.resolve(id);
        const t = btf.type(id);
        if (t.kind === "ptr") id = btf.resolve(t.type);
        const kind = btf.kindOf(id);
        if (kind !== "struct" && kind !== "union") return undefined;
        id = btf.member(id, name)?.type;
      }
      if (id === undefined) return undefined;
      const t = btf.type(btf.resolve(id));
      if (t.kind === "array") {
        const elem = btf.type(btf.resolve(t.elemType));
        return elem.kind === "int" && elem.size === 1 && t.nelems > 0 ? `Str<${t.nelems}>` : undefined;
      }
      if (t.kind === "int" && !t.bool) return `${t.signed ? "i" : "u"}${Math.min(8, t.size) * 8}`;
      if (t.kind === "enum" || t.kind === "enum64") return `${t.signed ? "i" : "u"}${t.size * 8}`;
      if (t.kind === "ptr") return "u64";
      return undefined;
    } catch {
      return undefined; // the compiler reports what is wrong with the chain, at the right place
    }
  };
}
