// Removes what the verifier would reject or what costs instructions for nothing: code no path
// reaches (after a return, say) and jumps to the very next instruction.
import type { Instr } from "./ir.ts";

export function cleanup(code: Instr[]): Instr[] {
  for (;;) {
    const live = reachable(code);
    let next = code.filter((_, i) => live[i]);
    next = next.filter((ins, i) => !(ins.op === "jmp" && nextLabels(next, i + 1).has(ins.target)));
    if (next.length === code.length) return next;
    code = next;
  }
}

function reachable(code: Instr[]): boolean[] {
  const labelAt = new Map<number, number>();
  code.forEach((ins, i) => ins.op === "label" && labelAt.set(ins.label, i));
  const seen = new Array<boolean>(code.length).fill(false);
  const work = [0];
  while (work.length) {
    let i = work.pop()!;
    while (i < code.length && !seen[i]) {
      seen[i] = true;
      const ins = code[i];
      if (ins.op === "ret") break;
      if (ins.op === "jmp") {
        i = labelAt.get(ins.target)!;
        continue;
      }
      if (ins.op === "br") work.push(labelAt.get(ins.target)!);
      i++;
    }
  }
  // A label is kept only if something reaches it; the label itself carries no code.
  return seen;
}

/** The labels placed right at position i (before any real instruction). */
function nextLabels(code: Instr[], i: number): Set<number> {
  const out = new Set<number>();
  for (; i < code.length && code[i].op === "label"; i++) out.add((code[i] as { label: number }).label);
  return out;
}
