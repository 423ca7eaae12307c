// The types a one-liner never writes: a map's key and value, a printed value's field. Read off
// the expression (helpers have fixed types, a tracepoint field has its format's), as bpftrace
// does; anything else is a 64-bit signed integer.
import type { ContextField } from "../../spec/target.ts";
import type { Node } from "../../compiler/parse.ts";

/** Where a chain of kernel struct fields starts: curtask(), or a probe's argument (by position, or by name for a raw tracepoint). */
export type KernelRoot = "curtask" | { kind: string; target: string; param: number | string };

/** What the transform knows about the handler an expression is in. */
export interface HandlerContext {
  kind: string;
  /** The concrete probe target (a wildcard already expanded). */
  target: string;
  /** The name of the handler's parameter that holds the probe's record (tracepoints, raw tracepoints). */
  argsParam?: string;
  /** A tracepoint field by name, when the kernel can tell. */
  field?: (name: string) => ContextField | undefined;
  /** A tracepoint's fields in order, when the kernel can tell. */
  fields?: ContextField[];
  /** The handler's parameter names, in order. */
  params?: string[];
  /** A kernel struct field's type, from BTF (KernelQuery.kernelType). */
  kernelType?: (root: KernelRoot, chain: string[]) => string | undefined;
}

/** Probe kinds whose parameters are BTF-typed kernel values, by position. */
const BTF_PARAMS = new Set(["kprobe", "kretprobe", "fentry", "fexit"]);
/** Probe kinds whose one parameter holds the arguments by name (`a.prev`). */
const BTF_ARGS = new Set(["rawTracepoint", "tpBtf"]);

/**
 * `node` as a chain of kernel struct fields (`curtask().real_parent.comm`, `a.prev.comm` of a
 * raw tracepoint, `path.dentry.d_name.name` of a kprobe), or undefined when it is not one.
 */
export function kernelChain(node: Node, ctx: HandlerContext): { root: KernelRoot; chain: string[] } | undefined {
  const chain: string[] = [];
  let n = node;
  while (n.type === "MemberExpression" && !n.computed && n.property.type === "Identifier") {
    chain.unshift(n.property.name);
    n = n.object;
  }
  if (!chain.length) return undefined;
  if (n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === "curtask" && !n.arguments.length) return { root: "curtask", chain };
  if (n.type !== "Identifier") return undefined;
  if (BTF_ARGS.has(ctx.kind) && n.name === ctx.argsParam) return { root: { kind: ctx.kind, target: ctx.target, param: chain[0] }, chain: chain.slice(1) };
  const index = ctx.params?.indexOf(n.name) ?? -1;
  if (BTF_PARAMS.has(ctx.kind) && index >= 0) return { root: { kind: ctx.kind, target: ctx.target, param: index }, chain };
  return undefined;
}

/** The type of a kernel struct's field `node` reads, when the kernel's BTF tells. */
export function kernelFieldType(node: Node, ctx: HandlerContext): string | undefined {
  if (!ctx.kernelType || node.type !== "MemberExpression") return undefined;
  const c = kernelChain(node, ctx);
  return c && ctx.kernelType(c.root, c.chain);
}

const HELPER_TYPES: Record<string, string> = {
  pid: "u32", tid: "u32", ppid: "u32", uid: "u32", gid: "u32", cpu: "u32",
  ktime: "u64", comm: "Str<16>", kstack: "KStack", ustack: "UStack", probe: "Str<64>",
  cgroup: "u64", cgroupName: "Cgroup", elapsed: "u64", ksym: "KSym", usym: "USym", ntop: "Inet", reg: "u64",
  // The task_struct's kernel address, a pointer: unsigned, as a pointer field (`a.prev`) is.
  curtask: "u64",
};

/** The string length str() gets in a map key when none is given (bpftrace's default). */
export const KEY_STR_LEN = 64;
/** ... and in a printed event. */
export const PRINT_STR_LEN = 256;
/** ... and in a local (`const s = str(p)`): the compiler's own default, which the local has wherever it is used. */
export const LOCAL_STR_LEN = 256;

/** The tracepoint field `node` reads (`args.name`), if it is one. */
export function tracepointField(node: Node, ctx: HandlerContext): ContextField | undefined {
  if (node.type !== "MemberExpression" || node.computed || node.object.type !== "Identifier") return undefined;
  if (!ctx.argsParam || node.object.name !== ctx.argsParam || !ctx.field) return undefined;
  return ctx.field(node.property.name);
}

/** `args.name` of a tracepoint whose fields are known, and that has no field of that name. */
export function isMissingField(node: Node, ctx: HandlerContext): boolean {
  return !!ctx.field && node.type === "MemberExpression" && !node.computed && node.object.type === "Identifier" &&
    node.object.name === ctx.argsParam && ctx.kind === "tracepoint" && !tracepointField(node, ctx);
}

