// Turns allocated IR into BPF instructions, with a source position for each one.
import { AluOp, Class, encode, fitsImm32, type Insn, JmpOp, Mode, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, sizeCode, Src, swapCond } from "../spec/bpf/isa.ts";
import type { Instr, Operand, VReg } from "./ir.ts";
import { isReg, MAX_INSNS } from "./ir.ts";
import type { Allocation } from "./regalloc.ts";
import type { SourcePos } from "../spec/diagnostics.ts";
import type { LineEntry, MapReloc } from "../spec/tracer_spec.ts";

export interface Emitted {
  insns: Uint8Array;
  count: number;
  relocs: MapReloc[];
  lines: LineEntry[];
}

const R0 = 0, FP = 10;

/** A jump's offset is a signed 16-bit field: it reaches at most this many instructions forward. */
const MAX_JUMP = 0x7fff;
/**
 * Past this, a jump goes through a nearer jump to the same place when there is one: the kernel
 * rewrites some helper calls into several instructions, and refuses a program when a jump no
 * longer fits its field after that ("cannot be patched due to 16-bit range").
 */
const HOP_BEYOND = 0x3fff;

/**
 * Fewer BPF instructions than `code` (IR before register allocation) can emit as: what becomes
 * instructions whatever allocation and the last cleanup do (copies between registers may vanish,
 * jumps to the next instruction go, returns merge into jumps, but an immediate still has to be
 * put in its register). Over MAX_INSNS, allocating is wasted work.
 */
export function leastInsns(code: Instr[]): number {
  let n = 0;
  for (const ins of code) {
    switch (ins.op) {
      case "alu": case "load": case "store": case "atomic_add": n++; break;
      case "map": n += 2; break; // ld_imm64
      case "frame": n += ins.off ? 2 : 1; break;
      case "mov": if (!isReg(ins.src)) n++; break;
      case "call": n++; for (const a of ins.args) if (!isReg(a)) n++; break;
      case "ret": if (!isReg(ins.value)) n++; break;
    }
  }
  return n;
}

/** The handler cannot be encoded as one BPF program: too many instructions, or a jump too long for its field. */
export class ProgramTooLarge extends Error {
  constructor(message: string, readonly loc: SourcePos | undefined, readonly hints: string[]) {
    super(message);
    this.name = "ProgramTooLarge";
  }
}

const COMMUTATIVE = new Set(["add", "mul", "or", "and", "xor"]);

/**
 * Emits allocated code. The allocator has put every value in a register, the arguments of a call
 * in r1..r5 and a returned value in r0, and made every immediate fit its instruction, so nothing
 * here needs a scratch register; a violation is a compiler bug and throws.
 */
