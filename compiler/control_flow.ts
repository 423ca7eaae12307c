// Loops, switch, break and continue. Loops need a bound the compiler can see, because the
// kernel's verifier must prove that every handler ends.
import { Code } from "../spec/diagnostics.ts";
import { isReg } from "./ir.ts";
import type { Node } from "./parse.ts";
import type { Lower } from "./lower/context.ts";
import { constantValue } from "./check.ts";

/** Iterations the verifier walks cheaply; beyond this a loop would exhaust its budget. */
export const MAX_LOOP_ITERATIONS = 1 << 16;


/** `for (let i = A; i < B; i++)` with constant A and B, in either direction. */
export function forStatement(l: Lower, s: Node): void {
  const bound = loopBound(l, s);
  if (bound === undefined) {
    l.fail(s, Code.Unsupported, `this loop has no bound the compiler can see`,
      "write for (let i = 0; i < N; i++) with N a number literal or a constant", `the kernel accepts at most ${MAX_LOOP_ITERATIONS} iterations`);
  }
  if (bound > MAX_LOOP_ITERATIONS) {
    l.fail(s.test, Code.Unsupported, `this loop runs up to ${bound} times; the kernel's verifier allows about ${MAX_LOOP_ITERATIONS}`, "lower the bound");
  }
  l.scopes.push(new Map());
  if (s.init) l.statement(s.init.type === "VariableDeclaration" ? s.init : { type: "ExpressionStatement", expression: s.init, loc: s.init.loc });
  const head = l.b.label(), cont = l.b.label(), end = l.b.label();
  l.b.place(head);
  l.branch(s.test, false, end);
  l.loops.push({ breakLabel: end, continueLabel: cont });
  try {
    l.statement(s.body);
  } finally {
    l.loops.pop();
  }
  l.b.place(cont);
  l.expr(s.update);
  l.b.emit({ op: "jmp", target: head });
  l.b.place(end);
  l.scopes.pop();
}

/** The iteration count of a counting loop, or undefined when it is not one. */
function loopBound(l: Lower, s: Node): number | undefined {
  const decl = s.init?.type === "VariableDeclaration" && s.init.declarations.length === 1 ? s.init.declarations[0] : undefined;
  if (!decl || decl.id.type !== "Identifier" || !decl.init || !s.test || !s.update) return undefined;
  const name = decl.id.name;
  const start = constantValue(l, decl.init);
  const t = s.test;
  if (start === undefined || t.type !== "BinaryExpression" || t.left.type !== "Identifier" || t.left.name !== name) return undefined;
  const limit = constantValue(l, t.right);
  if (limit === undefined) return undefined;
  const u = s.update;
  let step: bigint | undefined;
  if (u.type === "UpdateExpression" && u.argument.type === "Identifier" && u.argument.name === name) step = u.operator === "++" ? 1n : -1n;
  if (u.type === "AssignmentExpression" && u.left.type === "Identifier" && u.left.name === name && (u.operator === "+=" || u.operator === "-=")) {
    const c = constantValue(l, u.right);
    if (c !== undefined && c > 0n) step = u.operator === "+=" ? c : -c;
  }
  if (step === undefined) return undefined;
  const up = t.operator === "<" || t.operator === "<=", down = t.operator === ">" || t.operator === ">=";
  if ((up && step < 0n) || (down && step > 0n) || (!up && !down)) return undefined;
  const inclusive = t.operator === "<=" || t.operator === ">=";
  const span = (up ? limit - start : start - limit) + (inclusive ? 1n : 0n);
  const abs = step < 0n ? -step : step;
  return span <= 0n ? 0 : Number((span + abs - 1n) / abs);
}

export function breakStatement(l: Lower, s: Node): void {
  if (s.label) l.fail(s, Code.Unsupported, `labelled break is not supported`);
  const loop = l.loops[l.loops.length - 1];
  if (!loop) l.fail(s, Code.Unsupported, `break outside a loop or switch`);
  l.b.emit({ op: "jmp", target: loop.breakLabel });
}

export function continueStatement(l: Lower, s: Node): void {
  if (s.label) l.fail(s, Code.Unsupported, `labelled continue is not supported`);
  const loop = [...l.loops].reverse().find((x) => x.continueLabel !== undefined);
  if (!loop) l.fail(s, Code.Unsupported, `continue outside a loop`);
  l.b.emit({ op: "jmp", target: loop.continueLabel! });
}

/** `switch` on an integer: a chain of comparisons, then the case bodies in order (falling through). */
export function switchStatement(l: Lower, s: Node): void {
  const disc = l.intScalar(s.discriminant);
  const end = l.b.label();
  const labels = s.cases.map(() => l.b.label());
  let defaultLabel = end;
  const seen = new Set<bigint>();
  s.cases.forEach((c: Node, i: number) => {
    if (!c.test) {
      defaultLabel = labels[i];
      return;
    }
    const v = l.convert(l.intScalar(c.test), disc.type, c.test);
    if (isReg(v.op)) l.fail(c.test, Code.NotConstant, `case values must be constants`);
    if (seen.has(v.op)) l.fail(c.test, Code.TypeMismatch, `duplicate case ${v.op}`);
    seen.add(v.op);
    l.b.emit({ op: "br", cond: "jeq", a: disc.op, b: v.op, target: labels[i] });
  });
  l.b.emit({ op: "jmp", target: defaultLabel });
  l.loops.push({ breakLabel: end });
  try {
    s.cases.forEach((c: Node, i: number) => {
      l.b.place(labels[i]);
      l.block(c.consequent, false);
    });
  } finally {
    l.loops.pop();
  }
  l.b.place(end);
}
