// The BPF instruction set: opcodes and an 8-byte encoder (Documentation/bpf/standardization).

export const Class = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export const Mode = { IMM: 0x00, MEM: 0x60, ATOMIC: 0xc0 } as const;
export const Src = { K: 0x00, X: 0x08 } as const;

export const AluOp = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70,
  neg: 0x80, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0,
} as const;
export type AluOpName = keyof typeof AluOp;

export const JmpOp = {
  ja: 0x00, jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70,
  call: 0x80, exit: 0x90, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
} as const;
export type CondName = "jeq" | "jne" | "jgt" | "jge" | "jlt" | "jle" | "jsgt" | "jsge" | "jslt" | "jsle" | "jset";

/** The condition that holds when `cond` does not. */
export const invertCond: Record<CondName, CondName | undefined> = {
  jeq: "jne", jne: "jeq", jgt: "jle", jle: "jgt", jge: "jlt", jlt: "jge",
  jsgt: "jsle", jsle: "jsgt", jsge: "jslt", jslt: "jsge", jset: undefined,
};
/** The condition with its operands swapped (a < b ⇔ b > a). */
export const swapCond: Record<CondName, CondName> = {
  jeq: "jeq", jne: "jne", jgt: "jlt", jlt: "jgt", jge: "jle", jle: "jge",
  jsgt: "jslt", jslt: "jsgt", jsge: "jsle", jsle: "jsge", jset: "jset",
};

export const PSEUDO_MAP_FD = 1;
export const PSEUDO_MAP_VALUE = 2;
export const PSEUDO_CALL = 1;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export function encode(insns: Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const v = new DataView(out.buffer);
  insns.forEach((ins, i) => {
    v.setUint8(i * 8, ins.code);
    v.setUint8(i * 8 + 1, (ins.src << 4) | ins.dst);
    v.setInt16(i * 8 + 2, ins.off, true);
    v.setInt32(i * 8 + 4, ins.imm, true);
  });
  return out;
}

export function decode(bytes: Uint8Array): Insn[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    const regs = v.getUint8(i + 1);
    out.push({ code: v.getUint8(i), dst: regs & 15, src: regs >> 4, off: v.getInt16(i + 2, true), imm: v.getInt32(i + 4, true) });
  }
  return out;
}

export const sizeCode = (bytes: number): number =>
  ({ 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW } as Record<number, number>)[bytes];

/** Fits a signed 32-bit immediate (sign-extended to 64 bits by ALU64 and JMP). */
export function fitsImm32(v: bigint): boolean {
  return v >= -0x80000000n && v <= 0x7fffffffn;
}
