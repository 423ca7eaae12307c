/**
 * x86-64 registers as a BPF program on a uprobe sees them: fields of the kernel's
 * `struct pt_regs` (arch/x86/include/asm/ptrace.h), which the program's context points to.
 *
 * The kernel's own struct (what vmlinux BTF describes, what BPF programs read) names the
 * fields `bp`, `ax`, `ip`, `flags`...; the user-space uapi copy of the same layout
 * (arch/x86/include/uapi/asm/ptrace.h) names them `rbp`, `rax`, `rip`, `eflags`. Both are
 * listed. Offsets checked against /sys/kernel/btf/vmlinux on Linux 6.18 (tests/unit/elf.test.ts).
 */

/** One 8-byte slot of `struct pt_regs`. */
export interface PtRegsField {
  /** The kernel (BTF) field name, e.g. "di". */
  readonly field: string;
  /** The uapi field name, e.g. "rdi". */
  readonly uapi: string;
  /** Byte offset in `struct pt_regs`. */
  readonly offset: number;
}

/** A register as written in an instruction operand, e.g. `%edi`, resolved to its pt_regs slot. */
export interface X86Register extends PtRegsField {
  /** The name as written, without "%", e.g. "edi". */
  readonly name: string;
  /** How many bytes of the 64-bit register this name covers: %rdi 8, %edi 4, %di 2, %dil 1. */
  readonly width: 1 | 2 | 4 | 8;
  /** Bit position of the covered bytes: 8 for %ah/%bh/%ch/%dh, else 0. */
  readonly shift: 0 | 8;
}

/** `struct pt_regs` in memory order: [kernel name, uapi name]. Each slot is 8 bytes. */
const LAYOUT: readonly (readonly [string, string])[] = [
  ["r15", "r15"], ["r14", "r14"], ["r13", "r13"], ["r12", "r12"], ["bp", "rbp"], ["bx", "rbx"],
  ["r11", "r11"], ["r10", "r10"], ["r9", "r9"], ["r8", "r8"], ["ax", "rax"], ["cx", "rcx"],
  ["dx", "rdx"], ["si", "rsi"], ["di", "rdi"], ["orig_ax", "orig_rax"], ["ip", "rip"],
  ["cs", "cs"], ["flags", "eflags"], ["sp", "rsp"], ["ss", "ss"],
];

/** Every `struct pt_regs` slot, in memory order. */
export const PT_REGS: readonly PtRegsField[] = LAYOUT.map(([field, uapi], i) => ({ field, uapi, offset: 8 * i }));
export const PT_REGS_SIZE = 8 * LAYOUT.length;

const REGISTERS = new Map<string, X86Register>();

function add(name: string, field: string, width: 1 | 2 | 4 | 8, shift: 0 | 8 = 0): void {
  const slot = PT_REGS.find((f) => f.field === field)!;
  REGISTERS.set(name, { ...slot, name, width, shift });
}

// The four legacy accumulators have a high-byte alias as well.
for (const x of ["a", "b", "c", "d"]) {
  const field = `${x}x`;
  add(`r${x}x`, field, 8), add(`e${x}x`, field, 4), add(`${x}x`, field, 2), add(`${x}l`, field, 1), add(`${x}h`, field, 1, 8);
}
for (const field of ["si", "di", "bp", "sp"]) {
  add(`r${field}`, field, 8), add(`e${field}`, field, 4), add(field, field, 2), add(`${field}l`, field, 1);
}
for (let r = 8; r <= 15; r++) {
  const field = `r${r}`;
  add(field, field, 8), add(`${field}d`, field, 4), add(`${field}w`, field, 2), add(`${field}b`, field, 1), add(`${field}l`, field, 1);
}
add("rip", "ip", 8), add("eip", "ip", 4);

/** The register called `name` (with or without "%"; any case), or undefined. */
export function x86Register(name: string): X86Register | undefined {
  return REGISTERS.get((name.startsWith("%") ? name.slice(1) : name).toLowerCase());
}
