// ksym(address) values (bpftrace's ksym): a kernel address stored as a u64 in a map key or an
// event, shown in JavaScript and printed as the name of the kernel function holding it
// ("vfs_read"), or the address in hex when no symbol covers it. The name comes from the
// symbolizer a tracer holding ksym() values installs (the kallsyms table: runtime/symbolize/).
import { symbolize } from "./stacks.ts";

/** A kernel address read back from a `KSym` key or field: shown as the function holding it. */
export class KernelSymbol {
  #name?: string;
  /** `address`: the kernel address as the handler stored it. */
  constructor(readonly address: bigint) {}
  /** The function holding the address, as bpftrace's ksym() prints it (no offset). */
  get name(): string {
    return (this.#name ??= symbolize("kernel", 0, [this.address])[0].replace(/\+\d+$/, ""));
  }
  /** The name, as in a template string or console.log. */
  toString(): string {
    return this.name;
  }
  /** In JSON output: the name. */
  toJSON(): string {
    return this.name;
  }
}

export function decodeKernelSymbol(address: bigint): KernelSymbol {
  return new KernelSymbol(address);
}

/** A KSym key written from JavaScript: a KernelSymbol, or the address itself. */
export function encodeKernelSymbol(x: unknown): bigint {
  return x instanceof KernelSymbol ? x.address : BigInt(x as bigint | number);
}