/** Probes whose arguments are user space's (a register, a USDT operand): an address among them points to user memory. */
const USER_PROBES = new Set(["uprobe", "uretprobe", "usdt"]);

/** The memory `node` points to when it is a pointer a probe gives: a tracepoint's pointer field, a uprobe's or USDT's argument (user memory). */
export function pointerSpace(node: Node, ctx: HandlerContext): "user" | "kernel" | undefined {
  const field = tracepointField(node, ctx);
  if (field) return field.kind === "ptr" && field.space !== "either" ? field.space : undefined;
  return node.type === "Identifier" && USER_PROBES.has(ctx.kind) && ctx.params?.includes(node.name) ? "user" : undefined;
}

/**
 * The error for a value print() or printf() cannot show as the user means it: a tracepoint's
 * pointer field (its address, as a number; bpftrace refuses it: "not printable"), or the whole
 * record (bpftrace's print(args)), with the print of its fields to write instead.
 */
export function unprintable(node: Node, ctx: HandlerContext, written: string): { message: string; hints: string[] } | undefined {
  if (ctx.kind === "tracepoint" && node.type === "Identifier" && node.name === ctx.argsParam) {
    const shown = (ctx.fields ?? []).filter((f) => !f.name.startsWith("common_") && (f.kind === "int" || isTextField(f) || (f.kind === "ptr" && /\bchar\b/.test(f.cType))));
    const each = shown.map((f) => (f.kind === "ptr" ? `str(${written}.${f.name})` : `${written}.${f.name}`));
    return {
      message: `${written} is the tracepoint's whole record, not one value`,
      hints: [...(each.length ? [`print its fields: print(${each.join(", ")})`] : []), `tsbpf list -v 'tracepoint:${ctx.target}' lists them`],
    };
  }
  const f = tracepointField(node, ctx);
  if (f?.kind !== "ptr") return undefined;
  const read = /\bchar\b/.test(f.cType) ? `str(${written}) reads the string it points to` : `user<struct_name>(${written}) reads the struct it points to`;
  return { message: `${written} is a pointer (${f.cType}): print() would show its address as a number`, hints: [read, `(${written} as u64) prints the address`] };
}

/** A tracepoint field that holds text (char[N], __data_loc char[]): printed and used as a key through str(). */
export function isTextField(f: ContextField | undefined): boolean {
  return !!f && (f.kind === "data_loc" || (f.kind === "array" && /\bchar\b/.test(f.cType)));
}

/** Whether inferType's answer for `node` is its type, not the i64 it falls back to. */
export function typeIsKnown(node: Node): boolean {
  if (node.type === "CallExpression") return node.callee.type === "Identifier" && (node.callee.name === "str" || node.callee.name in HELPER_TYPES);
  return !["Identifier", "ConditionalExpression", "LogicalExpression", "SequenceExpression", "AwaitExpression"].includes(node.type);
}

export function inferType(node: Node, ctx: HandlerContext, strLen: number): string {
  switch (node.type) {
    case "CallExpression": {
      const name = node.callee.type === "Identifier" ? node.callee.name : undefined;
      if (name === "str") {
        const n = node.arguments[1];
        return `Str<${n?.type === "NumericLiteral" ? n.value : strLen}>`;
      }
      if (name === "probe" && isPattern(ctx.target)) return "ProbeName";
      return (name && HELPER_TYPES[name]) || "i64";
    }
    case "StringLiteral":
      return `Str<${Math.max(16, new TextEncoder().encode(node.value).length + 1)}>`;
    case "BooleanLiteral":
      return "bool";
    case "TSAsExpression":
      return "";  // the caller copies the written type
    case "SequenceExpression":
    case "ArrayExpression": {
      const items: Node[] = node.type === "ArrayExpression" ? node.elements : node.expressions;
      return `[${items.map((e) => inferType(e, ctx, strLen) || "i64").join(", ")}]`;
    }
    case "MemberExpression": {
      const f = tracepointField(node, ctx);
      if (!f) return kernelFieldType(node, ctx) ?? "i64";
      if (isTextField(f)) return `Str<${f.kind === "array" ? f.size : strLen}>`;
      if (f.kind === "int" && [1, 2, 4, 8].includes(f.size)) return `${f.signed ? "i" : "u"}${f.size * 8}`;
      return "i64";
    }
    default:
      return "i64";
  }
}

/** A probe target that is still a wildcard: the one-liner kept it whole (a syscall wildcard attached once). */
export function isPattern(target: string): boolean {
  return /[*?]/.test(target);
}
