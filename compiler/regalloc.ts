// Register allocation by graph colouring (Chaitin–Briggs) over r0-r9, with move coalescing.
//
// The calling convention is made explicit first: arguments are moved into registers fixed to
// r1..r5 right before each call, a call's result comes out of a register fixed to r0, the context
// arrives in r1 and a return leaves its value in r0. Values live across a call interfere with
// r0-r5 (the call clobbers them). Moves whose ends do not interfere are coalesced (conservatively,
// so colouring stays easy), and colouring prefers a move partner's register, so most moves vanish.
// When colouring fails, the value is spilled to an 8-byte stack slot (loaded before each use,
// stored after each def, through short-lived registers) and allocation starts over.
//
// Every operand the emitter sees is then a register or an immediate that fits its instruction, so
// the emitter needs no scratch register.
import { fitsImm32, swapCond } from "../spec/bpf/isa.ts";
import { def, type Instr, isReg, MAX_STACK, type Operand, uses, type VReg } from "./ir.ts";
import { buildCfg, labelPositions, type Liveness, liveness, mapUses, regCount, walkLive, withDef } from "./flow.ts";
import { crowding } from "./pressure.ts";
import type { SourcePos } from "../spec/diagnostics.ts";

export type Location = { reg: number } | { slot: number };

export interface Allocation {
  loc: Map<VReg, Location>;
  /** Stack bytes used after spill slots were added. */
  stackSize: number;
  /** The code to emit: the input with the calling convention's moves, spill code, and the moves the allocation made redundant removed. */
  code: Instr[];
  /**
   * Set when a removed move may have left work for cleanup(): unset, the code is as tidy as the
   * code allocated was.
   */
  untidy?: boolean;
  /** Set when more values are live at once than registers and the stack can hold: not allocated (stackSize is a lower bound). */
  crowded?: { loc?: SourcePos; peak: number; limit: number };
}

/** Registers a value can live in (r10 is the frame pointer). */
const COLORS = 10;
/** Preference order when no move partner suggests a register: those calls clobber first. */
const ORDER = [1, 2, 3, 4, 5, 0, 6, 7, 8, 9];
const CLOBBERED = [0, 1, 2, 3, 4, 5];
const COMMUTATIVE = new Set(["add", "mul", "or", "and", "xor"]);
const MAX_ROUNDS = 32;

export function allocate(input: Instr[], stackSize: number): Allocation {
  const fixed = new Map<VReg, number>();
  let next = regCount(input);
  const fresh = () => next++;
  let code = prepare(input, fixed, fresh);
  /** Spill temporaries: never spilled again. */
  const unspillable = new Set<VReg>(fixed.keys());
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const live = liveness(code, buildCfg(code), next);
    // Each value of a crowd needs its own register or 8-byte slot: refuse before building a graph
    // of crowd × crowd edges when the registers and the stack left cannot hold them.
    const base = Math.ceil(stackSize / 8) * 8;
    const limit = COLORS + Math.floor((MAX_STACK - base) / 8);
    // Only values the calling convention does not fix are counted: no more of them than the
    // limit (a typical handler's few dozen) cannot crowd it, and the walk is not taken at all.
    const crowd = base <= MAX_STACK && next - fixed.size > limit ? crowding(code, live, fixed, limit) : undefined;
    if (crowd) return { loc: new Map(), stackSize: base + 8 * (crowd.peak - COLORS), code, crowded: { loc: code[crowd.at].loc, peak: crowd.peak, limit } };
    const result = color(code, fixed, next, unspillable, live);
    if ("colors" in result) {
      const loc = new Map<VReg, Location>();
      for (let v = 0; v < next; v++) {
        const c = result.colors(v);
        if (c !== undefined) loc.set(v, { reg: c });
      }
      const same = (a: Operand, b: VReg) => isReg(a) && loc.has(a) && (loc.get(a) as { reg: number }).reg === (loc.get(b) as { reg: number } | undefined)?.reg;
      // What allocation adds (moves, spill loads and stores) leaves cleanup() nothing new to do; a
      // move removed from between a label, jump or branch and a label or jump may (a jump to the
      // next instruction, a label right before a jump).
      const kept: Instr[] = [];
      let removed = false, untidy = false;
      for (const ins of code) {
        if (ins.op === "mov" && !ins.w32 && same(ins.src, ins.dst)) {
          removed = true;
          continue;
        }
        const before = kept.length ? kept[kept.length - 1].op : undefined;
        if (removed && (ins.op === "label" || ins.op === "jmp") && (before === "label" || before === "jmp" || before === "br")) untidy = true;
        removed = false;
        kept.push(ins);
      }
      return { loc, stackSize, code: kept, ...(untidy && { untidy }) };
    }
    // Spill each uncolourable value (and everything coalesced with it) to its own slot.
    const slots = new Map<VReg, number>();
    for (const group of result.spill) {
      stackSize = Math.ceil(stackSize / 8) * 8 + 8; // spill slots are 8 bytes, 8-aligned (the verifier refuses misaligned stack access)
      for (const v of group) slots.set(v, -stackSize);
    }
    // Spill slots only add up: past the kernel's stack the handler is refused whatever later
    // rounds do, and each round costs the square of the values live at once.
    if (stackSize > MAX_STACK) return { loc: new Map(), stackSize, code };
    code = spillCode(code, slots, fresh, unspillable);
  }
  throw new Error("internal: register allocation did not converge");
}

