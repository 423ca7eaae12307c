// Narrowing: the language keeps every register a correctly extended 64-bit value, so lowering
// normalises after arithmetic on narrow types (`x << 32 >> 32` for a u32, `<< 32 s>> 32` for an
// i32, `& 0xff` for a u8). Many of those are wasted: the value is only stored in 4 bytes, or fed
// to more u32 arithmetic that normalises again, or compared with another value of the same type.
// This pass finds out which bits of each register are ever read (demanded bits), and
//   - drops an extension (or a mask) whose extra bits nobody reads: `v = x`;
//   - computes on the low 32 bits (BPF_ALU, which zero-extends its result) where only those are
//     read, and zero-extends in one instruction (`w = w`) instead of two shifts;
//   - compares two 32-bit values extended alike with one 32-bit branch (BPF_JMP32) on the
//     values before extension.
// Copies it leaves behind are propagated by fold.ts and dead shifts removed by dce.ts.
import { def, type Instr, isReg, type Operand, uses, type VReg } from "./ir.ts";
import { buildCfg, type Cfg, defCounts, regCount } from "./flow.ts";

const M64 = 0xffffffffffffffffn, M32 = 0xffffffffn;
const low = (bits: number | bigint) => (1n << BigInt(bits)) - 1n;
/** Bits 0..n where n is the highest set bit of m: what add, sub and mul need of their operands. */
const upTo = (m: bigint) => (m === 0n ? 0n : low(m.toString(2).length));
const CAN_W32 = new Set(["add", "sub", "mul", "and", "or", "xor", "lsh"]);
const SIGNED = new Set(["jsgt", "jsge", "jslt", "jsle"]);
const UNSIGNED = new Set(["jgt", "jge", "jlt", "jle"]);

export function narrow(code: Instr[]): Instr[] {
  // Most handlers have nothing to narrow: then the same array back, which tells the caller so.
  if (!code.some(narrowable)) return code;
  const cfg = buildCfg(code);
  code = compares(code, cfg);
  code = dropExtensions(code, cfg, demanded(code));
  code = to32(code, demanded(code));
  const zero = upperZero(code);
  return code.map((ins) => (ins.op === "mov" && ins.w32 && isReg(ins.src) && zero.has(ins.src) ? { ...ins, w32: undefined } : ins));
}

/**
 * What every rewrite below starts from: 64-bit arithmetic that could be done in 32 bits (a mask
 * among it), or a zero-extending move of a register. Extensions are made of those (a mask, or a
 * left shift and then a right one), and a branch is narrowed only on an extension.
 */
function narrowable(ins: Instr): boolean {
  return (ins.op === "alu" && !ins.w32 && CAN_W32.has(ins.alu)) || (ins.op === "mov" && !!ins.w32 && isReg(ins.src));
}

// ------------------------------------------------------------------------------ extensions

type Ext = { kind: "z" | "s"; bits: number; src: VReg };

/**
 * Walks each block forward, telling `f` which registers hold an extension of another register
 * (and which hold `x << c`), forgetting a fact when either register is written again.
 */
