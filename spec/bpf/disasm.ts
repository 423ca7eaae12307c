// A BPF disassembler: instructions as the C-like assembly that llvm-objdump and bpftool print
// (`r0 = *(u32 *)(r1 + 8)`, `if r1 > 0x10 goto +3 <12>`), so what `tsbpf dump` shows reads
// like what kernel developers already know. Decodes the encoding of spec/bpf/isa.ts (and the
// parts of the ISA tsbpf does not emit yet, so a newer compiler still disassembles).
import { AluOp, Class, decode, type Insn, JmpOp, Mode, PSEUDO_CALL, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, Size, Src } from "./isa.ts";

export interface DisasmOptions {
  /** Helper names by id (e.g. from the kernel's `enum bpf_func_id`); "helper#N" otherwise. */
  helperName?: (id: number) => string | undefined;
  /** Map names by the index of the ld_imm64 instruction that loads them (the compiler's relocations). */
  mapAt?: Map<number, string>;
}

export interface DisasmLine {
  /** Index of the (first) instruction. */
  pc: number;
  text: string;
}

const ALU_SYMBOLS: Record<number, string> = {
  [AluOp.add]: "+=", [AluOp.sub]: "-=", [AluOp.mul]: "*=", [AluOp.div]: "/=", [AluOp.or]: "|=", [AluOp.and]: "&=",
  [AluOp.lsh]: "<<=", [AluOp.rsh]: ">>=", [AluOp.mod]: "%=", [AluOp.xor]: "^=", [AluOp.arsh]: "s>>=",
};
const JMP_SYMBOLS: Record<number, string> = {
  [JmpOp.jeq]: "==", [JmpOp.jgt]: ">", [JmpOp.jge]: ">=", [JmpOp.jset]: "&", [JmpOp.jne]: "!=", [JmpOp.jsgt]: "s>",
  [JmpOp.jsge]: "s>=", [JmpOp.jlt]: "<", [JmpOp.jle]: "<=", [JmpOp.jslt]: "s<", [JmpOp.jsle]: "s<=",
};
const SIZE_NAMES: Record<number, string> = { [Size.W]: "u32", [Size.H]: "u16", [Size.B]: "u8", [Size.DW]: "u64" };
const ALU_END = 0xd0;
const MODE_ABS = 0x20, MODE_IND = 0x40, MODE_MEMSX = 0x80;
const ATOMIC_OPS: Record<number, string> = { 0x00: "add", 0x40: "or", 0x50: "and", 0xa0: "xor" };
const BPF_FETCH = 0x01, BPF_XCHG = 0xe0 | BPF_FETCH, BPF_CMPXCHG = 0xf0 | BPF_FETCH;
const PSEUDO_NAMES: Record<number, string> = { 3: "btf_id", 4: "map_idx", 5: "map_idx_value", 6: "func" };

/** Disassembles encoded instructions; an ld_imm64 pair is one line. */
export function disassemble(bytes: Uint8Array, options: DisasmOptions = {}): DisasmLine[] {
  const insns = decode(bytes);
  const out: DisasmLine[] = [];
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc];
    if (ins.code === (Class.LD | Size.DW | Mode.IMM)) {
      out.push({ pc, text: ldImm64(ins, insns[pc + 1], pc, options) });
      pc++;
    } else {
      out.push({ pc, text: instruction(ins, pc, options) });
    }
  }
  return out;
}

/** One instruction (not the first half of an ld_imm64). */
export function instruction(ins: Insn, pc: number, options: DisasmOptions = {}): string {
  const cls = ins.code & 0x07;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      return alu(ins, cls === Class.ALU64);
    case Class.JMP:
    case Class.JMP32:
      return jump(ins, pc, cls === Class.JMP32, options);
    case Class.LDX: {
      const mode = ins.code & 0xe0;
      const size = SIZE_NAMES[ins.code & 0x18];
      const type = mode === MODE_MEMSX ? size.replace("u", "s") : size;
      if (mode !== Mode.MEM && mode !== MODE_MEMSX) return unknown(ins);
      return `r${ins.dst} = *(${type} *)${address(ins.src, ins.off)}`;
    }
    case Class.ST:
      if ((ins.code & 0xe0) !== Mode.MEM) return unknown(ins);
      return `*(${SIZE_NAMES[ins.code & 0x18]} *)${address(ins.dst, ins.off)} = ${imm(ins.imm)}`;
    case Class.STX: {
      const mode = ins.code & 0xe0;
      const size = SIZE_NAMES[ins.code & 0x18];
      if (mode === Mode.MEM) return `*(${size} *)${address(ins.dst, ins.off)} = r${ins.src}`;
      if (mode === Mode.ATOMIC) return atomic(ins, size);
      return unknown(ins);
    }
    case Class.LD: {
      const mode = ins.code & 0xe0;
      const size = SIZE_NAMES[ins.code & 0x18];
      if (mode === MODE_ABS) return `r0 = *(${size} *)skb[${ins.imm}]`;
      if (mode === MODE_IND) return `r0 = *(${size} *)skb[r${ins.src} + ${ins.imm}]`;
      return unknown(ins);
    }
  }
  return unknown(ins);
}

