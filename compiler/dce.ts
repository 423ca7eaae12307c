// Dead code elimination: an instruction whose only effect is its result goes when no path reads
// that result (constant and copy propagation leave many such moves behind), and a helper call
// whose result is unused stops asking for it.
import { def, forEachUse, type Instr } from "./ir.ts";
import { buildCfg, isPure, liveness, RegSet } from "./flow.ts";

export function dce(code: Instr[]): Instr[] {
  for (;;) {
    const live = liveness(code, buildCfg(code));
    const dead = new Uint8Array(code.length);
    let removed = 0, dropped = 0;
    const cur = new RegSet(live.size);
    const add = (u: number) => cur.add(u);
    // Another walk can find more only if something removed read a register live into its block
    // (a register written earlier in the same block was already judged without that read).
    let again = false, inBlock = -1;
    const liveIn = new RegSet(live.size);
    const readsLiveIn = (u: number) => {
      if (liveIn.has(u)) again = true;
    };
    for (const b of live.cfg.rpo) {
      const block = live.cfg.blocks[b];
      cur.clear();
      for (const v of live.liveOut[b]) cur.add(v);
      for (let i = block.end - 1; i >= block.start; i--) {
        const ins = code[i];
        const d = def(ins);
        if (d !== undefined && !cur.has(d)) {
          // Dead here: its operands are not read on its account (so whole chains go in one walk).
          if (isPure(ins)) {
            dead[i] = 1;
            removed++;
            if (!again) {
              if (inBlock !== b) {
                liveIn.clear();
                for (const v of live.liveIn[b]) liveIn.add(v);
                inBlock = b;
              }
              forEachUse(ins, readsLiveIn);
            }
            continue;
          }
          if (ins.op === "call") {
            dead[i] = 2;
            dropped++;
          }
        }
        if (d !== undefined) cur.delete(d);
        forEachUse(ins, add);
      }
    }
    if (!removed && !dropped) return code;
    code = code.flatMap((ins, i) => {
      if (dead[i] === 1) return [];
      if (dead[i] === 2) {
        const { dst: _, ...call } = ins as Extract<Instr, { op: "call" }>;
        return [call as Instr];
      }
      return [ins];
    });
    if (!removed || !again) return code;
  }
}
