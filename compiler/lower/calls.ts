// Lowering calls: the built-in helpers (../builtins.ts), map methods (../map_ops.ts), the
// script's own functions and the tracer's methods (inlined, ../inline.ts).
import { Code, didYouMean } from "../../spec/diagnostics.ts";
import type { Node } from "../parse.ts";
import { type Type, typeName } from "../../spec/layout.ts";
import { BUILTINS } from "../builtins.ts";
import { mapMethod } from "../map_ops.ts";
import { callFunction } from "../inline.ts";
import { describeValue, type Lower, type Value } from "./context.ts";
import { isStartsWith } from "./operators.ts";
import { missingThis } from "./missing_this.ts";

export function call(l: Lower, e: Node): Value {
  const callee = e.callee;
  if (isStartsWith(e)) return l.materialize(e);
  if (callee.type === "MemberExpression" && !callee.computed) {
    // this.helper(...): a plain method of the tracer class, inlined like a function.
    const method = callee.object.type === "ThisExpression" ? l.input.tracer.methods.get(callee.property.name) : undefined;
    if (method) return callFunction(l, method, e);
    const obj = l.expr(callee.object);
    if (obj.kind === "map") return mapMethod(l, obj.map, callee.property.name, e);
    l.fail(callee.property, Code.BadCall, `"${callee.property.name}" cannot be called on ${describeValue(obj)}`);
  }
  if (callee.type !== "Identifier") l.fail(callee, Code.BadCall, `only built-in helpers and map methods can be called in a handler`);
  const fn = l.input.functions.get(callee.name);
  if (fn) return callFunction(l, fn, e);
  const helper = BUILTINS[callee.name];
  if (!helper) {
    const member = missingThis(l, callee.name);
    if (member) l.fail(callee, Code.UnknownIdentifier, `unknown function "${callee.name}"${member}`);
    l.fail(callee, Code.UnknownIdentifier, `unknown function "${callee.name}"`, ...didYouMean(callee.name, Object.keys(BUILTINS)));
  }
  if (helper.aggregate) {
    const t = l.aggregateType(e);
    if (t.kind === "str") l.fail(e, Code.TypeMismatch, `${callee.name}() gives a string, where a number is wanted: a string goes only into a Str<N> field, variable or key`);
    l.fail(e, Code.TypeMismatch, `${callee.name}() gives a ${typeName(t)}, where a number is wanted: a ${typeName(t)} goes only into a field, variable or key of that type`);
  }
  return helper.scalar!(l, e);
}

export function isAggregateCall(_l: Lower, e: Node): boolean {
  return e.type === "CallExpression" && e.callee.type === "Identifier" && !!BUILTINS[e.callee.name]?.aggregate;
}

export function aggregateType(l: Lower, e: Node): Type {
  return BUILTINS[e.callee.name].aggregate!.defaultType(l, e);
}
