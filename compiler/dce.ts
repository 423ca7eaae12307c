// Dead code elimination: an instruction whose only effect is its result goes when no path reads
// that result (constant and copy propagation leave many such moves behind), and a helper call
// whose result is unused stops asking for it.
import { def, type Instr } from "./ir.ts";
import { buildCfg, isPure, liveness, walkLive } from "./flow.ts";

export function dce(code: Instr[]): Instr[] {
  for (;;) {
    const live = liveness(code, buildCfg(code));
    const dead = new Set<number>();
    const unused = new Set<number>();
    walkLive(code, live, (i, after) => {
      const ins = code[i];
      const d = def(ins);
      if (d === undefined || after.has(d)) return;
      if (isPure(ins)) dead.add(i);
      else if (ins.op === "call") unused.add(i);
    });
    if (!dead.size && !unused.size) return code;
    code = code.flatMap((ins, i) => {
      if (dead.has(i)) return [];
      if (unused.has(i)) {
        const { dst: _, ...call } = ins as Extract<Instr, { op: "call" }>;
        return [call as Instr];
      }
      return [ins];
    });
  }
}
