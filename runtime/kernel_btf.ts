// The running kernel's BTF, parsed once per process when something first needs it (kernel
// struct access, kprobe and raw tracepoint prototypes): a tracepoint tracer started from the
// compile cache never loads the BTF reader.
import { Btf } from "../btf/reader.ts";
import { libcSync } from "./ffi/mod.ts";
import { readFileBytes } from "./files.ts";
import { fstat } from "./file_stat.ts";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const O_RDONLY = 0, O_CLOEXEC = 0o2000000, PROT_READ = 1, MAP_PRIVATE = 2;

let btf: Btf | undefined;

export function kernelBtf(): Btf {
  if (btf) return btf;
  const bytes = mapVmlinux() ?? readFileBytes(VMLINUX);
  if (!bytes) throw new Error("This kernel has no BTF (/sys/kernel/btf/vmlinux is missing); tsbpf needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.4 or newer)");
  return (btf = Btf.parse(bytes));
}

/**
 * The BTF file mapped rather than read: reading copies its 5-6 MB (12-24 ms of a cold start),
 * while the reader touches only the pages it decodes. Kernels before 6.14 cannot map it: then
 * undefined, and it is read. The file is the kernel's own, so it cannot shrink under the mapping;
 * the mapping lasts as long as the process, like the parsed BTF.
 */
function mapVmlinux(): Uint8Array | undefined {
  const c = libcSync();
  const fd = c.open(VMLINUX, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return undefined;
  try {
    const st = fstat(fd);
    if (typeof st === "number" || st.size <= 0) return undefined;
    const address = c.mmap(st.size, PROT_READ, MAP_PRIVATE, fd, 0);
    return address < 0n ? undefined : new Uint8Array(c.view(address, st.size));
  } finally {
    c.close(fd);
  }
}

/** Whether this process has read the kernel's BTF (for tests of what a cold start reads). */
export function kernelBtfLoaded(): boolean {
  return btf !== undefined;
}
