// Control flow and liveness over the linear IR, shared by the optimisation passes and the
// register allocator (an analysis, not a pass: it changes nothing).
import { def, forEachUse, type Instr, isReg, type Operand, type VReg } from "./ir.ts";
import type { SourcePos } from "../spec/diagnostics.ts";

export interface Block {
  /** First instruction (often a label) and one past the last. */
  start: number;
  end: number;
  succ: number[];
  pred: number[];
}

export interface Cfg {
  blocks: Block[];
  /** The block each instruction belongs to. */
  blockOf: Int32Array;
  /** Blocks in reverse post-order from the entry (unreachable blocks left out). */
  rpo: number[];
}

export function labelPositions(code: Instr[]): Map<number, number> {
  const at = new Map<number, number>();
  code.forEach((ins, i) => ins.op === "label" && at.set(ins.label, i));
  return at;
}

/** Splits the code into basic blocks: a label starts one, a branch, jump or return ends one. */
export function buildCfg(code: Instr[]): Cfg {
  const blocks: Block[] = [];
  const blockOf = new Int32Array(code.length);
  let start = 0;
  for (let i = 0; i < code.length; i++) {
    const op = code[i].op;
    const startsNext = i + 1 < code.length && code[i + 1].op === "label";
    if (op === "br" || op === "jmp" || op === "ret" || startsNext || i + 1 === code.length) {
      blocks.push({ start, end: i + 1, succ: [], pred: [] });
      start = i + 1;
    }
  }
  blocks.forEach((b, n) => blockOf.fill(n, b.start, b.end));
  const labelBlock = new Map<number, number>();
  blocks.forEach((b, n) => {
    for (let i = b.start; i < b.end && code[i].op === "label"; i++) labelBlock.set((code[i] as { label: number }).label, n);
  });
  const target = (label: number) => {
    const b = labelBlock.get(label);
    if (b === undefined) throw new Error(`internal: jump to unplaced label L${label}`);
    return b;
  };
  blocks.forEach((b, n) => {
    const last = code[b.end - 1];
    const add = (s: number) => b.succ.includes(s) || b.succ.push(s);
    if (last.op === "jmp") add(target(last.target));
    else if (last.op === "ret") { /* no successor */ }
    else {
      if (last.op === "br") add(target(last.target));
      if (n + 1 < blocks.length) add(n + 1);
    }
  });
  blocks.forEach((b, n) => b.succ.forEach((s) => blocks[s].pred.push(n)));
  // Reverse post-order by an iterative depth-first walk.
  const seen = new Uint8Array(blocks.length);
  const post: number[] = [];
  if (blocks.length) {
    const stack: [number, number][] = [[0, 0]];
    seen[0] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const succ = blocks[top[0]].succ;
      if (top[1] < succ.length) {
        const s = succ[top[1]++];
        if (!seen[s]) {
          seen[s] = 1;
          stack.push([s, 0]);
        }
      } else {
        post.push(top[0]);
        stack.pop();
      }
    }
  }
  return { blocks, blockOf, rpo: post.reverse() };
}

/**
 * A set of registers below a fixed bound: constant-time add, delete, membership and clear, and
 * iteration over the members only (Briggs and Torczon's sparse set), so that walking a large
 * function costs what is live, not what exists.
 */
