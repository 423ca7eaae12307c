// Comparing strings with literals: `comm() === "bash"`, `str(args.filename).startsWith("/etc/")`,
// and with each other: `a === b` of two strings.
// The string is put in memory (the stack, or left where it is), then compared chunk by chunk
// with the literal's bytes, jumping out at the first difference.
import { Code } from "../spec/diagnostics.ts";
import type { Base } from "./ir.ts";
import type { Node } from "./parse.ts";
import type { Lower } from "./lower/context.ts";
import { kernelAddress, readStrHelper } from "./kernel_access.ts";
import { isString } from "./check.ts";
import { Helper } from "../spec/bpf/helpers.ts";

interface StringMemory {
  base: Base;
  off: number;
  /** Bytes available (the buffer's size). */
  len: number;
}

export { isStringLiteral } from "./lower/operators.ts";

function literalText(e: Node): string {
  return e.type === "StringLiteral" ? e.value : e.quasis[0].value.cooked;
}

/** Whether `e` gives a string a handler can compare: comm(), str(...), a Str variable or field. */
export function isStringValued(l: Lower, e: Node): boolean {
  if (l.isAggregateCall(e)) return true;
  return (e.type === "Identifier" || e.type === "MemberExpression") && isString(l, e);
}

/** Puts the string `e` in memory, reading at most `need` bytes of it. */
function stringMemory(l: Lower, e: Node, need: number): StringMemory {
  if (l.isAggregateCall(e)) {
    const t = l.aggregateType(e);
    const len = t.kind === "str" ? Math.max(Math.min(t.len, need), 1) : need;
    const off = l.b.allocStack(len, 8);
    l.into(e, { kind: "str", len }, "fp", off);
    return { base: "fp", off, len };
  }
  const v = l.expr(e);
  if (v.kind === "mem" && v.type.kind === "str") return { base: v.base, off: v.off, len: v.type.len };
  if (v.kind === "ctxfield" && v.field.kind === "array") return { base: l.ctx, off: v.field.offset, len: v.field.size };
  if (v.kind === "ctxfield" || v.kind === "kmem") {
    const len = Math.min(need, 256);
    const off = l.b.allocStack(len, 8);
    l.zero("fp", off, len);
    const src = v.kind === "kmem" ? kernelAddress(l, v) : l.b.alu("add", l.ctx, l.b.alu("and", l.b.load(l.ctx, v.field.offset, 4), 0xffffn));
    l.b.emit({ op: "call", helper: v.kind === "kmem" ? readStrHelper(v.space) : Helper.probe_read_kernel_str, args: [l.b.frame(off), BigInt(len), src] });
    return { base: "fp", off, len };
  }
  return l.fail(e, Code.TypeMismatch, `only strings can be compared with "${"..."}" here`);
}

/**
 * Jumps to `label` when the string equals the literal (or starts with it, for a prefix) and
 * `when` is true, or when it does not and `when` is false.
 */
export function stringCompareBranch(l: Lower, strExpr: Node, literal: Node, prefix: boolean, when: boolean, label: number): void {
  const text = new TextEncoder().encode(literalText(literal));
  const bytes = prefix ? text : new Uint8Array([...text, 0]);
  // Room for the text and its NUL either way: helpers that copy strings always end them with one.
  // For equality one byte more: a copy cut to the text's length plus its NUL would end in a NUL
  // where a longer string goes on ("head" read into 3 bytes is "he\0", equal to "he").
  const mem = stringMemory(l, strExpr, text.length + (prefix ? 1 : 2));
  // comm() always ends in a NUL within its 16 bytes; other memory may be full.
  const room = isComm(strExpr) ? mem.len - 1 : prefix ? mem.len : mem.len - 1;
  if (text.length > room) tooLong(l, strExpr, literal, text.length, room, prefix);
  const differ = when ? l.b.label() : label;
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < bytes.length;) {
    const step = chunk(mem.off + i, bytes.length - i);
    const expected = step === 8 ? view.getBigUint64(i, true) : BigInt(step === 4 ? view.getUint32(i, true) : step === 2 ? view.getUint16(i, true) : bytes[i]);
    const actual = l.b.load(mem.base, mem.off + i, step);
    l.b.emit({ op: "br", cond: "jne", a: actual, b: expected, target: differ });
    i += step;
  }
  if (when) {
    l.b.emit({ op: "jmp", target: label });
    l.b.place(differ);
  }
}

/**
 * Jumps to `label` when two strings (neither a literal) are equal and `when` is true, or differ
 * and `when` is false: byte by byte up to the first NUL, as strcmp (bpftrace's `$a == $b`).
 * Past the shorter buffer, the longer string must end there.
 */
export function stringsEqualBranch(l: Lower, left: Node, right: Node, when: boolean, label: number): void {
  const a = stringMemory(l, left, STRING_COMPARE_MOST), b = stringMemory(l, right, STRING_COMPARE_MOST);
  const equal = when ? label : l.b.label(), differ = when ? l.b.label() : label;
  const n = Math.min(a.len, b.len);
  for (let i = 0; i < n; i++) {
    const x = l.b.load(a.base, a.off + i, 1), y = l.b.load(b.base, b.off + i, 1);
    l.b.emit({ op: "br", cond: "jne", a: x, b: y, target: differ });
    l.b.emit({ op: "br", cond: "jeq", a: x, b: 0n, target: equal });
  }
  if (a.len !== b.len) {
    const longer = a.len > b.len ? a : b;
    l.b.emit({ op: "br", cond: "jeq", a: l.b.load(longer.base, longer.off + n, 1), b: 0n, target: equal });
    l.b.emit({ op: "jmp", target: differ });
  } else {
    l.b.emit({ op: "jmp", target: equal });
  }
  l.b.place(when ? differ : equal);
}

/** Bytes of a string read for comparing it with another (a str() of no stated length, a field read through a pointer). */
const STRING_COMPARE_MOST = 256;

const isComm = (e: Node) => e.type === "CallExpression" && e.callee.type === "Identifier" && e.callee.name === "comm";

/** A literal longer than the string can ever be: the comparison would be constant, which is never what was meant. */
function tooLong(l: Lower, strExpr: Node, literal: Node, bytes: number, most: number, prefix: boolean): never {
  const what = isComm(strExpr) ? "comm() (the task's name, which the kernel cuts to 15 characters)" : `this string (${most + (prefix ? 0 : 1)} bytes${prefix ? "" : ", its NUL included"})`;
  return l.fail(literal, Code.TypeMismatch,
    `this literal has ${bytes} bytes but ${what} holds at most ${most}: the ${prefix ? "prefix test" : "comparison"} would always be false`,
    `compare with at most its first ${most} bytes${prefix ? "" : `, e.g. .startsWith(${JSON.stringify(literalText(literal).slice(0, most))})`}`,
    ...(isComm(strExpr) ? [] : ["or give the string more room: Str<N> with a larger N"]));
}

function chunk(offset: number, left: number): 1 | 2 | 4 | 8 {
  for (const step of [8, 4, 2] as const) if (step <= left && offset % step === 0) return step;
  return 1;
}

export { literalText };