export function emit(code: Instr[], alloc: Allocation): Emitted {
  const out: Insn[] = [];
  const relocs: MapReloc[] = [];
  const lines: LineEntry[] = [];
  const labelAt = new Map<number, number>();
  const fixups: { at: number; label: number; always?: true }[] = [];
  let lastLoc: SourcePos | undefined;

  /** The source position of the IR instruction being emitted: recorded with its first BPF instruction. */
  let loc: SourcePos | undefined;
  const put = (code: number, dst: number, src: number, off: number, imm: number) => {
    if (loc && (loc.line !== lastLoc?.line || loc.column !== lastLoc?.column)) {
      lines.push({ insn: out.length, line: loc.line, column: loc.column });
      lastLoc = loc;
    }
    out.push({ code, dst, src, off, imm });
  };
  const ldImm64 = (dst: number, v: bigint, src = 0) => {
    const u = BigInt.asUintN(64, v);
    put(Class.LD | Size_DW | Mode.IMM, dst, src, 0, Number(BigInt.asIntN(32, u & 0xffffffffn)));
    put(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n)));
  };
  const reg = (v: VReg): number => {
    const l = alloc.loc.get(v);
    if (!l || !("reg" in l)) throw new Error(`internal: v${v} is not in a register`);
    return l.reg;
  };
  /** A 32-bit immediate field; `w32`: only the low 32 bits matter. */
  const imm = (v: bigint, w32 = false): number => {
    const s = w32 ? BigInt.asIntN(32, v) : BigInt.asIntN(64, v);
    if (!fitsImm32(s)) throw new Error(`internal: immediate ${v} does not fit an instruction`);
    return Number(s);
  };
  const moveInto = (dst: number, o: Operand, w32 = false) => {
    const cls = w32 ? Class.ALU : Class.ALU64;
    if (isReg(o)) {
      if (reg(o) !== dst || w32) put(cls | AluOp.mov | Src.X, dst, reg(o), 0, 0);
    } else if (w32) put(cls | AluOp.mov | Src.K, dst, 0, 0, imm(o, true));
    else if (fitsImm32(BigInt.asIntN(64, o))) put(cls | AluOp.mov | Src.K, dst, 0, 0, imm(o));
    else ldImm64(dst, o);
  };

  for (const ins of code) {
    loc = ins.loc;
    // Stop at the limit rather than emit (and hold) the rest of a program the kernel refuses.
    if (out.length > MAX_INSNS) throw tooManyInsns(out.length, loc);
    switch (ins.op) {
      case "entry":
        if (reg(ins.dst) !== 1) put(Class.ALU64 | AluOp.mov | Src.X, reg(ins.dst), 1, 0, 0);
        break;
      case "mov":
        moveInto(reg(ins.dst), ins.src, ins.w32);
        break;
      case "alu": {
        const d = reg(ins.dst), cls = ins.w32 ? Class.ALU : Class.ALU64;
        let a = ins.a, b = ins.b;
        // Two-address form: d = a; d op= b. b must not be in d unless the operation commutes.
        if (isReg(b) && reg(b) === d && a !== b) {
          if (!COMMUTATIVE.has(ins.alu)) throw new Error(`internal: ${ins.alu} result and right operand share r${d}`);
          [a, b] = [b, a];
        }
        if (!(isReg(a) && reg(a) === d)) moveInto(d, a, ins.w32);
        if (isReg(b)) put(cls | AluOp[ins.alu] | Src.X, d, reg(b), 0, 0);
        else put(cls | AluOp[ins.alu] | Src.K, d, 0, 0, imm(b, ins.w32));
        break;
      }
      case "load":
        put(Class.LDX | sizeCode(ins.size) | Mode.MEM, reg(ins.dst), ins.base === "fp" ? FP : reg(ins.base), ins.off, 0);
        break;
      case "store": {
        const base = ins.base === "fp" ? FP : reg(ins.base);
        if (isReg(ins.value)) put(Class.STX | sizeCode(ins.size) | Mode.MEM, base, reg(ins.value), ins.off, 0);
        else put(Class.ST | sizeCode(ins.size) | Mode.MEM, base, 0, ins.off, imm(ins.value, ins.size < 8));
        break;
      }
      case "atomic_add":
        put(Class.STX | Size_DW | Mode.ATOMIC, reg(ins.base), reg(ins.value), ins.off, 0); // imm 0 = BPF_ADD
        break;
      case "frame": {
        const d = reg(ins.dst);
        put(Class.ALU64 | AluOp.mov | Src.X, d, FP, 0, 0);
        if (ins.off) put(Class.ALU64 | AluOp.add | Src.K, d, 0, 0, ins.off);
        break;
      }
      case "map": {
        const d = reg(ins.dst);
        relocs.push({ insn: out.length, map: ins.map });
        // The loader writes the map's fd into the first half; the second half holds the value offset.
        if (ins.valueOffset === undefined) ldImm64(d, 0n, PSEUDO_MAP_FD);
        else ldImm64(d, BigInt(ins.valueOffset) << 32n, PSEUDO_MAP_VALUE);
        break;
      }
      case "call":
        ins.args.forEach((a, i) => {
          if (!isReg(a) || reg(a) !== i + 1) throw new Error(`internal: argument ${i + 1} of helper ${ins.helper} is not in r${i + 1}`);
        });
        put(Class.JMP | JmpOp.call, 0, 0, 0, ins.helper);
        if (ins.dst !== undefined && reg(ins.dst) !== R0) put(Class.ALU64 | AluOp.mov | Src.X, reg(ins.dst), R0, 0, 0);
        break;
      case "br": {
        let { cond, a, b } = ins;
        if (!isReg(a) && isReg(b)) [a, b, cond] = [b, a, swapCond[cond]];
        if (!isReg(a)) throw new Error(`internal: branch on two constants`);
        const cls = ins.w32 ? Class.JMP32 : Class.JMP;
        fixups.push({ at: out.length, label: ins.target });
        if (isReg(b)) put(cls | JmpOp[cond] | Src.X, reg(a), reg(b), 0, 0);
        else put(cls | JmpOp[cond] | Src.K, reg(a), 0, 0, imm(b, ins.w32));
        break;
      }
      case "jmp":
        fixups.push({ at: out.length, label: ins.target, always: true });
        put(Class.JMP | JmpOp.ja, 0, 0, 0, 0);
        break;
      case "label":
        labelAt.set(ins.label, out.length);
        break;
      case "ret":
        moveInto(R0, ins.value);
        put(Class.JMP | JmpOp.exit, 0, 0, 0, 0);
        break;
      default:
        throw new Error(`internal: emit does not know IR op "${(ins as { op: string }).op}"`);
    }
  }
  if (out.length > MAX_INSNS) throw tooManyInsns(out.length, loc);
  // Unconditional jumps by where they go, in order (to hop through when a target is out of reach).
  const jumpsTo = new Map<number, number[]>();
  for (const f of fixups) {
    if (!f.always) continue;
    const to = labelAt.get(f.label)!;
    (jumpsTo.get(to) ?? jumpsTo.set(to, []).get(to)!).push(f.at);
  }
  for (const f of fixups) {
    const to = labelAt.get(f.label)!;
    let off = to - f.at - 1;
    if (off > HOP_BEYOND || off < -HOP_BEYOND - 1) {
      // Jump instead to a jump to the same place within reach (the arms of a long else-if chain
      // each end with one). Without one, an offset past the field would wrap around and jump
      // somewhere else: refused.
      const hop = hopToward(jumpsTo.get(to) ?? [], f.at, to);
      if (hop !== undefined) off = hop - f.at - 1;
      else if (off > MAX_JUMP || off < -MAX_JUMP - 1) throw jumpTooLong(off, lines, f.at);
    }
    out[f.at].off = off;
  }
  return { insns: encode(out), count: out.length, relocs, lines };
}