function scan(
  code: Instr[],
  cfg: Cfg,
  f: (i: number, ext: Map<VReg, Ext>, shl: Map<VReg, { x: VReg; c: bigint }>) => Instr | void,
  after?: (i: number, ext: Map<VReg, Ext>) => void,
): Instr[] {
  const out = code.slice();
  for (const b of cfg.blocks) {
    const ext = new Map<VReg, Ext>();
    const shl = new Map<VReg, { x: VReg; c: bigint }>();
    // Which facts name each register as their source, so a write forgets them without a scan.
    const readers = new Map<VReg, VReg[]>();
    const note = (src: VReg, d: VReg) => (readers.get(src) ?? readers.set(src, []).get(src)!).push(d);
    for (let i = b.start; i < b.end; i++) {
      const r = f(i, ext, shl);
      if (r) out[i] = r;
      const ins = out[i];
      const d = def(ins);
      if (d === undefined) continue;
      ext.delete(d);
      shl.delete(d);
      for (const k of readers.get(d) ?? []) {
        if (ext.get(k)?.src === d) ext.delete(k);
        if (shl.get(k)?.x === d) shl.delete(k);
      }
      readers.delete(d);
      if (ins.op === "alu" && !ins.w32 && isReg(ins.a) && ins.a !== d && !isReg(ins.b)) {
        const c = BigInt.asUintN(64, ins.b);
        if (ins.alu === "lsh" && c > 0n && c < 64n) {
          shl.set(d, { x: ins.a, c });
          note(ins.a, d);
        }
        const e = completes(ins, shl);
        if (e) ext.set(d, e);
        if (ins.alu === "and" && (c === 0xffn || c === 0xffffn || c === M32)) ext.set(d, { kind: "z", bits: c === M32 ? 32 : c === 0xffn ? 8 : 16, src: ins.a });
      }
      if (ins.op === "mov" && ins.w32 && isReg(ins.src) && ins.src !== d) ext.set(d, { kind: "z", bits: 32, src: ins.src });
      const e = ext.get(d);
      if (e) note(e.src, d);
      after?.(i, ext);
    }
  }
  return out;
}

/** Branches comparing 32-bit values extended alike become 32-bit branches on the unextended values. */
function compares(code: Instr[], cfg: Cfg): Instr[] {
  // An extension is skipped only if every branch reading it can skip it, and its other readers
  // need no more than its low 32 bits (then the extension goes): were the extended value used
  // whole later (as an index, say), the verifier should learn its bounds from the branch.
  const other = demanded(code, true);
  const global = globalExtensions(code, cfg);
  type View = { z: boolean; s: boolean; skip?: VReg; src?: VReg };
  const plans = new Map<number, { a: View; b: View; ok: boolean }>();
  scan(code, cfg, (i, ext) => {
    const ins = code[i];
    if (ins.op !== "br" || ins.w32 || ins.cond === "jset") return;
    const view = (o: Operand): View => {
      if (!isReg(o)) {
        const u = BigInt.asUintN(64, o), s = BigInt.asIntN(64, o);
        return { z: u <= M32, s: s >= -0x80000000n && s <= 0x7fffffffn };
      }
      const e = ext.get(o) ?? global.get(o);
      if (!e || e.bits > 32) return { z: false, s: false };
      // A value zero-extended from fewer than 32 bits is also sign-extended from 32.
      if (e.bits < 32) return { z: e.kind === "z", s: true };
      const skip = (other[o] & ~M32) === 0n ? o : undefined;
      return { z: e.kind === "z", s: e.kind === "s", skip, src: e.src };
    };
    const a = view(ins.a), b = view(ins.b);
    const z = a.z && b.z, s = a.s && b.s;
    // Both sides zero-extended from 32 bits, or both sign-extended: the low halves decide.
    plans.set(i, { a, b, ok: SIGNED.has(ins.cond) ? s : UNSIGNED.has(ins.cond) ? z : z || s });
  });
  const bad = new Set<VReg>();
  for (const ins of code) {
    if (ins.op !== "br") continue;
    for (const o of [ins.a, ins.b]) if (isReg(o)) bad.add(o);
  }
  const good = new Map<VReg, number>();
  for (const [i, p] of plans) {
    if (!p.ok) continue;
    for (const v of [p.a, p.b]) if (v.skip !== undefined) good.set(v.skip, (good.get(v.skip) ?? 0) + 1);
  }
  const branchUses = new Map<VReg, number>();
  for (const ins of code) {
    if (ins.op !== "br") continue;
    for (const o of [ins.a, ins.b]) if (isReg(o)) branchUses.set(o, (branchUses.get(o) ?? 0) + 1);
  }
  for (const [v, n] of good) if (branchUses.get(v) === n) bad.delete(v);
  return code.map((ins, i) => {
    const p = plans.get(i);
    if (ins.op !== "br" || !p?.ok) return ins;
    const pick = (v: View, o: Operand) => (v.skip !== undefined && !bad.has(v.skip) ? v.src! : o);
    const a = pick(p.a, ins.a), b = pick(p.b, ins.b);
    if (a === ins.a && b === ins.b) return ins;
    return { ...ins, a, b, w32: true };
  });
}

