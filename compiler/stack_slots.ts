// Stack sharing: values on the stack whose lives do not overlap share bytes, as clang's stack
// colouring does. Lowering gives every key, value, string and struct its own slot; without this
// pass, 33 map updates in one handler, or a switch with one update per arm, overflow the 512
// bytes the kernel allows although at most one key and one value are alive at a time.
//
// A slot's life is the span of instructions, in program order, from the first that touches it
// (a load or store through the frame pointer, or any use of a register holding an address inside
// it) to the last, widened over every loop it overlaps (a later iteration may read what an
// earlier one wrote). Code without loops runs forward in program order, so every path from one
// touch of a slot to another stays within that span; the widening keeps this true with loops
// (see `widen`). Slots whose spans are disjoint are packed over each other, first fit.
//
// Whenever the code does something this pass cannot follow (an access that is not inside one
// slot, a stack address stored to memory), the layout is left as it was.
import { type Instr, isReg, type Operand, type StackSlot, uses, type VReg } from "./ir.ts";
import { labelPositions } from "./flow.ts";

export type { StackSlot } from "./ir.ts";

export function shareStack(code: Instr[], slots: StackSlot[], stackSize: number): { code: Instr[]; stackSize: number } {
  const unchanged = { code, stackSize };
  if (slots.length < 2) return unchanged;
  const sorted = [...slots].sort((a, b) => a.off - b.off);
  const slotAt = (off: number, size: number): number => {
    let lo = 0, hi = sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].off > off) hi = mid - 1;
      else lo = mid + 1;
    }
    const s = sorted[hi];
    return s && off >= s.off && off + size <= s.off + s.size ? hi : -1;
  };

  const points = pointsInto(code, slotAt);
  if (!points) return unchanged;
  const first = new Int32Array(sorted.length).fill(-1), last = new Int32Array(sorted.length).fill(-1);
  const touch = (s: number, i: number) => {
    if (first[s] < 0) first[s] = i;
    last[s] = i;
  };
  for (let i = 0; i < code.length; i++) {
    const ins = code[i];
    if (ins.op === "frame") touch(slotAt(ins.off, 1), i);
    if ((ins.op === "load" || ins.op === "store") && ins.base === "fp") {
      const s = slotAt(ins.off, ins.size);
      if (s < 0) return unchanged;
      touch(s, i);
    }
    for (const u of uses(ins)) for (const s of points.get(u) ?? []) touch(s, i);
  }
  widen(code, first, last);

  // First fit, in order of first touch: each slot goes as close to the frame pointer as the
  // slots alive at that point allow.
  const order = [...sorted.keys()].filter((s) => first[s] >= 0).sort((a, b) => first[a] - first[b] || a - b);
  const placed = new Int32Array(sorted.length);
  let active: number[] = [];
  let depth = 0;
  for (const s of order) {
    active = active.filter((a) => last[a] >= first[s]);
    const { size, align } = sorted[s];
    let off = -Math.ceil(size / align) * align;
    for (const a of [...active].sort((x, y) => placed[y] - placed[x])) {
      if (off < placed[a] + sorted[a].size && placed[a] < off + size) off = Math.floor((placed[a] - size) / align) * align;
    }
    placed[s] = off;
    depth = Math.max(depth, -off);
    active.push(s);
  }
  if (depth >= stackSize) return unchanged;
  const moved = (off: number, size: number) => {
    const s = slotAt(off, size);
    return off - sorted[s].off + placed[s];
  };
  const out = code.map((ins): Instr => {
    if (ins.op === "frame") return { ...ins, off: moved(ins.off, 1) };
    if ((ins.op === "load" || ins.op === "store") && ins.base === "fp") return { ...ins, off: moved(ins.off, ins.size) };
    return ins;
  });
  return { code: out, stackSize: depth };
}

/**
 * For each register that may hold a stack address, the slots it may point into (a frame address,
 * and what moves and arithmetic derive from it), to a fixed point over the whole function.
 * Undefined when an address escapes where this pass cannot follow it (stored to memory).
 */
function pointsInto(code: Instr[], slotAt: (off: number, size: number) => number): Map<VReg, Set<number>> | undefined {
  const points = new Map<VReg, Set<number>>();
  const addAll = (d: VReg, from: Operand): boolean => {
    const src = isReg(from) ? points.get(from) : undefined;
    if (!src?.size) return false;
    let set = points.get(d);
    if (!set) points.set(d, (set = new Set()));
    const before = set.size;
    for (const s of src) set.add(s);
    return set.size !== before;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const ins of code) {
      switch (ins.op) {
        case "frame": {
          const s = slotAt(ins.off, 1);
          if (s < 0) return undefined;
          if (!points.has(ins.dst)) {
            points.set(ins.dst, new Set([s]));
            changed = true;
          } else if (!points.get(ins.dst)!.has(s)) {
            points.get(ins.dst)!.add(s);
            changed = true;
          }
          break;
        }
        case "mov":
          if (addAll(ins.dst, ins.src)) changed = true;
          break;
        case "alu":
          if (addAll(ins.dst, ins.a)) changed = true;
          if (addAll(ins.dst, ins.b)) changed = true;
          break;
        case "store":
          if (isReg(ins.value) && points.has(ins.value)) return undefined;
          break;
        case "atomic_add":
          if (points.has(ins.value)) return undefined;
          break;
        // Loads, calls and map addresses do not yield stack addresses: none is ever stored.
      }
    }
  }
  return points;
}

/**
 * Widens each span [first, last] over the loops it overlaps. The jumps back of overlapping loops
 * are merged into disjoint regions; a span grows to cover every region it touches. A path
 * between two instructions inside the widened span never leaves it: leaving forward needs a jump
 * back from beyond it to return, and leaving backward a jump back from within it, and either
 * jump would lie in a region the span covers.
 */
function widen(code: Instr[], first: Int32Array, last: Int32Array): void {
  const at = labelPositions(code);
  const loops: [number, number][] = [];
  code.forEach((ins, i) => {
    if (ins.op !== "jmp" && ins.op !== "br") return;
    const head = at.get(ins.target)!;
    if (head <= i) loops.push([head, i]);
  });
  if (!loops.length) return;
  loops.sort((a, b) => a[0] - b[0]);
  const regions: [number, number][] = [];
  for (const [h, j] of loops) {
    const top = regions[regions.length - 1];
    if (top && h <= top[1]) top[1] = Math.max(top[1], j);
    else regions.push([h, j]);
  }
  // The first region ending at or after x.
  const from = (x: number) => {
    let lo = 0, hi = regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (regions[mid][1] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (let s = 0; s < first.length; s++) {
    if (first[s] < 0) continue;
    for (let r = from(first[s]); r < regions.length && regions[r][0] <= last[s]; r++) {
      first[s] = Math.min(first[s], regions[r][0]);
      last[s] = Math.max(last[s], regions[r][1]);
    }
  }
}