export class RegSet {
  readonly #dense: Int32Array;
  readonly #sparse: Int32Array;
  #n = 0;
  constructor(readonly size: number) {
    this.#dense = new Int32Array(size);
    this.#sparse = new Int32Array(size);
  }
  get count(): number {
    return this.#n;
  }
  has(i: number): boolean {
    const s = this.#sparse[i];
    return s < this.#n && this.#dense[s] === i;
  }
  add(i: number): void {
    if (this.has(i)) return;
    this.#sparse[i] = this.#n;
    this.#dense[this.#n++] = i;
  }
  delete(i: number): void {
    if (!this.has(i)) return;
    const last = this.#dense[--this.#n];
    const s = this.#sparse[i];
    this.#dense[s] = last;
    this.#sparse[last] = s;
  }
  clear(): void {
    this.#n = 0;
  }
  forEach(f: (i: number) => void): void {
    for (let k = 0; k < this.#n; k++) f(this.#dense[k]);
  }
}

/** One more than the highest register the code names (every pass sizes its tables by it: kept allocation-free). */
export function regCount(code: Instr[]): number {
  let n = 0;
  const see = (r: VReg) => {
    if (r >= n) n = r + 1;
  };
  for (const ins of code) {
    const d = def(ins);
    if (d !== undefined) see(d);
    forEachUse(ins, see);
  }
  return n;
}

/**
 * Work done by liveness() in this process: the (register, block) pairs it found live, and how
 * many times it ran. Tests check how it grows with a handler's size, and which passes run (an
 * operation count, not a clock).
 */
export const livenessWork = { entries: 0, runs: 0 };

export interface Liveness {
  cfg: Cfg;
  size: number;
  /** The registers live at the start and at the end of each block, in no particular order. */
  liveIn: VReg[][];
  liveOut: VReg[][];
}

/**
 * Values live, on average, at each instruction, past which a handler is refused (CrowdedCode): a
 * bound on the compiler's work, like the lowering budget. The registers and stack hold some 70
 * (compiler/pressure.ts refuses past them, exactly, once the optimisations are done); a handler
 * past 64 on average over all its code keeps far more than that.
 */
export const MAX_LIVE_PER_INSN = 64;

/**
 * The handler keeps so many values live across so much of its code that listing them block by
 * block would grow with the square of its size: more than MAX_LIVE_PER_INSN for each instruction.
 * `loc`: in the most crowded block found when liveness stopped.
 */
export class CrowdedCode extends Error {
  constructor(readonly loc: SourcePos | undefined) {
    super(`more than ${MAX_LIVE_PER_INSN} values live at once on average over its code`);
    this.name = "CrowdedCode";
  }
}

/**
 * Which virtual registers are live at the start and end of each block. Computed one register
 * at a time, walking backwards from the blocks that read it before writing it until a block
 * that writes it: the work is the total size of the live ranges, not blocks × registers (which
 * grows with the square of a handler's size, since most registers live in one block). Those live
 * ranges are themselves n × blocks for n values live across the code; past MAX_LIVE_PER_INSN per
 * instruction, liveness stops and throws CrowdedCode, so the work stays linear in the code.
 */
export function liveness(code: Instr[], cfg: Cfg = buildCfg(code), size = regCount(code)): Liveness {
  livenessWork.runs++;
  const n = cfg.blocks.length;
  const budget = MAX_LIVE_PER_INSN * code.length;
  let found = 0;
  // Per register, the blocks that read it before any write (upward-exposed uses) and the blocks that write it.
  const exposed: number[][] = [], writers: number[][] = [];
  const writtenIn = new Int32Array(size); // block + 1 when the register was written earlier in that block
  let b = 0;
  const read = (u: VReg) => {
    if (writtenIn[u] !== b + 1) (exposed[u] ??= []).push(b);
  };
  for (; b < n; b++) {
    const block = cfg.blocks[b];
    for (let i = block.start; i < block.end; i++) {
      forEachUse(code[i], read);
      const d = def(code[i]);
      if (d !== undefined && writtenIn[d] !== b + 1) {
        writtenIn[d] = b + 1;
        (writers[d] ??= []).push(b);
      }
    }
  }
  const liveIn: VReg[][] = Array.from({ length: n }, () => []);
  const liveOut: VReg[][] = Array.from({ length: n }, () => []);
  // Stamps: register v + 1 marks a block as holding v in its in-set, out-set, or writing it.
  const inMark = new Int32Array(n), outMark = new Int32Array(n), writes = new Int32Array(n);
  const work: number[] = [];
  exposed.forEach((blocks, v) => {
    const stamp = v + 1;
    for (const b of writers[v] ?? []) writes[b] = stamp;
    for (const b of blocks) {
      if (inMark[b] === stamp) continue;
      inMark[b] = stamp;
      liveIn[b].push(v);
      work.push(b);
    }
    while (work.length) {
      const b = work.pop()!;
      for (const p of cfg.blocks[b].pred) {
        if (outMark[p] === stamp) continue;
        outMark[p] = stamp;
        liveOut[p].push(v);
        livenessWork.entries++;
        if (++found > budget) throw crowded(code, cfg, liveOut);
        if (writes[p] === stamp || inMark[p] === stamp) continue;
        inMark[p] = stamp;
        liveIn[p].push(v);
        work.push(p);
      }
    }
  });
  return { cfg, size, liveIn, liveOut };
}

/** Where liveness stopped: the first source position of the block with the most values live out of it. */
function crowded(code: Instr[], cfg: Cfg, liveOut: VReg[][]): CrowdedCode {
  let most = 0;
  liveOut.forEach((out, b) => out.length > liveOut[most].length && (most = b));
  const { start, end } = cfg.blocks[most];
  let loc: SourcePos | undefined;
  for (let i = start; i < end && !loc; i++) loc = code[i].loc;
  return new CrowdedCode(loc);
}

/**
 * Walks every reachable block backwards, calling `f` for each instruction with the registers
 * live right after it (the set is updated in place afterwards: copy it to keep it).
 */
export function walkLive(code: Instr[], live: Liveness, f: (i: number, liveAfter: RegSet) => void): void {
  const cur = new RegSet(live.size);
  const add = (u: VReg) => cur.add(u);
  for (const b of live.cfg.rpo) {
    const block = live.cfg.blocks[b];
    cur.clear();
    for (const v of live.liveOut[b]) cur.add(v);
    for (let i = block.end - 1; i >= block.start; i--) {
      f(i, cur);
      const d = def(code[i]);
      if (d !== undefined) cur.delete(d);
      forEachUse(code[i], add);
    }
  }
}

/** How many instructions write each register, over the whole function. */
export function defCounts(code: Instr[], size = regCount(code)): Int32Array {
  const n = new Int32Array(size);
  for (const ins of code) {
    const d = def(ins);
    if (d !== undefined) n[d]++;
  }
  return n;
}

/** Instructions with no effect but their result: removable when the result is unused. */
export function isPure(ins: Instr): boolean {
  return ins.op === "mov" || ins.op === "alu" || ins.op === "load" || ins.op === "frame" || ins.op === "map";
}

/**
 * A copy of `ins` with each register it reads replaced by `f(reg, canBeImmediate)`. Memory
 * bases must stay registers; other operands may become immediates. Throws on an op it does not know.
 */
export function mapUses(ins: Instr, f: (r: VReg, immOk: boolean) => Operand): Instr {
  const o = (x: Operand, immOk = true): Operand => (isReg(x) ? f(x, immOk) : x);
  const base = <B extends VReg | "fp">(x: B): B => (x === "fp" ? x : (o(x as VReg, false) as B));
  switch (ins.op) {
    case "entry": case "frame": case "map": case "jmp": case "label": return ins;
    case "mov": return { ...ins, src: o(ins.src) };
    case "alu": return { ...ins, a: o(ins.a), b: o(ins.b) };
    case "load": return { ...ins, base: base(ins.base) };
    case "store": return { ...ins, base: base(ins.base), value: o(ins.value) };
    case "atomic_add": return { ...ins, base: o(ins.base, false) as VReg, value: o(ins.value, false) as VReg };
    case "call": return { ...ins, args: ins.args.map((a) => o(a)) };
    case "br": return { ...ins, a: o(ins.a), b: o(ins.b) };
    case "ret": return { ...ins, value: o(ins.value) };
  }
  throw new Error(`internal: compiler/flow.ts does not know IR op "${(ins as { op: string }).op}"`);
}

/** A copy of `ins` writing `dst` instead (for instructions that define a register). */
export function withDef(ins: Instr, dst: VReg): Instr {
  if (def(ins) === undefined) throw new Error(`internal: ${ins.op} defines no register`);
  return { ...ins, dst } as Instr;
}
