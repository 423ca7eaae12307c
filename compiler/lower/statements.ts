// Lowering statements: the handler's entry, blocks, declarations, if, return (loops and switch
// are in ../control_flow.ts).
import { Code } from "../../spec/diagnostics.ts";
import { IrBuilder, isReg } from "../ir.ts";
import { type Node, posOf } from "../parse.ts";
import { isScalar, i64, sizeOf, type Type, typeName } from "../../spec/layout.ts";
import { cgroupFilter, syscallFilter } from "../builtins.ts";
import { syscallsRun } from "../syscall_fields.ts";
import { breakStatement, continueStatement, forStatement, switchStatement } from "../control_flow.ts";
import { returnFromInlined } from "../inline.ts";
import { type Lower, type ScalarType, Unsupported, type Value } from "./context.ts";
import type { ContextField, ProbeContext } from "../../spec/target.ts";

export function lowerHandler(l: Lower): IrBuilder {
  const fn = l.input.node;
  l.ctx = l.b.reg();
  l.b.emit({ op: "entry", dst: l.ctx });
  if (l.input.probe.syscalls) {
    // A tail call's target runs where its caller's filter let it.
    l.syscallsRun = l.input.tailCallTarget ? l.input.probe.syscalls : syscallsRun(l, fn);
    if (!l.input.tailCallTarget) syscallFilter(l, l.syscallsRun);
  }
  // A program attached to a cgroup is limited to it already (and cannot ask for the current task's).
  if (l.input.cgroupFilter && !l.input.probe.cgroupAttached) cgroupFilter(l);
  const params: Node[] = fn.params;
  const positional = l.input.probe.params;
  if (positional) {
    if (params.length > positional.length) {
      l.fail(params[positional.length], Code.Unsupported, `${l.input.probe.describe} passes ${positional.length} argument${positional.length === 1 ? "" : "s"}: (${positional.map((p) => `${p.name}: ${p.cType}`).join(", ")})`);
    }
    params.forEach((p, i) => {
      if (p.type !== "Identifier") l.fail(p, Code.Unsupported, `destructuring handler parameters is not supported`);
      l.scopes[0].set(p.name, { kind: "arg", field: narrowedRegister(l, p, positional[i]) });
    });
  } else if (params.length > 1) {
    l.fail(params[1], Code.Unsupported, `a ${l.input.probe.describe} handler takes one parameter (its arguments)`);
  } else if (params[0]) {
    if (params[0].type !== "Identifier") l.fail(params[0], Code.Unsupported, `destructuring handler parameters is not supported`, "name the parameter, e.g. (args) => args.filename");
    l.scopes[0].set(params[0].name, { kind: "ctx" });
  }
  l.block(fn.body.body);
  l.b.loc = undefined;
  // Ending without `return`: a packet program lets the packet pass, a tracing program returns 0.
  l.b.emit({ op: "ret", value: l.input.probe.verdict?.fallthrough ?? 0n });
  return l.b;
}

/**
 * A register the probe gives as an untyped user address (a uprobe's argument, a uretprobe's
 * value) whose parameter is annotated with an integer type narrower than 64 bits (`b: i32` for
 * C's `int b`): read as that type, from the register's low bytes, as C reads it (the upper bytes
 * are not defined by the calling convention). A 64-bit annotation (`n: u64`, bpftrace's argN)
 * makes it a number in arithmetic and keeps the address, which str() reads through; any other
 * annotation is for the editor.
 */
function narrowedRegister(l: Lower, p: Node, field: ContextField): ContextField {
  if (!p.typeAnnotation) return field;
  // A USDT argument that may be a pointer (an unsigned 64-bit one) is a number when declared one.
  if (field.kind === "operand" && field.operand?.pointer) {
    const t = l.input.types.resolveQuietly(p.typeAnnotation);
    return t?.kind === "int" && t.bits === 64 ? { ...field, number: t } : field;
  }
  if (field.kind !== "ptr" || field.space !== "user" || field.btfId !== undefined) return field;
  const t = l.input.types.resolveQuietly(p.typeAnnotation);
  if (t?.kind !== "int") return field;
  if (t.bits === 64) return { ...field, number: t };
  return { ...field, kind: "int", size: t.bits / 8, signed: t.signed, cType: typeName(t) };
}

export function block(l: Lower, stmts: Node[], scoped = true): void {
  if (scoped) l.scopes.push(new Map());
  for (const s of stmts) {
    try {
      l.statement(s);
    } catch (e) {
      // A handler too large to compile is abandoned whole, not statement by statement.
      if (!(e instanceof Unsupported) || l.tooLarge) throw e;
      if (s.type === "VariableDeclaration") {
        for (const d of s.declarations) if (d.id.type === "Identifier" && !l.lookup(d.id.name)) l.bind(d.id.name, { kind: "poisoned" });
      }
    }
  }
  if (scoped) l.scopes.pop();
}

