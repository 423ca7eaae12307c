// Turns allocated IR into BPF instructions, with a source position for each one.
import { AluOp, Class, encode, fitsImm32, type Insn, JmpOp, Mode, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, sizeCode, Src, swapCond } from "./isa.ts";
import type { Instr, Operand, VReg } from "./ir.ts";
import { isReg } from "./ir.ts";
import type { Allocation } from "./regalloc.ts";
import type { SourcePos } from "./diagnostics.ts";

export interface MapReloc {
  insn: number;
  map: string;
}
export interface LineEntry {
  insn: number;
  line: number;
  column: number;
}
export interface Emitted {
  insns: Uint8Array;
  count: number;
  relocs: MapReloc[];
  lines: LineEntry[];
}

const R0 = 0, R5 = 5, FP = 10;
const COMMUTATIVE = new Set(["add", "mul", "or", "and", "xor"]);

export function emit(code: Instr[], alloc: Allocation): Emitted {
  const out: Insn[] = [];
  const relocs: MapReloc[] = [];
  const lines: LineEntry[] = [];
  const labelAt = new Map<number, number>();
  const fixups: { at: number; label: number }[] = [];
  let lastLoc: SourcePos | undefined;

  const put = (code: number, dst: number, src: number, off: number, imm: number) => out.push({ code, dst, src, off, imm });
  const ldImm64 = (dst: number, v: bigint, src = 0) => {
    const u = BigInt.asUintN(64, v);
    put(Class.LD | Size_DW | Mode.IMM, dst, src, 0, Number(BigInt.asIntN(32, u & 0xffffffffn)));
    put(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n)));
  };
  const movImm = (dst: number, v: bigint) => {
    const s = BigInt.asIntN(64, v);
    if (fitsImm32(s)) put(Class.ALU64 | AluOp.mov | Src.K, dst, 0, 0, Number(s));
    else ldImm64(dst, s);
  };
  const locOf = (v: VReg) => {
    const l = alloc.loc.get(v);
    if (!l) throw new Error(`internal: v${v} has no location`);
    return l;
  };
  /** The register holding `v`, reloading a spilled value into `scratch`. */
  const inReg = (v: VReg, scratch: number): number => {
    const l = locOf(v);
    if ("reg" in l) return l.reg;
    put(Class.LDX | Size_DW | Mode.MEM, scratch, FP, l.slot, 0);
    return scratch;
  };
  /** An operand as a register or a 32-bit immediate; large immediates go through `scratch`. */
  const operand = (o: Operand, scratch: number): { reg: number } | { imm: number } => {
    if (isReg(o)) return { reg: inReg(o, scratch) };
    const s = BigInt.asIntN(64, o);
    if (fitsImm32(s)) return { imm: Number(s) };
    ldImm64(scratch, s);
    return { reg: scratch };
  };
  /** Where to compute `v`, and how to store it afterwards if it lives on the stack. */
  const target = (v: VReg): [number, () => void] => {
    const l = locOf(v);
    if ("reg" in l) return [l.reg, () => {}];
    return [R0, () => put(Class.STX | Size_DW | Mode.MEM, FP, R0, l.slot, 0)];
  };
  const moveInto = (dst: number, o: Operand) => {
    if (!isReg(o)) return movImm(dst, o);
    const l = locOf(o);
    if ("slot" in l) put(Class.LDX | Size_DW | Mode.MEM, dst, FP, l.slot, 0);
    else if (l.reg !== dst) put(Class.ALU64 | AluOp.mov | Src.X, dst, l.reg, 0, 0);
  };

  for (const ins of code) {
    if (ins.loc && (ins.loc.line !== lastLoc?.line || ins.loc.column !== lastLoc?.column)) {
      lines.push({ insn: out.length, line: ins.loc.line, column: ins.loc.column });
      lastLoc = ins.loc;
    }
    switch (ins.op) {
      case "entry": {
        const [d, done] = target(ins.dst);
        if (d !== 1) put(Class.ALU64 | AluOp.mov | Src.X, d, 1, 0, 0);
        done();
        break;
      }
      case "mov": {
        const [d, done] = target(ins.dst);
        moveInto(d, ins.src);
        done();
        break;
      }
      case "alu": {
        const [d, done] = target(ins.dst);
        let a = ins.a, b = ins.b;
        // Two-address form: d = a; d op= b. Keep b from being overwritten by the first move.
        if (isReg(b) && "reg" in locOf(b) && (locOf(b) as { reg: number }).reg === d && a !== b) {
          if (COMMUTATIVE.has(ins.alu)) [a, b] = [b, a];
        }
        let src = operand(b, R5);
        if ("reg" in src && src.reg === d && a !== b) {
          put(Class.ALU64 | AluOp.mov | Src.X, R5, d, 0, 0);
          src = { reg: R5 };
        }
        moveInto(d, a);
        if ("reg" in src) put(Class.ALU64 | AluOp[ins.alu] | Src.X, d, src.reg, 0, 0);
        else put(Class.ALU64 | AluOp[ins.alu] | Src.K, d, 0, 0, src.imm);
        done();
        break;
      }
      case "load": {
        const [d, done] = target(ins.dst);
        const base = ins.base === "fp" ? FP : inReg(ins.base, R5);
        put(Class.LDX | sizeCode(ins.size) | Mode.MEM, d, base, ins.off, 0);
        done();
        break;
      }
      case "store": {
        const base = ins.base === "fp" ? FP : inReg(ins.base, R5);
        const v = operand(ins.value, R0);
        if ("reg" in v) put(Class.STX | sizeCode(ins.size) | Mode.MEM, base, v.reg, ins.off, 0);
        else put(Class.ST | sizeCode(ins.size) | Mode.MEM, base, 0, ins.off, v.imm);
        break;
      }
      case "atomic_add": {
        const base = inReg(ins.base, R5);
        const value = inReg(ins.value, R0);
        put(Class.STX | Size_DW | Mode.ATOMIC, base, value, ins.off, 0); // imm 0 = BPF_ADD
        break;
      }
      case "frame": {
        const [d, done] = target(ins.dst);
        put(Class.ALU64 | AluOp.mov | Src.X, d, FP, 0, 0);
        put(Class.ALU64 | AluOp.add | Src.K, d, 0, 0, ins.off);
        done();
        break;
      }
      case "map": {
        const [d, done] = target(ins.dst);
        relocs.push({ insn: out.length, map: ins.map });
        // The loader writes the map's fd into the first half; the second half holds the value offset.
        if (ins.valueOffset === undefined) ldImm64(d, 0n, PSEUDO_MAP_FD);
        else ldImm64(d, BigInt(ins.valueOffset) << 32n, PSEUDO_MAP_VALUE);
        done();
        break;
      }
      case "call": {
        argumentMoves(ins.args);
        put(Class.JMP | JmpOp.call, 0, 0, 0, ins.helper);
        if (ins.dst !== undefined) {
          const l = locOf(ins.dst);
          if ("reg" in l) put(Class.ALU64 | AluOp.mov | Src.X, l.reg, R0, 0, 0);
          else put(Class.STX | Size_DW | Mode.MEM, FP, R0, l.slot, 0);
        }
        break;
      }
      case "br": {
        let { cond, a, b } = ins;
        if (!isReg(a) && isReg(b)) [a, b, cond] = [b, a, swapCond[cond]];
        const left = isReg(a) ? inReg(a, R0) : (movImm(R0, a), R0);
        const right = operand(b, R5);
        fixups.push({ at: out.length, label: ins.target });
        if ("reg" in right) put(Class.JMP | JmpOp[cond] | Src.X, left, right.reg, 0, 0);
        else put(Class.JMP | JmpOp[cond] | Src.K, left, 0, 0, right.imm);
        break;
      }
      case "jmp":
        fixups.push({ at: out.length, label: ins.target });
        put(Class.JMP | JmpOp.ja, 0, 0, 0, 0);
        break;
      case "label":
        labelAt.set(ins.label, out.length);
        break;
      case "ret":
        moveInto(R0, ins.value);
        put(Class.JMP | JmpOp.exit, 0, 0, 0, 0);
        break;
    }
  }
  for (const f of fixups) out[f.at].off = labelAt.get(f.label)! - f.at - 1;
  return { insns: encode(out), count: out.length, relocs, lines };

  /** Moves call arguments into r1..r5 as one parallel move. */
  function argumentMoves(args: Operand[]) {
    const pending: { dst: number; src: number }[] = [];
    const late: { dst: number; src: Operand }[] = [];
    args.forEach((a, i) => {
      const dst = i + 1;
      if (isReg(a) && "reg" in locOf(a)) {
        const src = (locOf(a) as { reg: number }).reg;
        if (src !== dst) pending.push({ dst, src });
      } else late.push({ dst, src: a });
    });
    while (pending.length) {
      const k = pending.findIndex((m) => !pending.some((o) => o.src === m.dst));
      if (k >= 0) {
        const [m] = pending.splice(k, 1);
        put(Class.ALU64 | AluOp.mov | Src.X, m.dst, m.src, 0, 0);
      } else {
        // A cycle: park one source in r0 and continue.
        const m = pending[0];
        put(Class.ALU64 | AluOp.mov | Src.X, R0, m.src, 0, 0);
        for (const o of pending) if (o.src === m.src) o.src = R0;
      }
    }
    for (const m of late) moveInto(m.dst, m.src);
  }
}

const Size_DW = 0x18;
