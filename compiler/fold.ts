// Constant and copy propagation with constant folding: a forward data-flow pass over the IR.
//
// For each register it tracks, at every point, whether it holds a known constant, a copy of
// another register, or a stack address (fp + off). Uses are then rewritten: constants become
// immediates (when they fit the instruction), copies read the original, arithmetic on constants
// is computed here (with BPF's semantics: unsigned division, x / 0 = 0, x % 0 = x), identities
// (x + 0, x * 1, ...) become moves, `fp + off + c` one stack address, and a branch on constants
// a jump or nothing. The moves left behind are removed by dce.ts when nothing reads them.
import { type AluOpName, type CondName, fitsImm32 } from "../spec/bpf/isa.ts";
import { def, type Instr, isReg, type Operand, type VReg } from "./ir.ts";
import { buildCfg, type Liveness, liveness } from "./flow.ts";

type Fact = { c: bigint } | { copy: VReg } | { frame: number };
type State = Map<VReg, Fact>;

const COMMUTATIVE = new Set<string>(["add", "mul", "or", "and", "xor"]);

/**
 * What is known about registers at one point. A register written once, whose write comes before
 * every read (no path from the entry reads it unwritten), keeps one fact wherever it is read, so
 * its fact is kept once for the whole function (`fixed`) unless it copies a register written
 * again. The facts that change along paths (`state`) are kept per block only for the registers
 * live there: so the work grows with the code and what is live, not with blocks × registers.
 */
class Facts {
  /** Registers some fact in a state says another register copies (only their writes need to look for those facts). */
  readonly sources = new Set<VReg>();
  changed = false;
  constructor(readonly once: Uint8Array, readonly fixed: (Fact | undefined)[]) {}
  state: State = new Map();

  get(r: VReg): Fact | undefined {
    return (this.once[r] ? this.fixed[r] : undefined) ?? this.state.get(r);
  }
  /** `d` is written with nothing known of its value. */
  kill(d: VReg): void {
    this.#forget(d);
    if (this.once[d]) this.setFixed(d, undefined);
  }
  set(d: VReg, f: Fact): void {
    this.#forget(d);
    if (this.once[d] && !("copy" in f && !this.once[f.copy])) return this.setFixed(d, f);
    if (this.once[d]) this.setFixed(d, undefined);
    this.state.set(d, f);
    if ("copy" in f) this.sources.add(f.copy);
  }
  /** What `d` held is forgotten, with every fact that copies it. */
  #forget(d: VReg): void {
    this.state.delete(d);
    if (this.sources.has(d)) for (const [k, f] of this.state) if ("copy" in f && f.copy === d) this.state.delete(k);
  }
  setFixed(d: VReg, f: Fact | undefined): void {
    const old = this.fixed[d];
    if (old === f || (old && f && sameFact(old, f))) return;
    this.fixed[d] = f;
    this.changed = true;
  }
}

export function fold(code: Instr[]): Instr[] {
  const cfg = buildCfg(code);
  const live = liveness(code, cfg);
  const once = writtenOnceBeforeRead(code, live);
  const facts = new Facts(once, []);
  const inState: (State | undefined)[] = cfg.blocks.map(() => undefined);
  const outState: (State | undefined)[] = cfg.blocks.map(() => undefined);
  // Code without back edges settles in one pass in reverse post-order.
  const order = new Int32Array(cfg.blocks.length).fill(-1);
  cfg.rpo.forEach((b, k) => (order[b] = k));
  const loops = cfg.rpo.some((b) => cfg.blocks[b].pred.some((p) => order[p] >= order[b]));
  // Without back edges that one pass's rewrites are final: kept, not computed again below.
  const rewritten: (Instr | null)[] | undefined = loops ? undefined : new Array(code.length);
  for (let changed = true; changed;) {
    changed = false;
    facts.changed = false;
    for (const b of cfg.rpo) {
      const preds = cfg.blocks[b].pred.map((p) => outState[p]).filter((s): s is State => !!s);
      const state = b === 0 ? new Map() : meet(preds, live.liveIn[b]);
      inState[b] = rewritten ? state : new Map(state);
      facts.state = state;
      const block = cfg.blocks[b];
      for (let i = block.start; i < block.end; i++) {
        const r = transfer(code[i], facts);
        if (rewritten) rewritten[i] = r;
      }
      const out = restrict(facts.state, live.liveOut[b]);
      if (!outState[b] || !sameState(outState[b]!, out)) {
        outState[b] = out;
        changed = true;
      }
    }
    changed = loops && (changed || facts.changed);
  }
  const out: Instr[] = [];
  cfg.blocks.forEach((block, b) => {
    const state = inState[b];
    if (state) facts.state = state;
    for (let i = block.start; i < block.end; i++) {
      if (!state) {
        out.push(code[i]); // unreachable: cleanup removes it
        continue;
      }
      const r = rewritten ? rewritten[i] : transfer(code[i], facts);
      if (r) out.push(r);
    }
  });
  return out;
}

