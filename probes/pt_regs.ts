// Where the saved registers are in a kprobe/uprobe program's context (`struct pt_regs`), from
// the running kernel's BTF: the layout is the kernel's, whatever the binary being traced.
import { ProbeLookupError } from "../spec/target.ts";
import { kernelBtf } from "../runtime/kernel_btf.ts";

/** x86-64 integer argument registers, in calling-convention order, as pt_regs names them. */
export const ARG_REGS = ["di", "si", "dx", "cx", "r8", "r9"] as const;

/** Byte offset of register `reg` ("di", "ax", "ip", ...) in struct pt_regs. */
export function regOffset(reg: string): number {
  const btf = kernelBtf();
  const regs = btf.findByName("pt_regs", "struct")[0];
  const m = regs === undefined ? undefined : btf.member(regs, reg);
  if (!m) throw new ProbeLookupError(`this kernel's struct pt_regs has no "${reg}" register`);
  return m.bitOffset / 8;
}