/**
 * Extensions that hold wherever the extended register is read: it, and the register extended,
 * are each written once, in the same block (so every time one is written, so is the other).
 */
function globalExtensions(code: Instr[], cfg: Cfg): Map<VReg, Ext> {
  const defs = defCounts(code);
  const defBlock = new Map<VReg, number>();
  code.forEach((ins, i) => {
    const d = def(ins);
    if (d !== undefined) defBlock.set(d, cfg.blockOf[i]);
  });
  const out = new Map<VReg, Ext>();
  scan(code, cfg, () => {}, (i, ext) => {
    const d = def(code[i]);
    const e = d === undefined ? undefined : ext.get(d);
    if (e && defs[d!] === 1 && defs[e.src] === 1 && defBlock.get(e.src) === cfg.blockOf[i]) out.set(d!, e);
  });
  return out;
}

/** Extensions and masks whose extra bits no instruction reads become plain moves. */
function dropExtensions(code: Instr[], cfg: Cfg, need: BigUint64Array): Instr[] {
  return scan(code, cfg, (i, _ext, shl) => {
    const ins = code[i];
    if (ins.op !== "alu" || ins.w32 || isReg(ins.b)) return;
    const d = ins.dst, c = BigInt.asUintN(64, ins.b);
    // The second half of `x << c >> c`: its low 64 - c bits are x's.
    const e = completes(ins, shl);
    if (e && (need[d] & ~low(e.bits)) === 0n) return { op: "mov", dst: d, src: e.src, loc: ins.loc };
    if (ins.alu === "and" && isReg(ins.a) && (need[d] & ~c) === 0n) return { op: "mov", dst: d, src: ins.a, loc: ins.loc };
  });
}

/** The extension `ins` completes when it is the second half of `x << c >> c` (or `s>> c`). */
function completes(ins: Extract<Instr, { op: "alu" }>, shl: Map<VReg, { x: VReg; c: bigint }>): Ext | undefined {
  if ((ins.alu !== "rsh" && ins.alu !== "arsh") || ins.w32 || !isReg(ins.a) || isReg(ins.b)) return undefined;
  const c = BigInt.asUintN(64, ins.b), s = shl.get(ins.a);
  if (!s || s.c !== c || s.x === ins.dst) return undefined;
  return { kind: ins.alu === "rsh" ? "z" : "s", bits: 64 - Number(c), src: s.x };
}

/** 32-bit arithmetic where only the low 32 bits of a result are read; zero-extensions in one instruction. */
function to32(code: Instr[], need: BigUint64Array): Instr[] {
  const cfg = buildCfg(code);
  return scan(code, cfg, (i, _ext, shl) => {
    const ins = code[i];
    if (ins.op !== "alu" || ins.w32) return;
    const d = ins.dst;
    const e = completes(ins, shl);
    if (e && e.kind === "z" && e.bits === 32) return { op: "mov", dst: d, src: e.src, w32: true, loc: ins.loc };
    if (ins.alu === "and" && !isReg(ins.b) && BigInt.asUintN(64, ins.b) === M32 && isReg(ins.a)) {
      return { op: "mov", dst: d, src: ins.a, w32: true, loc: ins.loc };
    }
    if (need[d] !== 0n && (need[d] & ~M32) === 0n && CAN_W32.has(ins.alu)) {
      if (ins.alu === "lsh" && (isReg(ins.b) || BigInt.asUintN(64, ins.b) >= 32n)) return;
      return { ...ins, w32: true };
    }
  });
}


// ------------------------------------------------------------------------------ analyses

/**
 * For each register, the bits of it that some instruction reads (flow-insensitive, to a fixed
 * point); with `skipBranches`, what everything but conditional branches reads.
 */