// ------------------------------------------------------------------------------ preparation

/** Makes the calling convention explicit and every immediate fit where the emitter puts it. */
function prepare(code: Instr[], fixed: Map<VReg, number>, fresh: () => VReg): Instr[] {
  const out: Instr[] = [];
  const pinned = (reg: number) => {
    const v = fresh();
    fixed.set(v, reg);
    return v;
  };
  const materialize = (value: bigint, loc: Instr["loc"]): VReg => {
    const t = fresh();
    out.push({ op: "mov", dst: t, src: value, loc });
    return t;
  };
  for (const ins of code) {
    const loc = ins.loc;
    switch (ins.op) {
      case "entry": {
        const ctx = pinned(1);
        out.push({ ...ins, dst: ctx }, { op: "mov", dst: ins.dst, src: ctx, loc });
        continue;
      }
      case "call": {
        const args = ins.args.map((a, i) => {
          const p = pinned(i + 1);
          out.push({ op: "mov", dst: p, src: a, loc });
          return p;
        });
        if (ins.dst === undefined) {
          out.push({ ...ins, args });
        } else {
          const r0 = pinned(0);
          out.push({ ...ins, args, dst: r0 }, { op: "mov", dst: ins.dst, src: r0, loc });
        }
        continue;
      }
      case "ret": {
        const r0 = pinned(0);
        out.push({ op: "mov", dst: r0, src: ins.value, loc }, { ...ins, value: r0 });
        continue;
      }
      case "alu": {
        let { a, b } = ins;
        if (!isReg(a) && isReg(b) && COMMUTATIVE.has(ins.alu)) [a, b] = [b, a];
        if (!isReg(b)) {
          if (ins.w32) b = BigInt.asIntN(32, b);
          else if (!fitsImm32(BigInt.asIntN(64, b))) b = materialize(b, loc);
        }
        out.push({ ...ins, a, b });
        continue;
      }
      case "br": {
        let { a, b, cond } = ins;
        if (!isReg(a)) {
          if (isReg(b)) [a, b, cond] = [b, a, swapCond[cond]];
          else a = materialize(a, loc);
        }
        if (!isReg(b)) {
          if (ins.w32) b = BigInt.asIntN(32, b);
          else if (!fitsImm32(BigInt.asIntN(64, b))) b = materialize(b, loc);
        }
        out.push({ ...ins, a, b, cond });
        continue;
      }
      case "store": {
        let value = ins.value;
        if (!isReg(value)) {
          if (ins.size < 8) value = BigInt.asIntN(32, value);
          else if (!fitsImm32(BigInt.asIntN(64, value))) value = materialize(value, loc);
        }
        out.push({ ...ins, value });
        continue;
      }
    }
    out.push(ins);
  }
  return out;
}

// ------------------------------------------------------------------------------ colouring

type ColorResult = { colors: (v: VReg) => number | undefined } | { spill: VReg[][] };

