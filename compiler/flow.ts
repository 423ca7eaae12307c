// Control flow and liveness over the linear IR, shared by the optimisation passes and the
// register allocator (an analysis, not a pass: it changes nothing).
import { def, type Instr, isReg, type Operand, uses, type VReg } from "./ir.ts";

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

/** A fixed-size set of small non-negative integers. */
export class BitSet {
  readonly words: Uint32Array;
  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }
  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  add(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  delete(i: number): void {
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }
  copyFrom(o: BitSet): void {
    this.words.set(o.words);
  }
  /** this |= o; returns whether this changed. */
  union(o: BitSet): boolean {
    let changed = false;
    for (let k = 0; k < this.words.length; k++) {
      const w = this.words[k] | o.words[k];
      if (w !== this.words[k]) {
        this.words[k] = w;
        changed = true;
      }
    }
    return changed;
  }
  equals(o: BitSet): boolean {
    for (let k = 0; k < this.words.length; k++) if (this.words[k] !== o.words[k]) return false;
    return true;
  }
  forEach(f: (i: number) => void): void {
    for (let k = 0; k < this.words.length; k++) {
      let w = this.words[k];
      while (w) {
        const bit = 31 - Math.clz32(w & -w);
        f(k * 32 + bit);
        w &= w - 1;
      }
    }
  }
}

export function regCount(code: Instr[]): number {
  let n = 0;
  for (const ins of code) {
    for (const r of uses(ins)) n = Math.max(n, r + 1);
    const d = def(ins);
    if (d !== undefined) n = Math.max(n, d + 1);
  }
  return n;
}

export interface Liveness {
  cfg: Cfg;
  size: number;
  liveIn: BitSet[];
  liveOut: BitSet[];
}

/** Which virtual registers are live at the start and end of each block. */
export function liveness(code: Instr[], cfg: Cfg = buildCfg(code), size = regCount(code)): Liveness {
  const n = cfg.blocks.length;
  const gen: BitSet[] = [], kill: BitSet[] = [];
  for (const b of cfg.blocks) {
    const g = new BitSet(size), k = new BitSet(size);
    for (let i = b.end - 1; i >= b.start; i--) {
      const d = def(code[i]);
      if (d !== undefined) {
        g.delete(d);
        k.add(d);
      }
      for (const u of uses(code[i])) g.add(u);
    }
    gen.push(g);
    kill.push(k);
  }
  const liveIn = Array.from({ length: n }, () => new BitSet(size));
  const liveOut = Array.from({ length: n }, () => new BitSet(size));
  const order = [...cfg.rpo].reverse();
  const tmp = new BitSet(size);
  for (let changed = true; changed;) {
    changed = false;
    for (const b of order) {
      for (const s of cfg.blocks[b].succ) liveOut[b].union(liveIn[s]);
      // in = gen | (out & ~kill)
      for (let k = 0; k < tmp.words.length; k++) tmp.words[k] = gen[b].words[k] | (liveOut[b].words[k] & ~kill[b].words[k]);
      if (!tmp.equals(liveIn[b])) {
        liveIn[b].copyFrom(tmp);
        changed = true;
      }
    }
  }
  return { cfg, size, liveIn, liveOut };
}

/**
 * Walks every reachable block backwards, calling `f` for each instruction with the registers
 * live right after it (the set is updated in place afterwards: copy it to keep it).
 */
export function walkLive(code: Instr[], live: Liveness, f: (i: number, liveAfter: BitSet) => void): void {
  const cur = new BitSet(live.size);
  for (const b of live.cfg.rpo) {
    const block = live.cfg.blocks[b];
    cur.copyFrom(live.liveOut[b]);
    for (let i = block.end - 1; i >= block.start; i--) {
      f(i, cur);
      const d = def(code[i]);
      if (d !== undefined) cur.delete(d);
      for (const u of uses(code[i])) cur.add(u);
    }
  }
}

/** How many times each register is defined and used, over the whole function. */
export function counts(code: Instr[]): { defs: Map<VReg, number>; uses: Map<VReg, number> } {
  const defs = new Map<VReg, number>(), useCount = new Map<VReg, number>();
  for (const ins of code) {
    const d = def(ins);
    if (d !== undefined) defs.set(d, (defs.get(d) ?? 0) + 1);
    for (const u of uses(ins)) useCount.set(u, (useCount.get(u) ?? 0) + 1);
  }
  return { defs, uses: useCount };
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
