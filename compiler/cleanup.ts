// Tidies control flow, removing what the verifier would reject or what costs instructions for
// nothing: code no path reaches (after a return, say), jumps and branches to the very next
// instruction, jumps to jumps (threaded to the final target), a conditional branch over an
// unconditional jump (inverted: `if c goto A; goto B; A:` is `if !c goto B; A:`), and repeated
// `return v` of the same value (all but one become jumps to it). Runs before register
// allocation and again after it when a move allocation made redundant sat next to a jump.
import { invertCond } from "../spec/bpf/isa.ts";
import { type Instr, isReg } from "./ir.ts";

/** How many times cleanup ran (tests check which handlers need it again: an operation count, not a clock). */
export const cleanupWork = { runs: 0 };

export function cleanup(code: Instr[]): Instr[] {
  cleanupWork.runs++;
  code = mergeReturns(code);
  for (;;) {
    let next = thread(code);
    next = invertOverJumps(next);
    const live = reachable(next);
    next = next.filter((_, i) => live[i]);
    next = next.filter((ins, i) => !((ins.op === "jmp" || ins.op === "br") && nextLabels(next, i + 1).has(ins.target)));
    if (next.length === code.length && next.every((ins, i) => ins === code[i])) return next;
    code = next;
  }
}

/** Each label's final destination: through labels and unconditional jumps, to the first other instruction. */
function thread(code: Instr[]): Instr[] {
  const labelAt = new Map<number, number>();
  code.forEach((ins, i) => ins.op === "label" && labelAt.set(ins.label, i));
  const final = (label: number): number => {
    const seen = new Set<number>();
    while (!seen.has(label)) {
      seen.add(label);
      let i = labelAt.get(label)!;
      while (i < code.length && code[i].op === "label") i++;
      const ins = code[i];
      if (!ins || ins.op !== "jmp") return label;
      label = ins.target;
    }
    return label; // a loop of jumps: leave it
  };
  return code.map((ins) => {
    if (ins.op !== "jmp" && ins.op !== "br") return ins;
    const target = final(ins.target);
    return target === ins.target ? ins : { ...ins, target };
  });
}

/** `if c goto A; goto B; A:` becomes `if !c goto B; A:`. */
function invertOverJumps(code: Instr[]): Instr[] {
  const out: Instr[] = [];
  for (let i = 0; i < code.length; i++) {
    const ins = code[i], jmp = code[i + 1];
    if (ins.op === "br" && jmp?.op === "jmp" && invertCond[ins.cond] && nextLabels(code, i + 2).has(ins.target)) {
      out.push({ ...ins, cond: invertCond[ins.cond]!, target: jmp.target });
      i++;
      continue;
    }
    out.push(ins);
  }
  return out;
}

/** Every `return v` but the last of the same v becomes a jump to that last one. */
function mergeReturns(code: Instr[]): Instr[] {
  const key = (ins: Instr) => (ins.op !== "ret" ? undefined : isReg(ins.value) ? `v${ins.value}` : `#${BigInt.asUintN(64, ins.value)}`);
  const last = new Map<string, number>();
  code.forEach((ins, i) => {
    const k = key(ins);
    if (k !== undefined) last.set(k, i);
  });
  const count = new Map<string, number>();
  for (const ins of code) {
    const k = key(ins);
    if (k !== undefined) count.set(k, (count.get(k) ?? 0) + 1);
  }
  if (![...count.values()].some((n) => n > 1)) return code;
  let nextLabel = 0;
  for (const ins of code) if (ins.op === "label") nextLabel = Math.max(nextLabel, ins.label + 1);
  const labels = new Map<string, number>();
  for (const [k, n] of count) if (n > 1) labels.set(k, nextLabel++);
  const out: Instr[] = [];
  code.forEach((ins, i) => {
    const k = key(ins);
    const label = k === undefined ? undefined : labels.get(k);
    if (label === undefined) return out.push(ins);
    if (last.get(k!) === i) out.push({ op: "label", label }, ins);
    else out.push({ op: "jmp", target: label, loc: ins.loc });
  });
  return out;
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