/** Nodes 0..9 are the physical registers; virtual register v is node COLORS + v. */
function color(code: Instr[], fixed: Map<VReg, number>, regs: number, unspillable: Set<VReg>, live: Liveness): ColorResult {
  const N = COLORS + regs;
  const node = (v: VReg) => COLORS + v;
  const parent = new Int32Array(N).map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const [v, r] of fixed) parent[node(v)] = r;

  // Interference.
  const adj: Set<number>[] = Array.from({ length: N }, () => new Set());
  const addEdge = (x: number, y: number) => {
    x = find(x);
    y = find(y);
    if (x === y) return;
    if (x < COLORS && y < COLORS) return;
    adj[x].add(y);
    adj[y].add(x);
  };
  const depth = loopDepth(code);
  // Pairs that want one register: a move's ends (the move disappears), and an operation's result
  // and the operand it is computed over (d = a; d op= b loses its move when d and a coincide).
  const moves: { x: number; y: number; weight: number }[] = [];
  /** Values live across some call: each interferes with r0-r5 (added once, not once per call). */
  const acrossCall = new Uint8Array(regs);
  walkLive(code, live, (i, after) => {
    const ins = code[i];
    const d = def(ins);
    if (d !== undefined) {
      const copyOf = ins.op === "mov" && !ins.w32 && isReg(ins.src) ? ins.src : -1;
      after.forEach((l) => l !== d && l !== copyOf && addEdge(node(d), node(l)));
      const weight = 10 ** Math.min(depth[i], 6);
      if (copyOf >= 0) moves.push({ x: node(d), y: node(copyOf), weight: 2 * weight });
      if (ins.op === "alu" && isReg(ins.a)) moves.push({ x: node(d), y: node(ins.a), weight });
      if (ins.op === "alu" && isReg(ins.b) && COMMUTATIVE.has(ins.alu)) moves.push({ x: node(d), y: node(ins.b), weight });
      // d = a op b computes as d = a; d op= b: b must not sit in d's register.
      if (ins.op === "alu" && isReg(ins.b) && ins.a !== ins.b && !COMMUTATIVE.has(ins.alu)) addEdge(node(d), node(ins.b));
      if (ins.op === "alu" && isReg(ins.b) && ins.a !== ins.b && !isReg(ins.a)) addEdge(node(d), node(ins.b));
    }
    if (ins.op === "call") after.forEach((l) => l !== d && (acrossCall[l] = 1));
  });
  for (let v = 0; v < regs; v++) if (acrossCall[v]) for (const r of CLOBBERED) addEdge(node(v), r);
  const present = new Uint8Array(N);
  for (const ins of code) {
    const d = def(ins);
    if (d !== undefined) present[node(d)] = 1;
    for (const u of uses(ins)) present[node(u)] = 1;
  }

  // Conservative coalescing.
  const degree = (x: number) => (x < COLORS ? Infinity : adj[x].size);
  const merge = (keep: number, gone: number) => {
    parent[gone] = keep;
    for (const t of adj[gone]) {
      adj[t].delete(gone);
      if (t !== keep && !(t < COLORS && keep < COLORS)) {
        adj[t].add(keep);
        adj[keep].add(t);
      }
    }
    adj[gone].clear();
  };
  moves.sort((a, b) => b.weight - a.weight);
  // A pair that interferes never will not; one that fails the test may pass after other merges.
  let pending = moves;
  for (let round = 0; round < 8 && pending.length; round++) {
    const retry: typeof moves = [];
    for (const m of pending) {
      let x = find(m.x), y = find(m.y);
      if (x === y || adj[x].has(y) || (x < COLORS && y < COLORS)) continue;
      if (y < COLORS) [x, y] = [y, x];
      if (x >= COLORS && adj[y].size > adj[x].size) [x, y] = [y, x];
      // George: every neighbour of y already conflicts with x or is easy to colour (a physical
      // register x conflicts with its fellow registers by construction).
      let ok = true;
      for (const t of adj[y]) {
        if (!(adj[t].has(x) || degree(t) < COLORS || (x < COLORS && t < COLORS))) {
          ok = false;
          break;
        }
      }
      if (!ok && x >= COLORS && adj[x].size + adj[y].size <= 4 * COLORS) {
        // Briggs: the merged node has fewer than COLORS neighbours of significant degree.
        let significant = 0;
        for (const t of adj[x]) if (degree(t) >= COLORS) significant++;
        for (const t of adj[y]) if (!adj[x].has(t) && degree(t) >= COLORS) significant++;
        ok = significant < COLORS;
      }
      if (ok) merge(x, y);
      else retry.push(m);
    }
    if (retry.length === pending.length) break;
    pending = retry;
  }

  // Move partners, for biased colouring.
  const partners = new Map<number, number[]>();
  for (const { x: a, y: b } of moves) {
    const x = find(a), y = find(b);
    if (x === y) continue;
    (partners.get(x) ?? partners.set(x, []).get(x)!).push(y);
    (partners.get(y) ?? partners.set(y, []).get(y)!).push(x);
  }

  // Spill costs: uses and defs, weighted by loop depth.
  const cost = new Float64Array(N);
  code.forEach((ins, i) => {
    const w = 10 ** Math.min(depth[i], 6);
    const d = def(ins);
    if (d !== undefined) cost[find(node(d))] += w;
    for (const u of uses(ins)) cost[find(node(u))] += w;
  });
  const noSpill = new Uint8Array(N);
  for (const v of unspillable) noSpill[find(node(v))] = 1;

  // Simplify: remove nodes of low degree; when none is left, the cheapest to spill, optimistically.
  const nodes: number[] = [];
  for (let x = COLORS; x < N; x++) if (present[x] && find(x) === x) nodes.push(x);
  const deg = new Int32Array(N);
  for (const x of nodes) deg[x] = adj[x].size;
  const removed = new Uint8Array(N);
  const stack: number[] = [];
  // The lowest-numbered node of low degree first; a node joins once its degree drops below COLORS.
  const easy = new MinHeap();
  for (const x of nodes) if (deg[x] < COLORS) easy.push(x);
  let remaining = nodes.length;
  while (remaining) {
    let pick = -1;
    while (easy.size && removed[easy.peek()]) easy.pop();
    if (easy.size) pick = easy.pop();
    if (pick < 0) {
      let best = Infinity;
      for (const x of nodes) {
        if (removed[x]) continue;
        const c = noSpill[x] ? Infinity : cost[x] / (deg[x] + 1);
        if (pick < 0 || c < best) {
          best = c;
          pick = x;
        }
      }
    }
    removed[pick] = 1;
    remaining--;
    stack.push(pick);
    for (const t of adj[pick]) if (t >= COLORS && --deg[t] === COLORS - 1 && !removed[t]) easy.push(t);
  }

  // Select.
  const colors = new Int32Array(N).fill(-1);
  for (let r = 0; r < COLORS; r++) colors[r] = r;
  const spilled: number[] = [];
  while (stack.length) {
    const x = stack.pop()!;
    const taken = new Set<number>();
    for (const t of adj[x]) if (colors[t] >= 0) taken.add(colors[t]);
    let c = -1;
    for (const p of partners.get(x) ?? []) {
      const pc = colors[find(p)];
      if (pc >= 0 && !taken.has(pc)) { c = pc; break; }
    }
    if (c < 0) {
      // A partner not coloured yet: pick a register it could take too.
      const open = (partners.get(x) ?? []).filter((p) => colors[find(p)] < 0);
      const fits = (r: number) => !taken.has(r) && open.every((p) => ![...adj[find(p)]].some((t) => colors[t] === r));
      c = ORDER.find(fits) ?? ORDER.find((r) => !taken.has(r)) ?? -1;
    }
    if (c < 0) spilled.push(x);
    else colors[x] = c;
  }
  if (spilled.length) {
    const groups = new Map<number, VReg[]>();
    const spill = new Set(spilled);
    for (let v = 0; v < regs; v++) {
      const r = find(node(v));
      if (spill.has(r) && present[node(v)]) (groups.get(r) ?? groups.set(r, []).get(r)!).push(v);
    }
    return { spill: [...groups.values()] };
  }
  return { colors: (v) => (present[node(v)] ? colors[find(node(v))] : undefined) };
}

