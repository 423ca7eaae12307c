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
import { buildCfg, type Cfg, counts, regCount } from "./flow.ts";

const M64 = 0xffffffffffffffffn, M32 = 0xffffffffn;
const low = (bits: number | bigint) => (1n << BigInt(bits)) - 1n;
/** Bits 0..n where n is the highest set bit of m: what add, sub and mul need of their operands. */
const upTo = (m: bigint) => (m === 0n ? 0n : low(m.toString(2).length));
const CAN_W32 = new Set(["add", "sub", "mul", "and", "or", "xor", "lsh"]);
const SIGNED = new Set(["jsgt", "jsge", "jslt", "jsle"]);
const UNSIGNED = new Set(["jgt", "jge", "jlt", "jle"]);

export function narrow(code: Instr[]): Instr[] {
  const cfg = buildCfg(code);
  code = compares(code, cfg);
  code = dropExtensions(code, cfg, demanded(code));
  code = to32(code, demanded(code));
  const zero = upperZero(code);
  return code.map((ins) => (ins.op === "mov" && ins.w32 && isReg(ins.src) && zero.has(ins.src) ? { ...ins, w32: undefined } : ins));
}

// ------------------------------------------------------------------------------ extensions

type Ext = { kind: "z" | "s"; bits: number; src: VReg };

/**
 * Walks each block forward, telling `f` which registers hold an extension of another register
 * (and which hold `x << c`), forgetting a fact when either register is written again.
 */
function scan(code: Instr[], cfg: Cfg, f: (i: number, ext: Map<VReg, Ext>, shl: Map<VReg, { x: VReg; c: bigint }>) => Instr | void): Instr[] {
  const out = code.slice();
  for (const b of cfg.blocks) {
    const ext = new Map<VReg, Ext>();
    const shl = new Map<VReg, { x: VReg; c: bigint }>();
    for (let i = b.start; i < b.end; i++) {
      const r = f(i, ext, shl);
      if (r) out[i] = r;
      const ins = out[i];
      const d = def(ins);
      if (d === undefined) continue;
      ext.delete(d);
      shl.delete(d);
      for (const [k, e] of ext) if (e.src === d) ext.delete(k);
      for (const [k, s] of shl) if (s.x === d) shl.delete(k);
      if (ins.op === "alu" && !ins.w32 && isReg(ins.a) && ins.a !== d && !isReg(ins.b)) {
        const c = BigInt.asUintN(64, ins.b);
        if (ins.alu === "lsh" && c > 0n && c < 64n) shl.set(d, { x: ins.a, c });
        const e = completes(ins, shl);
        if (e) ext.set(d, e);
        if (ins.alu === "and" && (c === 0xffn || c === 0xffffn || c === M32)) ext.set(d, { kind: "z", bits: c === M32 ? 32 : c === 0xffn ? 8 : 16, src: ins.a });
      }
      if (ins.op === "mov" && ins.w32 && isReg(ins.src) && ins.src !== d) ext.set(d, { kind: "z", bits: 32, src: ins.src });
    }
  }
  return out;
}

/** Branches comparing 32-bit values extended alike become 32-bit branches on the unextended values. */
function compares(code: Instr[], cfg: Cfg): Instr[] {
  // Only extensions read by nothing but the branch: were the extended value used later (as an
  // index, say), the verifier should learn its bounds from the branch, not those of the
  // unextended register.
  const useCount = counts(code).uses;
  return scan(code, cfg, (i, ext) => {
    const ins = code[i];
    if (ins.op !== "br" || ins.w32 || ins.cond === "jset") return;
    const view = (o: Operand) => {
      if (!isReg(o)) {
        const u = BigInt.asUintN(64, o), s = BigInt.asIntN(64, o);
        return { z: u <= M32, s: s >= -0x80000000n && s <= 0x7fffffffn, op: o, replaced: false };
      }
      const e = ext.get(o);
      if (!e || e.bits > 32) return { z: false, s: false, op: o, replaced: false };
      const narrower = e.bits < 32 || useCount.get(o) !== (ins.a === ins.b ? 2 : 1);
      // A value zero-extended from fewer than 32 bits is also sign-extended from 32.
      return { z: e.kind === "z", s: e.kind === "s" || e.bits < 32, op: narrower ? o : e.src, replaced: !narrower };
    };
    const a = view(ins.a), b = view(ins.b);
    if (!a.replaced && !b.replaced) return;
    const z = a.z && b.z, s = a.s && b.s;
    const ok = SIGNED.has(ins.cond) ? s : UNSIGNED.has(ins.cond) ? z : z || s;
    if (!ok) return;
    // Both sides are zero-extended from 32 bits, or both sign-extended (a replaced operand is
    // exactly one of the two, so it agrees with whichever holds): the low halves decide.
    return { ...ins, a: a.op, b: b.op, w32: true };
  });
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

/** For each register, the bits of it that some instruction reads (flow-insensitive, to a fixed point). */
function demanded(code: Instr[]): BigUint64Array {
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
