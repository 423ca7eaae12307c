// The intermediate representation: a linear list of three-address instructions over an
// unlimited supply of virtual registers. Lowering produces it; regalloc and emit consume it.
import type { AluOpName, CondName } from "../spec/bpf/isa.ts";
import type { SourcePos } from "../spec/diagnostics.ts";

/** A stack slot as lowering reserved it: bytes [off, off + size) below the frame pointer. */
export interface StackSlot {
  off: number;
  size: number;
  align: number;
}

export type VReg = number;
/** A virtual register (number) or an immediate (bigint). */
export type Operand = VReg | bigint;
export type Label = number;
/** A memory base: a virtual register holding a pointer, or the frame pointer (r10). */
export type Base = VReg | "fp";
export type MemSize = 1 | 2 | 4 | 8;

export type Instr = (
  | { op: "entry"; dst: VReg }
  /** `w32`: a 32-bit move (BPF_ALU class): the low 32 bits of src, zero-extended. */
  | { op: "mov"; dst: VReg; src: Operand; w32?: boolean }
  /** `w32`: computed on the low 32 bits (BPF_ALU class), the result zero-extended to 64. */
  | { op: "alu"; alu: AluOpName; dst: VReg; a: Operand; b: Operand; w32?: boolean }
  | { op: "load"; dst: VReg; base: Base; off: number; size: MemSize }
  | { op: "store"; base: Base; off: number; size: MemSize; value: Operand }
  /** *(u64 *)(base + off) += value, atomically (shared map values). */
  | { op: "atomic_add"; base: VReg; off: number; value: VReg }
  | { op: "frame"; dst: VReg; off: number }
  /** The map's address, or with `valueOffset` the address of its first value plus that offset (array maps). */
  | { op: "map"; dst: VReg; map: string; valueOffset?: number }
  | { op: "call"; helper: number; args: Operand[]; dst?: VReg }
  /** `w32`: compares the low 32 bits of a and b only (BPF_JMP32 class). */
  | { op: "br"; cond: CondName; a: Operand; b: Operand; target: Label; w32?: boolean }
  | { op: "jmp"; target: Label }
  | { op: "label"; label: Label }
  | { op: "ret"; value: Operand }
) & { loc?: SourcePos };

export const isReg = (o: Operand): o is VReg => typeof o === "number";

/** Shared by every instruction that reads no register (callers only iterate over it). */
const NONE: VReg[] = Object.freeze([]) as unknown as VReg[];

/** Registers an instruction reads. (Called for every instruction by every pass: kept free of closures.) */
export function uses(i: Instr): VReg[] {
  if (i.op === "label" || i.op === "jmp" || i.op === "entry" || i.op === "frame" || i.op === "map") return NONE;
  const regs: VReg[] = [];
  switch (i.op) {
    case "mov": if (typeof i.src === "number") regs.push(i.src); break;
    case "alu": case "br":
      if (typeof i.a === "number") regs.push(i.a);
      if (typeof i.b === "number") regs.push(i.b);
      break;
    case "load": if (i.base !== "fp") regs.push(i.base); break;
    case "store":
      if (i.base !== "fp") regs.push(i.base);
      if (typeof i.value === "number") regs.push(i.value);
      break;
    case "atomic_add": regs.push(i.base, i.value); break;
    case "call": for (const a of i.args) if (typeof a === "number") regs.push(a); break;
    case "ret": if (typeof i.value === "number") regs.push(i.value); break;
  }
  return regs;
}

/** Calls `f` for each register `i` reads: uses() without its array, for the loops every pass runs. */
export function forEachUse(i: Instr, f: (r: VReg) => void): void {
  switch (i.op) {
    case "mov": if (typeof i.src === "number") f(i.src); return;
    case "alu": case "br":
      if (typeof i.a === "number") f(i.a);
      if (typeof i.b === "number") f(i.b);
      return;
    case "load": if (i.base !== "fp") f(i.base); return;
    case "store":
      if (i.base !== "fp") f(i.base);
      if (typeof i.value === "number") f(i.value);
      return;
    case "atomic_add": f(i.base); f(i.value); return;
    case "call": for (const a of i.args) if (typeof a === "number") f(a); return;
    case "ret": if (typeof i.value === "number") f(i.value); return;
  }
}

