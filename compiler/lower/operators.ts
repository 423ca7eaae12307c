// Operators of the handler language, shared by the lowering of expressions and of conditions.
import type { Node } from "../parse.ts";
import { isStringLiteral } from "../strings.ts";

/** `s.startsWith("literal")`. */
export function isStartsWith(e: Node): boolean {
  return e.type === "CallExpression" && e.callee.type === "MemberExpression" && !e.callee.computed &&
    e.callee.property.name === "startsWith" && e.arguments.length === 1 && isStringLiteral(e.arguments[0]);
}

export const COMPARE_OPS = new Set(["==", "!=", "===", "!==", "<", "<=", ">", ">="]);
export const ARITH_OPS = new Set<string>(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"]);