function demanded(code: Instr[], skipBranches = false): BigUint64Array {
  const need = new BigUint64Array(regCount(code));
  for (let changed = true; changed;) {
    changed = false;
    const add = (r: Operand, bits: bigint) => {
      if (!isReg(r)) return;
      const n = need[r] | bits;
      if (n !== need[r]) {
        need[r] = n;
        changed = true;
      }
    };
    // Backwards: demands flow from uses to definitions, mostly in one sweep.
    for (let i = code.length - 1; i >= 0; i--) {
      const ins = code[i];
      switch (ins.op) {
        case "mov":
          add(ins.src, ins.w32 ? need[ins.dst] & M32 : need[ins.dst]);
          continue;
        case "alu": {
          const n = need[ins.dst];
          if (n === 0n) continue;
          if (ins.w32) {
            add(ins.a, M32);
            add(ins.b, M32);
            continue;
          }
          const c = isReg(ins.b) ? undefined : BigInt.asUintN(64, ins.b);
          switch (ins.alu) {
            case "add": case "sub": case "mul":
              add(ins.a, upTo(n));
              add(ins.b, upTo(n));
              continue;
            case "and": case "or": case "xor": {
              const ca = isReg(ins.a) ? M64 : BigInt.asUintN(64, ins.a);
              add(ins.a, ins.alu === "and" ? n & (c ?? M64) : n);
              add(ins.b, ins.alu === "and" ? n & ca : n);
              continue;
            }
            case "lsh":
              if (c !== undefined && c < 64n) add(ins.a, n >> c);
              else add(ins.a, upTo(n) | M64);
              add(ins.b, M64);
              continue;
            case "rsh":
              if (c !== undefined && c < 64n) add(ins.a, (n << c) & M64);
              else add(ins.a, M64);
              add(ins.b, M64);
              continue;
            case "arsh":
              if (c !== undefined && c < 64n) add(ins.a, ((n << c) & M64) | ((n >> (64n - c)) !== 0n || c === 0n ? 1n << 63n : 0n));
              else add(ins.a, M64);
              add(ins.b, M64);
              continue;
          }
          add(ins.a, M64);
          add(ins.b, M64);
          continue;
        }
        case "store":
          if (ins.base !== "fp") add(ins.base, M64);
          add(ins.value, low(ins.size * 8));
          continue;
        case "br":
          if (skipBranches) continue;
          add(ins.a, ins.w32 ? M32 : M64);
          add(ins.b, ins.w32 ? M32 : M64);
          continue;
      }
      for (const u of uses(ins)) add(u, M64);
    }
  }
  return need;
}

/** Registers whose upper 32 bits are zero whatever path wrote them (a greatest fixed point over all their definitions). */
function upperZero(code: Instr[]): Set<VReg> {
  const zero = new Set<VReg>();
  for (const ins of code) {
    const d = def(ins);
    if (d !== undefined) zero.add(d);
  }
  const holds = (o: Operand) => (isReg(o) ? zero.has(o) : BigInt.asUintN(64, o) <= M32);
  const produces = (ins: Instr): boolean => {
    switch (ins.op) {
      case "mov": return ins.w32 || holds(ins.src);
      case "load": return ins.size <= 4;
      case "alu": {
        if (ins.w32) return true;
        const c = isReg(ins.b) ? undefined : BigInt.asUintN(64, ins.b);
        switch (ins.alu) {
          case "and": return holds(ins.a) || holds(ins.b);
          case "or": case "xor": return holds(ins.a) && holds(ins.b);
          case "rsh": return holds(ins.a) || (c !== undefined && c >= 32n && c < 64n);
          case "div": case "mod": return holds(ins.a);
        }
        return false;
      }
    }
    return false;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const ins of code) {
      const d = def(ins);
      if (d !== undefined && zero.has(d) && !produces(ins)) {
        zero.delete(d);
        changed = true;
      }
    }
  }
  return zero;
}