function alu(ins: Insn, is64: boolean): string {
  const r = is64 ? "r" : "w";
  const op = ins.code & 0xf0;
  const byReg = (ins.code & 0x08) === Src.X;
  const src = byReg ? `${r}${ins.src}` : imm(ins.imm);
  const dst = `${r}${ins.dst}`;
  switch (op) {
    case AluOp.mov:
      // movsx (v4): off is the source width to sign-extend from.
      if (byReg && ins.off) return `${dst} = (s${ins.off})${r}${ins.src}`;
      return `${dst} = ${src}`;
    case AluOp.neg:
      return `${dst} = -${dst}`;
    case ALU_END: {
      // ALU: to big (src=X) or little endian; ALU64: an unconditional byte swap (v4).
      const name = is64 ? "bswap" : byReg ? "be" : "le";
      return `r${ins.dst} = ${name}${ins.imm} r${ins.dst}`;
    }
    case AluOp.div:
    case AluOp.mod:
      // sdiv/smod (v4) set off to 1.
      return `${dst} ${ins.off === 1 ? "s" : ""}${ALU_SYMBOLS[op]} ${src}`;
  }
  const sym = ALU_SYMBOLS[op];
  return sym ? `${dst} ${sym} ${src}` : unknown(ins);
}

function jump(ins: Insn, pc: number, is32: boolean, options: DisasmOptions): string {
  const op = ins.code & 0xf0;
  const target = (off: number) => `${off >= 0 ? "+" : ""}${off} <${pc + off + 1}>`;
  if (op === JmpOp.exit) return "exit";
  if (op === JmpOp.call) {
    if (ins.src === PSEUDO_CALL) return `call pc${ins.imm >= 0 ? "+" : ""}${ins.imm} <${pc + ins.imm + 1}>`;
    if (ins.src === 2) return `call kfunc#${ins.imm}`;
    const name = options.helperName?.(ins.imm);
    return name ? `call ${name}#${ins.imm}` : `call helper#${ins.imm}`;
  }
  if (op === JmpOp.ja) return is32 ? `gotol ${target(ins.imm)}` : `goto ${target(ins.off)}`;
  const sym = JMP_SYMBOLS[op];
  if (!sym) return unknown(ins);
  const r = is32 ? "w" : "r";
  const rhs = (ins.code & 0x08) === Src.X ? `${r}${ins.src}` : imm(ins.imm);
  return `if ${r}${ins.dst} ${sym} ${rhs} goto ${target(ins.off)}`;
}

function atomic(ins: Insn, size: string): string {
  const is64 = size === "u64";
  const r = is64 ? "r" : "w";
  // llvm-objdump's spellings: xchg_64 / xchg32_32, cmpxchg_64 / cmpxchg32_32 (address without a cast).
  const plain = `${address(ins.dst, ins.off).slice(1, -1)}`;
  if (ins.imm === BPF_XCHG) return `${r}${ins.src} = ${is64 ? "xchg_64" : "xchg32_32"}(${plain}, ${r}${ins.src})`;
  if (ins.imm === BPF_CMPXCHG) return `${r}0 = ${is64 ? "cmpxchg_64" : "cmpxchg32_32"}(${plain}, ${r}0, ${r}${ins.src})`;
  const name = ATOMIC_OPS[ins.imm & ~BPF_FETCH];
  if (name === undefined) return unknown(ins);
  const at = `(${size} *)${address(ins.dst, ins.off)}`;
  if (ins.imm & BPF_FETCH) return `${r}${ins.src} = atomic_fetch_${name}(${at}, ${r}${ins.src})`;
  const sym = { add: "+=", or: "|=", and: "&=", xor: "^=" }[name];
  return `lock *${at} ${sym} ${r}${ins.src}`;
}

function ldImm64(lo: Insn, hi: Insn | undefined, pc: number, options: DisasmOptions): string {
  const high = hi?.imm ?? 0;
  const map = options.mapAt?.get(pc);
  if (lo.src === PSEUDO_MAP_FD) return `r${lo.dst} = map[${map ?? `fd ${lo.imm}`}] ll`;
  if (lo.src === PSEUDO_MAP_VALUE) return `r${lo.dst} = map_value[${map ?? `fd ${lo.imm}`}] + ${high} ll`;
  if (lo.src !== 0) return `r${lo.dst} = ${PSEUDO_NAMES[lo.src] ?? `pseudo${lo.src}`}[${lo.imm}] ll`;
  const value = (BigInt(high >>> 0) << 32n) | BigInt(lo.imm >>> 0);
  return `r${lo.dst} = 0x${value.toString(16)} ll`;
}

function address(reg: number, off: number): string {
  return `(r${reg} ${off < 0 ? "-" : "+"} ${Math.abs(off)})`;
}

/** Immediates in decimal when small, hex otherwise, as the sign of a 32-bit field. */
function imm(v: number): string {
  return v >= -4096 && v <= 4096 ? String(v) : v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

function unknown(ins: Insn): string {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
  return `.insn 0x${hex(ins.code, 2)} dst=r${ins.dst} src=r${ins.src} off=${ins.off} imm=${ins.imm}  // unknown opcode`;
}