/**
 * Registers written by one instruction that no path from the entry reads before that write
 * (they are not live into the entry block): one fact holds wherever they are read.
 */
function writtenOnceBeforeRead(code: Instr[], live: Liveness): Uint8Array {
  const writes = new Uint8Array(live.size);
  for (const ins of code) {
    const d = def(ins);
    if (d !== undefined && writes[d] < 2) writes[d]++;
  }
  const once = writes.map((n) => (n === 1 ? 1 : 0));
  for (const v of live.liveIn[0] ?? []) once[v] = 0;
  return once;
}

/** The facts of the given registers only (those live at a block boundary). */
function restrict(state: State, regs: VReg[]): State {
  const out: State = new Map();
  for (const r of regs) {
    const f = state.get(r);
    if (f) out.set(r, f);
  }
  return out;
}

/** The facts about `regs` that every predecessor agrees on. */
function meet(states: State[], regs: VReg[]): State {
  const out: State = new Map();
  if (!states.length) return out;
  for (const r of regs) {
    const f = states[0].get(r);
    if (f && states.every((s) => {
      const g = s.get(r);
      return g !== undefined && sameFact(f, g);
    })) out.set(r, f);
  }
  return out;
}

function sameFact(f: Fact, g: Fact): boolean {
  if ("c" in f) return "c" in g && BigInt.asUintN(64, f.c) === BigInt.asUintN(64, g.c);
  if ("copy" in f) return "copy" in g && f.copy === g.copy;
  return "frame" in g && f.frame === g.frame;
}

function sameState(a: State, b: State): boolean {
  if (a.size !== b.size) return false;
  for (const [k, f] of a) {
    const g = b.get(k);
    if (!g || !sameFact(f, g)) return false;
  }
  return true;
}

