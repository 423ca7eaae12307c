// Calls to the script's own functions, inlined at the call site: BPF-to-BPF calls would
// need every argument in a register and cost a frame; handlers' helpers are small.
import { Code } from "../spec/diagnostics.ts";
import { type Node, posOf } from "./parse.ts";
import { type InlineFrame, type Lower, type ScalarType, Unsupported, type Value } from "./lower/context.ts";
import type { ScriptFunction } from "./collect.ts";
import { isScalar } from "../spec/layout.ts";

const MAX_DEPTH = 8;

export function callFunction(l: Lower, fn: ScriptFunction, e: Node): Value {
  if (fn.node.async || fn.node.generator) {
    l.fail(e, Code.Unsupported, `"${fn.name}" is ${fn.node.async ? "async" : "a generator"}, so a handler cannot call it: handlers run to completion in the kernel`,
      `remove ${fn.node.async ? "async" : "the *"} from its declaration`);
  }
  const start = l.inlined.findIndex((f) => f.name === fn.name);
  if (start >= 0) {
    const cycle = [...l.inlined.slice(start).map((f) => f.name), fn.name];
    const what = cycle.length === 2 ? `"${fn.name}" calls itself` : `"${cycle[0]}" calls ${cycle.slice(1).map((n) => `"${n}"`).join(", which calls ")}`;
    l.fail(e, Code.Unsupported, `recursion: ${what}; the kernel cannot run recursion (calls are inlined)`, "rewrite it as a bounded loop: for (let i = 0; i < N; i++)");
  }
  l.checkSize(e); // each call may expand into many copies of a helper's body
  if (l.inlined.length >= MAX_DEPTH) l.fail(e, Code.Unsupported, `calls nest more than ${MAX_DEPTH} deep`);
  if (e.arguments.length !== fn.params.length) {
    l.fail(e, Code.BadCall, `"${fn.name}" takes ${fn.params.length} argument${fn.params.length === 1 ? "" : "s"}, got ${e.arguments.length}`);
  }
  // Arguments are evaluated in the caller's scope; the body sees only its parameters.
  const params = new Map();
  fn.params.forEach((p: Node, i: number) => {
    if (p.type !== "Identifier") l.fail(p, Code.Unsupported, `only plain parameters are supported in functions called from handlers`);
    // A parameter's annotation converts a number; any other annotation (a kernel struct, a map
    // type) is for the editor: the argument keeps what it is.
    const declared = p.typeAnnotation ? l.input.types.resolveQuietly(p.typeAnnotation) : undefined;
    const v = l.expr(e.arguments[i]);
    if (v.kind === "scalar") {
      const sv = declared && isScalar(declared) ? l.convert(v, declared as ScalarType, e.arguments[i]) : v;
      params.set(p.name, { kind: "scalar", type: sv.type, op: l.b.mov(sv.op), mutable: true, name: p.name });
    } else {
      params.set(p.name, { kind: "alias", value: v });
    }
  });
  // `: void` declares what a function without a return type gives: nothing.
  const declared = fn.returnType?.typeAnnotation ?? fn.returnType;
  const returnType = declared && declared.type !== "TSVoidKeyword" ? l.input.types.resolve(declared) : undefined;
  const frame: InlineFrame = {
    name: fn.name,
    end: l.b.label(),
    result: l.b.mov(0n),
    type: returnType && isScalar(returnType) ? (returnType as ScalarType) : undefined,
    returnsValue: false,
  };
  const savedScopes = l.scopes.splice(0, l.scopes.length, params);
  const savedLoops = l.loops.splice(0);
  l.inlined.push(frame);
  const savedLoc = l.b.loc;
  const errors = l.diags.items.length;
  try {
    if (fn.body.type === "BlockStatement") l.block(fn.body.body);
    else returnFromInlined(l, frame, { type: "ReturnStatement", argument: fn.body, loc: fn.body.loc });
  } finally {
    // The error is in the function's body, where nothing says it runs in the kernel: name the call.
    for (const d of l.diags.items.slice(errors)) d.hints.push(calledAt(fn.name, e));
    l.inlined.pop();
    l.scopes.splice(0, l.scopes.length, ...savedScopes);
    l.loops.push(...savedLoops);
    l.b.loc = savedLoc;
  }
  // The body's error is reported already: its value is unknown, not void (one mistake, one error).
  if (l.diags.items.length > errors) throw new Unsupported(fn.name);
  l.b.place(frame.end);
  if (!frame.returnsValue) return { kind: "void" };
  return { kind: "scalar", type: frame.type!, op: frame.result };
}

/** The hint on an error inside an inlined function: the handler's call that brought it into the kernel. */
function calledAt(name: string, call: Node): string {
  const at = posOf(call);
  return `"${name}" runs in the kernel: a handler calls it at line ${at.line}:${at.column}, and a function a handler calls is compiled into that handler; call it from JavaScript instead, on what the handler submits`;
}

export function returnFromInlined(l: Lower, frame: InlineFrame, s: Node): void {
  if (s.argument) {
    let v = l.scalar(s.argument);
    if (frame.type) v = l.convert(v, frame.type, s.argument);
    else frame.type = v.literal ? { ...v.type, kind: "int", bits: 64, signed: true } as ScalarType : v.type;
    frame.returnsValue = true;
    l.b.emit({ op: "mov", dst: frame.result, src: v.op });
  }
  l.b.emit({ op: "jmp", target: frame.end });
}
