// The running kernel, as the compiler sees it: probe contexts from probes/, types from BTF.
import type { CompileTarget, ProbeRef } from "../compiler/target.ts";
import { Btf } from "../btf/reader.ts";
import { probeKind } from "../probes/mod.ts";
import { readFileBytes, readTextFile } from "./files.ts";
import { hasRingBuffers, ringBuffersDisabled } from "./features.ts";

let btf: Btf | undefined;

export function kernelBtf(): Btf {
  if (btf) return btf;
  const bytes = readFileBytes("/sys/kernel/btf/vmlinux");
  if (!bytes) throw new Error("This kernel has no BTF (/sys/kernel/btf/vmlinux is missing); tsbpf needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.4 or newer)");
  return (btf = Btf.parse(bytes));
}

export function kernelId(): string {
  const release = readTextFile("/proc/sys/kernel/osrelease")?.trim() ?? "?";
  const version = readTextFile("/proc/sys/kernel/version")?.trim() ?? "?";
  return `${release} ${version}`;
}

/**
 * `probes`: the decorators as recorded at run time, whose options (a uprobe's pid) the source
 * cannot show; they are matched to the source's decorators by kind and target.
 */
export function hostTarget(probes: ProbeRef[] = []): CompileTarget {
  const optionsOf = (ref: ProbeRef) => ref.options ?? probes.find((p) => p.kind === ref.kind && p.target === ref.target)?.options;
  return {
    probeContext: (ref: ProbeRef) => probeKind(ref).context(ref.target, optionsOf(ref)),
    btf: kernelBtf,
    ringBuffers: hasRingBuffers,
    kernelId: kernelId() + (ringBuffersDisabled() ? " TSBPF_NO_RINGBUF" : ""),
  };
}