/** Applies `ins` to `state`; returns the instruction rewritten with what is known, or null when it has no effect. */
function transfer(ins: Instr, state: Facts): Instr | null {
  /** The constant a register or immediate is known to hold. */
  const known = (o: Operand): bigint | undefined => {
    if (!isReg(o)) return o;
    const f = state.get(o);
    return f && "c" in f ? f.c : undefined;
  };
  /** The register to read instead (the original of a copy). */
  const reg = (r: VReg): VReg => {
    const f = state.get(r);
    return f && "copy" in f ? f.copy : r;
  };
  /** An operand as rewritten: an immediate when known and small, else the original register. */
  const operand = (o: Operand): Operand => {
    if (!isReg(o)) return o;
    const c = known(o);
    if (c !== undefined && fitsImm32(BigInt.asIntN(64, c))) return c;
    return reg(o);
  };
  const kill = (d: VReg) => state.kill(d);
  const setConst = (d: VReg, c: bigint) => state.set(d, { c: BigInt.asUintN(64, c) });

  switch (ins.op) {
    case "mov": {
      const c = known(ins.src);
      if (c !== undefined) {
        const v = ins.w32 ? BigInt.asUintN(32, c) : BigInt.asUintN(64, c);
        setConst(ins.dst, v);
        return movConst(ins, ins.dst, v);
      }
      const src = reg(ins.src as VReg);
      if (ins.w32) {
        kill(ins.dst);
        return { ...ins, src };
      }
      if (src === ins.dst) return null;
      state.set(ins.dst, { copy: src });
      return { ...ins, src };
    }
    case "alu": {
      const ka = known(ins.a), kb = known(ins.b);
      if (ka !== undefined && kb !== undefined) {
        const v = evalAlu(ins.alu, ka, kb, !!ins.w32);
        if (v !== undefined) {
          setConst(ins.dst, v);
          return movConst(ins, ins.dst, v);
        }
      }
      let a = operand(ins.a), b = operand(ins.b);
      // The verifier refuses a division by the constant zero: BPF defines x / 0 = 0 and x % 0 = x.
      if ((ins.alu === "div" || ins.alu === "mod") && kb !== undefined && BigInt.asUintN(ins.w32 ? 32 : 64, kb) === 0n) {
        const mov: Instr = { op: "mov", dst: ins.dst, src: ins.alu === "div" ? 0n : a, loc: ins.loc, ...(ins.w32 ? { w32: true } : {}) };
        return transfer(mov, state);
      }
      if (!isReg(a) && isReg(b) && COMMUTATIVE.has(ins.alu)) [a, b] = [b, a];
      // Stack addresses: (fp + off) ± c is fp + (off ± c).
      if (!ins.w32 && isReg(a) && kb !== undefined && (ins.alu === "add" || ins.alu === "sub")) {
        const f = state.get(a);
        if (f && "frame" in f) {
          const off = f.frame + Number(BigInt.asIntN(64, ins.alu === "add" ? kb : -kb));
          if (fitsImm32(BigInt(off))) {
            state.set(ins.dst, { frame: off });
            return { op: "frame", dst: ins.dst, off, loc: ins.loc };
          }
        }
      }
      const simple = simplify(ins.alu, a, b, !!ins.w32);
      if (simple !== undefined) {
        const mov: Instr = { op: "mov", dst: ins.dst, src: simple, loc: ins.loc, ...(ins.w32 ? { w32: true } : {}) };
        return transfer(mov, state);
      }
      kill(ins.dst);
      return a === ins.a && b === ins.b ? ins : { ...ins, a, b };
    }
    case "frame":
      state.set(ins.dst, { frame: ins.off });
      return ins;
    case "load": {
      const base = ins.base === "fp" ? "fp" : reg(ins.base);
      kill(ins.dst);
      return base === ins.base ? ins : { ...ins, base };
    }
    case "store": {
      // A store of 4 bytes or fewer takes any constant as an immediate (only its low bytes are written).
      const c = ins.size < 8 ? known(ins.value) : undefined;
      const base = ins.base === "fp" ? "fp" : reg(ins.base), value = c ?? operand(ins.value);
      return base === ins.base && value === ins.value ? ins : { ...ins, base, value };
    }
    case "atomic_add":
      return { ...ins, base: reg(ins.base), value: reg(ins.value) };
    case "call": {
      const args = ins.args.map(operand);
      if (ins.dst !== undefined) kill(ins.dst);
      return args.every((a, k) => a === ins.args[k]) ? ins : { ...ins, args };
    }
    case "br": {
      const ka = known(ins.a), kb = known(ins.b);
      if (ka !== undefined && kb !== undefined) {
        const taken = evalCond(ins.cond, ka, kb, !!ins.w32);
        return taken ? { op: "jmp", target: ins.target, loc: ins.loc } : null;
      }
      const a = operand(ins.a), b = operand(ins.b);
      if (isReg(a) && a === b && ins.cond !== "jset") {
        const taken = ["jeq", "jge", "jle", "jsge", "jsle"].includes(ins.cond);
        return taken ? { op: "jmp", target: ins.target, loc: ins.loc } : null;
      }
      return a === ins.a && b === ins.b ? ins : { ...ins, a, b };
    }
    case "ret": {
      const value = operand(ins.value);
      return value === ins.value ? ins : { ...ins, value };
    }
    case "entry": case "map":
      kill(ins.dst);
      return ins;
    case "jmp": case "label":
      return ins;
  }
  // An instruction this pass does not know: forget what it writes, change nothing.
  const unknown = ins as Instr;
  const d = def(unknown);
  if (d !== undefined) kill(d as VReg);
  return unknown;
}

