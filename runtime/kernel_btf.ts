// The running kernel's BTF, parsed once per process when something first needs it (kernel
// struct access, kprobe and raw tracepoint prototypes): a tracepoint tracer started from the
// compile cache never loads the BTF reader.
import { Btf } from "../btf/reader.ts";
import { readFileBytes } from "./files.ts";

let btf: Btf | undefined;

export function kernelBtf(): Btf {
  if (btf) return btf;
  const bytes = readFileBytes("/sys/kernel/btf/vmlinux");
  if (!bytes) throw new Error("This kernel has no BTF (/sys/kernel/btf/vmlinux is missing); tsbpf needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.4 or newer)");
  return (btf = Btf.parse(bytes));
}

/** Whether this process has read the kernel's BTF (for tests of what a cold start reads). */
export function kernelBtfLoaded(): boolean {
  return btf !== undefined;
}
