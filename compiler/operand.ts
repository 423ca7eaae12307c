// A context field of kind "operand": a value the probe describes as arithmetic on saved
// registers, like a USDT argument `-4@-20(%rbp)` (read 4 signed bytes at rbp - 20 in the traced
// process) or `8@$42` (the constant 42).
import type { ContextField } from "../spec/target.ts";
import type { Lower, Value } from "./lower/context.ts";
import { Helper } from "../spec/bpf/helpers.ts";
import { intType } from "../spec/layout.ts";
import type { Operand } from "./ir.ts";

const LOG2: Record<number, bigint> = { 1: 0n, 2: 1n, 4: 2n, 8: 3n };

export function operandValue(l: Lower, f: ContextField): Value {
  const o = f.operand!;
  const size = f.size as 1 | 2 | 4 | 8;
  let sum: Operand = o.disp;
  for (const r of o.regs) {
    let v = l.b.load(l.ctx, r.offset, 8);
    if (r.scale !== 1) v = l.b.alu("lsh", v, LOG2[r.scale]);
    sum = typeof sum === "bigint" && sum === 0n ? v : l.b.alu("add", v, sum);
  }
  let raw: Operand = sum;
  if (o.deref) {
    // One scratch slot per read: bpf_probe_read_user zeroes it when the page is not there.
    const off = l.b.allocStack(8, 8);
    l.b.emit({ op: "store", base: "fp", off, size: 8, value: 0n });
    l.b.emit({ op: "call", helper: Helper.probe_read_user, args: [l.b.frame(off), BigInt(size), sum] });
    raw = l.b.load("fp", off, size);
  } else if (typeof raw === "bigint") {
    raw = f.signed ? BigInt.asIntN(size * 8, raw) : BigInt.asUintN(size * 8, raw);
  } else if (size < 8) {
    raw = l.b.alu("and", raw, (1n << BigInt(size * 8)) - 1n);
  }
  if (o.pointer) return { kind: "scalar", type: { kind: "ptr", space: "user", cType: f.cType, ...(f.number && { number: f.number }) }, op: raw };
  const t = intType(size * 8, f.signed);
  return { kind: "scalar", type: t, op: typeof raw !== "bigint" && size < 8 && f.signed ? l.signExtend(raw, size * 8) : raw };
}