/** A binary min-heap of node numbers. */
class MinHeap {
  readonly #a: number[] = [];
  get size(): number {
    return this.#a.length;
  }
  peek(): number {
    return this.#a[0];
  }
  push(x: number): void {
    const a = this.#a;
    let i = a.push(x) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= x) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.#a, top = a[0], last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i, v = last;
        if (l < a.length && a[l] < v) { m = l; v = a[l]; }
        if (r < a.length && a[r] < v) m = r;
        if (m === i) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

/** How many loops enclose each instruction (a loop: a label and a later jump back to it). */
function loopDepth(code: Instr[]): Int32Array {
  const depth = new Int32Array(code.length);
  const at = labelPositions(code);
  code.forEach((ins, i) => {
    if (ins.op !== "jmp" && ins.op !== "br") return;
    const head = at.get(ins.target)!;
    if (head <= i) for (let k = head; k <= i; k++) depth[k]++;
  });
  return depth;
}

// ------------------------------------------------------------------------------ spilling

function spillCode(code: Instr[], slots: Map<VReg, number>, fresh: () => VReg, unspillable: Set<VReg>): Instr[] {
  const out: Instr[] = [];
  for (const ins of code) {
    const loc = ins.loc;
    let rewritten = mapUses(ins, (r) => {
      const slot = slots.get(r);
      if (slot === undefined) return r;
      const t = fresh();
      unspillable.add(t);
      out.push({ op: "load", dst: t, base: "fp", off: slot, size: 8, loc });
      return t;
    });
    const d = def(ins);
    const slot = d === undefined ? undefined : slots.get(d);
    if (slot === undefined) {
      out.push(rewritten);
      continue;
    }
    const t = fresh();
    unspillable.add(t);
    rewritten = withDef(rewritten, t);
    out.push(rewritten, { op: "store", base: "fp", off: slot, size: 8, value: t, loc });
  }
  return out;
}
