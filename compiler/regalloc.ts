// Linear-scan register allocation of virtual registers to r1-r4 and r6-r9.
//
// r0 and r5 are kept free as scratch for the emitter (spill reloads, argument shuffles);
// r1-r5 die at every helper call, so a value live across a call gets r6-r9 or a stack slot.
import { def, type Instr, uses, type VReg } from "./ir.ts";

export type Location = { reg: number } | { slot: number };

export interface Allocation {
  loc: Map<VReg, Location>;
  /** Stack bytes used after spill slots were added. */
  stackSize: number;
}

const CALLER_SAVED = [1, 2, 3, 4];
const CALLEE_SAVED = [6, 7, 8, 9];

interface Interval {
  reg: VReg;
  start: number;
  end: number;
  crossesCall: boolean;
}

export function allocate(code: Instr[], stackSize: number): Allocation {
  const intervals = liveIntervals(code);
  const loc = new Map<VReg, Location>();
  const active: { iv: Interval; phys: number }[] = [];
  const free = new Set([...CALLER_SAVED, ...CALLEE_SAVED]);

  const spill = (iv: Interval) => {
    stackSize += 8;
    loc.set(iv.reg, { slot: -stackSize });
  };

  for (const iv of intervals) {
    // Expire intervals that end where this one starts: the emitter reads before it writes.
    for (let k = active.length - 1; k >= 0; k--) {
      if (active[k].iv.end <= iv.start) {
        free.add(active[k].phys);
        active.splice(k, 1);
      }
    }
    const pool = iv.crossesCall ? CALLEE_SAVED : [...CALLER_SAVED, ...CALLEE_SAVED];
    const phys = pool.find((r) => free.has(r));
    if (phys !== undefined) {
      free.delete(phys);
      active.push({ iv, phys });
      loc.set(iv.reg, { reg: phys });
      continue;
    }
    // No register: spill whichever usable interval ends last.
    const victim = active
      .filter((a) => pool.includes(a.phys))
      .sort((a, b) => b.iv.end - a.iv.end)[0];
    if (victim && victim.iv.end > iv.end) {
      spill(victim.iv);
      active.splice(active.indexOf(victim), 1);
      active.push({ iv, phys: victim.phys });
      loc.set(iv.reg, { reg: victim.phys });
    } else {
      spill(iv);
    }
  }
  return { loc, stackSize };
}

function liveIntervals(code: Instr[]): Interval[] {
  const start = new Map<VReg, number>();
  const end = new Map<VReg, number>();
  const touch = (r: VReg, at: number) => {
    if (!start.has(r)) start.set(r, at);
    end.set(r, Math.max(end.get(r) ?? at, at));
  };
  const labelAt = new Map<number, number>();
  const calls: number[] = [];
  code.forEach((ins, at) => {
    for (const r of uses(ins)) touch(r, at);
    const d = def(ins);
    if (d !== undefined) touch(d, at);
    if (ins.op === "label") labelAt.set(ins.label, at);
    if (ins.op === "call") calls.push(at);
  });

  // A value live at the head of a loop must survive the whole loop: extend it to the back edge.
  let changed = true;
  while (changed) {
    changed = false;
    code.forEach((ins, at) => {
      if (ins.op !== "jmp" && ins.op !== "br") return;
      const head = labelAt.get(ins.target)!;
      if (head > at) return;
      for (const [r, s] of start) {
        if (s < head && end.get(r)! >= head && end.get(r)! < at) {
          end.set(r, at);
          changed = true;
        }
      }
    });
  }

  const out: Interval[] = [];
  for (const [reg, s] of start) {
    const e = end.get(reg)!;
    out.push({ reg, start: s, end: e, crossesCall: calls.some((c) => c > s && c < e) });
  }
  return out.sort((a, b) => a.start - b.start || a.reg - b.reg);
}
