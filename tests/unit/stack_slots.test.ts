// compiler/stack_slots.ts on hand-written IR: slots share bytes only when no path runs from one
// touch of a slot through a touch of another to a later touch of the first.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Instr } from "../../compiler/ir.ts";
import { shareStack, type StackSlot } from "../../compiler/stack_slots.ts";

// Two 8-byte slots, as lowering reserves them: A at fp-8, B at fp-16.
const slots: StackSlot[] = [{ off: -8, size: 8, align: 8 }, { off: -16, size: 8, align: 8 }];
const store = (off: number, value: bigint): Instr => ({ op: "store", base: "fp", off, size: 8, value });
const load = (dst: number, off: number): Instr => ({ op: "load", dst, base: "fp", off, size: 8 });
const offsets = (code: Instr[]) => code.flatMap((i) => (i.op === "load" || i.op === "store" || i.op === "frame" ? [i.off] : []));

test("slots used one after the other share their bytes; addresses in registers count as uses", () => {
  const code: Instr[] = [
    store(-8, 1n), { op: "frame", dst: 0, off: -8 }, { op: "call", helper: 1, args: [0], dst: 1 },
    store(-16, 2n), { op: "frame", dst: 2, off: -16 }, { op: "call", helper: 1, args: [2], dst: 3 },
    { op: "ret", value: 0n },
  ];
  const out = shareStack(code, slots, 16);
  assert.equal(out.stackSize, 8);
  assert.deepEqual(offsets(out.code), [-8, -8, -8, -8]);
});

test("slots alive at the same time keep their own bytes", () => {
  const code: Instr[] = [store(-8, 1n), store(-16, 2n), load(0, -8), load(1, -16), { op: "ret", value: 0 }];
  const out = shareStack(code, slots, 16);
  assert.equal(out.stackSize, 16);
  assert.deepEqual(offsets(out.code), [-8, -16, -8, -16]);
});

test("a loop widens a slot's life: a slot read at the top of a loop lives through all of it", () => {
  // A written before the loop and read at its top; B used only at its bottom. In program order
  // their spans are disjoint, but the second iteration reads A after B was written.
  const loop: Instr[] = [
    store(-8, 1n),
    { op: "label", label: 0 },
    load(0, -8), store(-16, 5n), load(1, -16),
    { op: "br", cond: "jne", a: 1, b: 0n, target: 0 },
    { op: "ret", value: 0 },
  ];
  assert.equal(shareStack(loop, slots, 16).stackSize, 16);
  // Without the jump back they may share.
  const straight = loop.filter((i) => i.op !== "br");
  const out = shareStack(straight, slots, 16);
  assert.equal(out.stackSize, 8);
  assert.deepEqual(offsets(out.code), [-8, -8, -8, -8]);
});

test("a stack address stored to memory, or an access across two slots, leaves the layout alone", () => {
  const escapes: Instr[] = [{ op: "frame", dst: 0, off: -8 }, store(-16, 0n), { op: "store", base: "fp", off: -16, size: 8, value: 0 }, { op: "ret", value: 0 }];
  assert.deepEqual(shareStack(escapes, slots, 16), { code: escapes, stackSize: 16 });
  const straddles: Instr[] = [{ op: "store", base: "fp", off: -12, size: 8, value: 0n }, { op: "ret", value: 0 }];
  assert.deepEqual(shareStack(straddles, slots, 16), { code: straddles, stackSize: 16 });
});
