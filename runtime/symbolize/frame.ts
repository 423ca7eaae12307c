/**
 * One stack address and what it turned out to be. The kernel and user symbolizers both return
 * frames; stack_format.ts prints them as bpftrace does, and `formatFrame` gives the readable
 * form used everywhere else (`vfs_read+0x5`, `getpid+0x0 (/usr/lib/x86_64-linux-gnu/libc.so.6)`).
 *
 * @example
 * ```ts
 * formatFrame({ kind: "kernel", address: 0xffffffffc0a01234n, name: "ext4_read", offset: 0x34, module: "ext4" });
 * // "ext4_read+0x34 [ext4]"
 * formatFrame({ kind: "user", address: 0x7f01n, name: undefined, offset: 0, module: undefined });
 * // "[unknown] (0x7f01)"
 * ```
 */

export interface Frame {
  readonly kind: "kernel" | "user";
  /** The address as captured (a return address, or the interrupted instruction). */
  readonly address: bigint;
  /** The enclosing function, or undefined when no symbol covers the address. */
  readonly name: string | undefined;
  /**
   * Bytes from the function's start. Without a name but with a module (a user address in a
   * file without a matching symbol), the file offset in that module, which addr2line takes.
   */
  readonly offset: number;
  /**
   * Kernel: the module that holds the function ("ext4", "bpf" for BPF programs), undefined for
   * vmlinux itself. User: the mapped file's path (or the perf-PID.map that named a JIT frame),
   * undefined when the address is in no known mapping.
   */
  readonly module: string | undefined;
}

/** The frame of an address nothing is known about. */
export function unknownFrame(kind: Frame["kind"], address: bigint, module?: string, offset = 0): Frame {
  return { kind, address, name: undefined, offset, module };
}

/**
 * `name+0xoff`, then `[module]` (kernel) or `(path)` (user). Unresolved addresses read
 * `[unknown] (0xADDR)`, or `[unknown] (path+0xFILEOFF)` when the mapping is known.
 */
export function formatFrame(f: Frame): string {
  if (f.name === undefined) {
    const where = f.module === undefined ? `0x${f.address.toString(16)}` : `${f.module}+0x${f.offset.toString(16)}`;
    return `[unknown] (${where})`;
  }
  const base = `${f.name}+0x${f.offset.toString(16)}`;
  if (f.module === undefined) return base;
  return f.kind === "kernel" ? `${base} [${f.module}]` : `${base} (${f.module})`;
}
