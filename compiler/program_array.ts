// `new ProgramArray({ [SYS_read]: this.onRead, 1: this.onWrite })` (or `new ProgramArray([this.a,
// this.b])`): a BPF_MAP_TYPE_PROG_ARRAY whose slots hold the tracer's own methods, compiled as
// programs of the type of the handler that jumps through it. Read from the field's initializer.
import { Code, type DiagnosticBag } from "../spec/diagnostics.ts";
import { type Node, posOf } from "./parse.ts";
import type { ProgramSlot } from "../spec/tracer_spec.ts";
import { constantNumber } from "./map_fields.ts";

/** The kernel's limit on how many tail calls one event may chain (MAX_TAIL_CALL_CNT, 33 since 5.17; 32 before). */
export const MAX_TAIL_CALLS = 33;
/** A slot index beyond this is a mistake, not a plan (the kernel allocates every slot up to the largest). */
const MAX_SLOTS = 1 << 16;

const FORM = "new ProgramArray({ [SYS_read]: this.onRead, 1: this.onWrite }) or new ProgramArray([this.first, this.second])";

/** The slots and size of a ProgramArray, from its constructor's arguments. */
export function programArraySlots(init: Node, constants: Map<string, Node>, diags: DiagnosticBag): { slots: ProgramSlot[]; size: number } | undefined {
  const [table, sizeArg] = init.arguments;
  const entries: [Node | number, Node][] = [];
  if (table?.type === "ObjectExpression") {
    for (const p of table.properties) {
      if (p.type !== "ObjectProperty") {
        diags.error(Code.BadMap, posOf(p), `a ProgramArray's slots are written index: this.method`, FORM);
        return undefined;
      }
      entries.push([p.key.type === "Identifier" && !p.computed ? p.key.name : p.key, p.value]);
    }
  } else if (table?.type === "ArrayExpression") {
    table.elements.forEach((el: Node, i: number) => entries.push([i, el]));
  } else {
    diags.error(Code.BadMap, posOf(init), `a ProgramArray takes its slots as an object or array literal of methods of this tracer`, FORM);
    return undefined;
  }
  const slots: ProgramSlot[] = [];
  let ok = true;
  for (const [key, value] of entries) {
    const index = typeof key === "number" ? key : slotIndex(key, constants);
    if (index === undefined || !Number.isInteger(index) || index < 0 || index >= MAX_SLOTS) {
      diags.error(Code.NotConstant, posOf(typeof key === "number" ? value : key), `a ProgramArray slot's index must be a whole number from 0 to ${MAX_SLOTS - 1}, written as a number or a top-level const`, FORM);
      ok = false;
      continue;
    }
    if (value?.type !== "MemberExpression" || value.object.type !== "ThisExpression" || value.property.type !== "Identifier" || value.computed) {
      diags.error(Code.BadMap, posOf(value ?? init), `a ProgramArray slot holds a method of this tracer, written this.method`, FORM);
      ok = false;
      continue;
    }
    if (slots.some((s) => s.index === index)) {
      diags.error(Code.BadMap, posOf(value), `slot ${index} of this ProgramArray is given twice`);
      ok = false;
      continue;
    }
    slots.push({ index, program: value.property.name });
  }
  if (!ok) return undefined;
  const needed = slots.reduce((n, s) => Math.max(n, s.index + 1), 1);
  const size = sizeArg ? constantNumber(sizeArg) : needed;
  if (size === undefined || !Number.isInteger(size) || size < needed || size > MAX_SLOTS) {
    diags.error(Code.BadMap, posOf(sizeArg), `a ProgramArray's size must be a whole number from ${needed} (its largest slot + 1) to ${MAX_SLOTS}`);
    return undefined;
  }
  return { slots: slots.sort((a, b) => a.index - b.index), size };
}

function slotIndex(key: Node, constants: Map<string, Node>): number | undefined {
  if (key.type === "StringLiteral" && /^\d+$/.test(key.value)) return Number(key.value);
  const direct = constantNumber(key);
  if (direct !== undefined) return direct;
  // [SYS_read]: a top-level const holding a number.
  if (key.type === "Identifier" && constants.has(key.name)) return constantNumber(constants.get(key.name)!);
  return undefined;
}