const Size_DW = 0x18;

function tooManyInsns(count: number, loc: SourcePos | undefined): ProgramTooLarge {
  return new ProgramTooLarge(`this handler compiles to more than ${MAX_INSNS.toLocaleString("en-US")} BPF instructions (${count.toLocaleString("en-US")} so far), the most the kernel loads in one program`,
    loc, ["split the work among several handlers, or use a loop or a map lookup instead of many similar statements"]);
}

/**
 * Of the unconditional jumps at `jumps` (ascending) that go to `to`, the one within HOP_BEYOND
 * of `at` that is nearest to `to` (strictly closer than `at`, so hops end), if any.
 */
function hopToward(jumps: number[], at: number, to: number): number | undefined {
  // The first index whose position is above `limit`.
  const above = (limit: number) => {
    let lo = 0, hi = jumps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (jumps[mid] > limit) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  if (to > at) {
    const k = above(Math.min(at + 1 + HOP_BEYOND, to - 1)) - 1;
    return k >= 0 && jumps[k] > at ? jumps[k] : undefined;
  }
  const k = above(Math.max(at - HOP_BEYOND, to + 1) - 1);
  return k < jumps.length && jumps[k] < at ? jumps[k] : undefined;
}

/** The branch at `at`, with the source position of the statement it came from. */
function jumpTooLong(off: number, lines: LineEntry[], at: number): ProgramTooLarge {
  let lo = 0, hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid].insn <= at) lo = mid;
    else hi = mid - 1;
  }
  const line = lines[lo];
  const loc = line && line.insn <= at ? { line: line.line, column: line.column, length: 1 } : undefined;
  return new ProgramTooLarge(`this branch jumps over ${Math.abs(off).toLocaleString("en-US")} BPF instructions; a BPF jump reaches at most ${(MAX_JUMP + 1).toLocaleString("en-US")}`,
    loc, ["move part of the block into another handler, or shorten it with a loop or a map lookup"]);
}