/** `dst = v` in its cheapest form: a 32-bit move zero-extends an immediate that a 64-bit one would sign-extend. */
function movConst(ins: Instr, dst: VReg, v: bigint): Instr {
  const w32 = !fitsImm32(BigInt.asIntN(64, v)) && v <= 0xffffffffn;
  return { op: "mov", dst, src: v, loc: ins.loc, ...(w32 ? { w32: true } : {}) };
}

/** The operand `a op b` reduces to, when one side is an identity or absorbing element. */
function simplify(op: AluOpName, a: Operand, b: Operand, w32: boolean): Operand | undefined {
  const zero = (o: Operand) => !isReg(o) && BigInt.asUintN(w32 ? 32 : 64, o) === 0n;
  const one = (o: Operand) => !isReg(o) && BigInt.asUintN(w32 ? 32 : 64, o) === 1n;
  const ones = (o: Operand) => !isReg(o) && BigInt.asUintN(w32 ? 32 : 64, o) === (w32 ? 0xffffffffn : 0xffffffffffffffffn);
  switch (op) {
    case "add": case "or": case "xor":
      if (zero(b)) return a;
      if (zero(a)) return b;
      if (op === "xor" && isReg(a) && a === b) return 0n;
      if (op === "or" && isReg(a) && a === b) return a;
      return undefined;
    case "sub":
      if (zero(b)) return a;
      if (isReg(a) && a === b) return 0n;
      return undefined;
    case "lsh": case "rsh": case "arsh":
      return zero(b) ? a : undefined;
    case "mul":
      if (one(b)) return a;
      if (one(a)) return b;
      if (zero(a) || zero(b)) return 0n;
      return undefined;
    case "div":
      return one(b) ? a : undefined;
    case "and":
      if (zero(a) || zero(b)) return 0n;
      if (ones(b)) return a;
      if (ones(a)) return b;
      if (isReg(a) && a === b) return a;
      return undefined;
  }
  return undefined;
}

/** `a op b` as BPF computes it (ALU64, or ALU32 zero-extending its result); undefined when it is not defined. */
export function evalAlu(op: AluOpName, a: bigint, b: bigint, w32: boolean): bigint | undefined {
  const W = w32 ? 32 : 64;
  const ua = BigInt.asUintN(W, a), ub = BigInt.asUintN(W, b);
  let r: bigint;
  switch (op) {
    case "add": r = ua + ub; break;
    case "sub": r = ua - ub; break;
    case "mul": r = ua * ub; break;
    case "and": r = ua & ub; break;
    case "or": r = ua | ub; break;
    case "xor": r = ua ^ ub; break;
    case "div": r = ub === 0n ? 0n : ua / ub; break;
    case "mod": r = ub === 0n ? ua : ua % ub; break;
    case "lsh": if (ub >= BigInt(W)) return undefined; r = ua << ub; break;
    case "rsh": if (ub >= BigInt(W)) return undefined; r = ua >> ub; break;
    case "arsh": if (ub >= BigInt(W)) return undefined; r = BigInt.asIntN(W, ua) >> ub; break;
    default: return undefined;
  }
  return BigInt.asUintN(W, r);
}

/** Whether BPF takes the branch `if a cond b` (JMP, or JMP32 on the low halves). */
export function evalCond(cond: CondName, a: bigint, b: bigint, w32: boolean): boolean {
  const W = w32 ? 32 : 64;
  const ua = BigInt.asUintN(W, a), ub = BigInt.asUintN(W, b);
  const sa = BigInt.asIntN(W, a), sb = BigInt.asIntN(W, b);
  switch (cond) {
    case "jeq": return ua === ub;
    case "jne": return ua !== ub;
    case "jgt": return ua > ub;
    case "jge": return ua >= ub;
    case "jlt": return ua < ub;
    case "jle": return ua <= ub;
    case "jsgt": return sa > sb;
    case "jsge": return sa >= sb;
    case "jslt": return sa < sb;
    case "jsle": return sa <= sb;
    case "jset": return (ua & ub) !== 0n;
  }
}