export function statement(l: Lower, s: Node): void {
  l.checkSize(s);
  l.b.loc = posOf(s);
  switch (s.type) {
    case "BlockStatement": return l.block(s.body);
    case "EmptyStatement": return;
    case "ExpressionStatement": return expressionStatement(l, s.expression);
    case "VariableDeclaration": return l.declaration(s);
    case "IfStatement": return l.ifStatement(s);
    case "ReturnStatement": return l.returnStatement(s);
    case "ForStatement": return forStatement(l, s);
    case "SwitchStatement": return switchStatement(l, s);
    case "BreakStatement": return breakStatement(l, s);
    case "ContinueStatement": return continueStatement(l, s);
  }
  l.unsupportedStatement(s);
}

/**
 * An expression whose value nothing uses. `a && b;` is `if (a) b;` and `a || b;` is `if (!a) b;`
 * (the bpftrace habit `pid() == X && printf(...)`), so `b` may give nothing: `this.m.set(k, v)`.
 */
function expressionStatement(l: Lower, e: Node): void {
  if (e.type === "ParenthesizedExpression") return expressionStatement(l, e.expression);
  if (e.type === "LogicalExpression" && (e.operator === "&&" || e.operator === "||")) {
    const skip = l.b.label();
    l.branch(e.left, e.operator === "||", skip);
    expressionStatement(l, e.right);
    l.b.place(skip);
    return;
  }
  l.expr(e);
}

export function unsupportedStatement(l: Lower, s: Node): never {
  const hints: Record<string, string> = {
    TryStatement: "handlers run in the kernel and cannot throw; remove the try",
    ThrowStatement: "handlers cannot throw; return early instead",
    WhileStatement: "write a counting loop the compiler can bound: for (let i = 0; i < N; i++)",
    DoWhileStatement: "write a counting loop the compiler can bound: for (let i = 0; i < N; i++)",
    ForOfStatement: "write a counting loop: for (let i = 0; i < N; i++)",
    ForInStatement: "for...in has no meaning in the kernel",
    ClassDeclaration: "declare classes outside the handler; handlers run in the kernel",
    FunctionDeclaration: "declare functions outside the tracer class",
  };
  const written: Record<string, string> = { ForOfStatement: `"for...of"`, ForInStatement: `"for...in"`, DoWhileStatement: `"do...while"`, LabeledStatement: "labeled" };
  const what = written[s.type] ?? `"${s.type.replace(/Statement|Declaration/, "").toLowerCase()}"`;
  l.fail(s, Code.Unsupported, `${what} statements are not supported in a handler`, ...(hints[s.type] ? [hints[s.type]] : []));
}

export function returnStatement(l: Lower, s: Node): void {
  const frame = l.inlined[l.inlined.length - 1];
  if (frame) return returnFromInlined(l, frame, s);
  const verdict = l.input.probe.verdict;
  if (verdict && !s.argument) return void l.b.emit({ op: "ret", value: verdict.fallthrough });
  const v = s.argument ? l.scalar(s.argument) : undefined;
  if (verdict && v) {
    checkVerdict(l, s.argument, v, verdict);
    // A computed verdict may drop; plan says so (a constant "pass" only observes).
    if (isReg(v.op) || BigInt(v.op) !== verdict.fallthrough) l.mayDrop = true;
  }
  l.b.emit({ op: "ret", value: v ? l.convert(v, i64, s.argument).op : 0n });
}

/**
 * A packet program's return value is its verdict: the verifier refuses a program that may return
 * a value outside the range it allows, so a value it could not bound is refused here, at its line.
 */
function checkVerdict(l: Lower, e: Node, v: Extract<Value, { kind: "scalar" }>, verdict: NonNullable<ProbeContext["verdict"]>): void {
  if (verdict.notBool && v.type.kind === "bool") {
    l.fail(e, Code.TypeMismatch, `a ${l.input.probe.describe} handler returns ${verdict.meaning}, not a bool: ${verdict.notBool}`);
  }
  const range = verdict.range;
  if (!range || v.type.kind === "bool") return;
  const [min, max] = range;
  const describe = l.input.probe.describe;
  if (!isReg(v.op)) {
    const n = Number(v.op);
    if (n < min || n > max) l.fail(e, Code.TypeMismatch, `a ${describe} handler returns ${min} to ${max}, not ${n}: ${verdict.meaning}`);
    return;
  }
  const bad = outOfRange(e, min, max);
  if (bad?.type === "NumericLiteral") l.fail(bad, Code.TypeMismatch, `a ${describe} handler returns ${min} to ${max}, not ${bad.value}: ${verdict.meaning}`);
  if (bad) l.fail(bad, Code.TypeMismatch, `a ${describe} handler returns ${min} to ${max} (${verdict.meaning}); the kernel cannot check that this value stays in that range`,
    "return a bool (return !this.deny.has(key)), a constant, or c ? 1 : 0");
}

