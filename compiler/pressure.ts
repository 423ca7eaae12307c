// How many values must be live at once, counted before register allocation builds its
// interference graph: that graph grows with values × values live at once (quadratic), and a
// handler keeping hundreds of values live cannot fit the kernel's 10 registers and 512 bytes of
// stack anyway. Counting takes one walk over the code.
//
// Only values that certainly interfere with each other are counted, so that the count is a
// clique of the interference graph regalloc.ts builds and the refusal it leads to is sound:
// each of them needs its own register or its own spill slot. A value is counted where it is
// live, when no path from the entry reads it before writing it (so it is written on every path
// to where it is live), it is never copied (a copy and its source may share a register: the copy
// is counted, not the source), and the calling convention does not fix its register. Of two such
// values live at one point, the later write on any path to it sees the other live after it, and
// is not a copy of it: the allocator puts an edge between them.
import { def, forEachUse, type Instr, isReg, type VReg } from "./ir.ts";
import { type Liveness, RegSet } from "./flow.ts";

export interface Crowding {
  /** The first instruction after which more values are live than `limit`. */
  at: number;
  /** The most values live at once anywhere in the code. */
  peak: number;
}

/** How many times the crowding walk ran (tests check which handlers need it: an operation count, not a clock). */
export const crowdingWork = { runs: 0 };

/** Where more than `limit` values that each need their own place are live at once, or undefined if nowhere. */
export function crowding(code: Instr[], live: Liveness, fixed: ReadonlyMap<VReg, number>, limit: number): Crowding | undefined {
  crowdingWork.runs++;
  const counted = new Uint8Array(live.size).fill(1);
  for (const v of fixed.keys()) counted[v] = 0;
  for (const ins of code) {
    if (ins.op === "mov" && !ins.w32 && isReg(ins.src)) counted[ins.src] = 0;
  }
  if (live.liveIn.length) for (const v of live.liveIn[0]) counted[v] = 0;

  const after = new Int32Array(code.length);
  const cur = new RegSet(live.size);
  let n = 0;
  const use = (u: VReg) => {
    if (!cur.has(u)) {
      cur.add(u);
      n += counted[u];
    }
  };
  for (const b of live.cfg.rpo) {
    const block = live.cfg.blocks[b];
    cur.clear();
    n = 0;
    for (const v of live.liveOut[b]) use(v);
    for (let i = block.end - 1; i >= block.start; i--) {
      after[i] = n;
      const d = def(code[i]);
      if (d !== undefined && cur.has(d)) {
        cur.delete(d);
        n -= counted[d];
      }
      forEachUse(code[i], use);
    }
  }
  let at = -1, peak = 0;
  for (let i = 0; i < code.length; i++) {
    if (after[i] > limit && at < 0) at = i;
    if (after[i] > peak) peak = after[i];
  }
  return at < 0 ? undefined : { at, peak };
}
