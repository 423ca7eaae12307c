// Operators of the handler language, shared by the lowering of expressions and of conditions.
import type { Node } from "../parse.ts";

/** A string literal: "text", or a template without substitutions. */
export function isStringLiteral(e: Node): boolean {
  return e.type === "StringLiteral" || (e.type === "TemplateLiteral" && e.expressions.length === 0);
}

/** `s.startsWith("literal")`. */
export function isStartsWith(e: Node): boolean {
  return e.type === "CallExpression" && e.callee.type === "MemberExpression" && !e.callee.computed &&
    e.callee.property.name === "startsWith" && e.arguments.length === 1 && isStringLiteral(e.arguments[0]);
}

export const COMPARE_OPS = new Set(["==", "!=", "===", "!==", "<", "<=", ">", ">="]);
export const ARITH_OPS = new Set<string>(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"]);