/** The first part of `e` that is not a constant from min to max or a bool literal (conditionals are looked into). */
function outOfRange(e: Node, min: number, max: number): Node | undefined {
  if (e.type === "ParenthesizedExpression") return outOfRange(e.expression, min, max);
  if (e.type === "ConditionalExpression") return outOfRange(e.consequent, min, max) ?? outOfRange(e.alternate, min, max);
  if (e.type === "BooleanLiteral") return undefined;
  if (e.type === "NumericLiteral" && e.value >= min && e.value <= max) return undefined;
  return e;
}

/** The smallest string a local set to a literal holds (comm()'s), so a short literal can be reassigned a longer one. */
export const LITERAL_LOCAL_MIN_LEN = 16;

export function declaration(l: Lower, s: Node): void {
  const mutable = s.kind === "let";
  if (s.kind === "var") l.fail(s, Code.Unsupported, `"var" is not supported in a handler`, "use const or let");
  for (const d of s.declarations) {
    if (d.id.type !== "Identifier") l.fail(d.id, Code.Unsupported, `destructuring is not supported in a handler`);
    const name: string = d.id.name;
    const declared = d.id.typeAnnotation ? l.input.types.resolve(d.id.typeAnnotation) : undefined;
    if (d.id.typeAnnotation && !declared) throw new Unsupported(name);
    if (!d.init && !declared) l.fail(d, Code.TypeMismatch, `"${name}" needs a type or an initial value`, `write let ${name}: u64 = 0`);
    if (declared && !isScalar(declared)) {
      const off = l.stackSlot(name, declared);
      // Zeroed first: str() writes up to its NUL, and the bytes after it would make the same
      // string another map key (a literal is written whole, NULs included).
      if (d.init?.type !== "StringLiteral") l.zero("fp", off, sizeOf(declared));
      if (d.init) l.into(d.init, declared, "fp", off);
      l.bind(name, { kind: "mem", type: declared, off, mutable, name });
      continue;
    }
    if (d.init && !declared && d.init.type === "StringLiteral") {
      // const name = "text" (bpftrace's $x = "text"): a string on the stack, at least comm()'s size.
      const t: Type = { kind: "str", len: Math.max(LITERAL_LOCAL_MIN_LEN, new TextEncoder().encode(d.init.value).length + 1) };
      const off = l.stackSlot(name, t);
      l.into(d.init, t, "fp", off);
      l.bind(name, { kind: "mem", type: t, off, mutable, name });
      continue;
    }
    if (d.init && !declared && l.isAggregateCall(d.init)) {
      // const name = comm(): a string on the stack, of the helper's natural size (zeroed first, as above).
      const t = l.aggregateType(d.init);
      const off = l.stackSlot(name, t);
      l.zero("fp", off, sizeOf(t));
      l.into(d.init, t, "fp", off);
      l.bind(name, { kind: "mem", type: t, off, mutable, name });
      continue;
    }
    const v: Value = d.init ? l.expr(d.init) : { kind: "scalar", type: declared as ScalarType, op: 0n };
    if (v.kind === "mem" || (v.kind !== "scalar" && !declared)) {
      if (v.kind === "mem" && !mutable && v.base === "fp") {
        // A const names the stack memory the value is already in (a map value read by get()).
        l.bind(name, { kind: "mem", type: v.type, off: v.off, mutable, name });
        continue;
      }
      if (v.kind === "mem") {
        const off = l.stackSlot(name, v.type);
        l.copy(v, "fp", off);
        l.bind(name, { kind: "mem", type: v.type, off, mutable, name });
        continue;
      }
      if (!mutable && (v.kind === "kmem" || v.kind === "ctxfield")) {
        l.bind(name, { kind: "alias", value: v });
        continue;
      }
      if (d.init && l.isAggregateCall(d.init)) {
        const t = l.aggregateType(d.init);
        const off = l.stackSlot(name, t);
        l.zero("fp", off, sizeOf(t));
        l.into(d.init, t, "fp", off);
        l.bind(name, { kind: "mem", type: t, off, mutable, name });
        continue;
      }
      l.fail(d.init, Code.TypeMismatch, `this value cannot be stored in a variable`);
    }
    let sv = l.asScalar(v, d.init);
    if (declared) sv = l.convert(sv, declared as ScalarType, d);
    else if (sv.literal) sv = { ...sv, literal: false };
    // A const that is a constant stays a constant (folded into every use); a let gets its own register.
    const op = mutable || isReg(sv.op) ? l.b.mov(sv.op) : sv.op;
    l.bind(name, { kind: "scalar", type: sv.type, op, mutable, name });
  }
}

export function ifStatement(l: Lower, s: Node): void {
  const elseLabel = l.b.label();
  l.branch(s.test, false, elseLabel);
  l.statement(s.consequent);
  if (s.alternate) {
    const end = l.b.label();
    l.b.emit({ op: "jmp", target: end });
    l.b.place(elseLabel);
    l.statement(s.alternate);
    l.b.place(end);
  } else {
    l.b.place(elseLabel);
  }
}