/** The register an instruction writes, if any. */
export function def(i: Instr): VReg | undefined {
  switch (i.op) {
    case "entry": case "mov": case "alu": case "load": case "frame": case "map": return i.dst;
    case "call": return i.dst;
    default: return undefined;
  }
}

export const MAX_STACK = 512;
/** Instructions the kernel loads in one program (BPF_COMPLEXITY_LIMIT_INSNS; the verifier also stops after processing this many). */
export const MAX_INSNS = 1_000_000;
/**
 * IR instructions lowering produces for one handler before giving up on it. Optimisation shrinks
 * real handlers by far less than half, so past this the program cannot fit; and without a bound,
 * helpers that each call the next several times would expand exponentially (memory, time).
 */
export const MAX_LOWERED = 2 * MAX_INSNS;

/** Builds one function's IR. */
export class IrBuilder {
  readonly code: Instr[] = [];
  #nextReg = 0;
  #nextLabel = 0;
  /** Bytes of stack used so far, growing down from r10. */
  stackSize = 0;
  /** Every slot reserved, for stack_slots.ts to lay out again. */
  readonly slots: StackSlot[] = [];
  loc: SourcePos | undefined;

  reg(): VReg {
    return this.#nextReg++;
  }
  get regCount(): number {
    return this.#nextReg;
  }
  label(): Label {
    return this.#nextLabel++;
  }
  emit(i: Instr): void {
    this.code.push(this.loc ? { ...i, loc: this.loc } : i);
  }
  place(label: Label): void {
    this.emit({ op: "label", label });
  }
  /** Reserves stack bytes; returns the (negative) offset from r10. */
  allocStack(size: number, align: number): number {
    this.stackSize = Math.ceil((this.stackSize + size) / align) * align;
    this.slots.push({ off: -this.stackSize, size, align });
    return -this.stackSize;
  }

  // Small helpers that return the destination register.
  mov(src: Operand): VReg {
    const dst = this.reg();
    this.emit({ op: "mov", dst, src });
    return dst;
  }
  alu(alu: AluOpName, a: Operand, b: Operand): VReg {
    const dst = this.reg();
    this.emit({ op: "alu", alu, dst, a, b });
    return dst;
  }
  load(base: Base, off: number, size: MemSize): VReg {
    const dst = this.reg();
    this.emit({ op: "load", dst, base, off, size });
    return dst;
  }
  frame(off: number): VReg {
    const dst = this.reg();
    this.emit({ op: "frame", dst, off });
    return dst;
  }
  call(helper: number, args: Operand[]): VReg {
    const dst = this.reg();
    this.emit({ op: "call", helper, args, dst });
    return dst;
  }
}

/** A readable listing, for `tsbpf dump --ir` and for debugging the compiler. */
export function formatIr(code: Instr[]): string {
  const o = (x: Operand) => (isReg(x) ? `v${x}` : String(x));
  const b = (x: Base) => (x === "fp" ? "fp" : `v${x}`);
  return code.map((i) => {
    switch (i.op) {
      case "entry": return `  v${i.dst} = ctx`;
      case "mov": return `  v${i.dst} = ${i.w32 ? "(u32) " : ""}${o(i.src)}`;
      case "alu": return `  v${i.dst} = ${i.alu}${i.w32 ? "32" : ""} ${o(i.a)}, ${o(i.b)}`;
      case "load": return `  v${i.dst} = load${i.size * 8} [${b(i.base)}${i.off >= 0 ? "+" : ""}${i.off}]`;
      case "store": return `  store${i.size * 8} [${b(i.base)}${i.off >= 0 ? "+" : ""}${i.off}] = ${o(i.value)}`;
      case "atomic_add": return `  lock [v${i.base}+${i.off}] += v${i.value}`;
      case "frame": return `  v${i.dst} = fp${i.off}`;
      case "map": return `  v${i.dst} = map ${i.map}`;
      case "call": return `  ${i.dst !== undefined ? `v${i.dst} = ` : ""}call ${i.helper}(${i.args.map(o).join(", ")})`;
      case "br": return `  if ${i.cond}${i.w32 ? "32" : ""} ${o(i.a)}, ${o(i.b)} goto L${i.target}`;
      case "jmp": return `  goto L${i.target}`;
      case "label": return `L${i.label}:`;
      case "ret": return `  return ${o(i.value)}`;
    }
  }).join("\n");
}
