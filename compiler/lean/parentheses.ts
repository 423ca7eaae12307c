// `(`...`)` in an expression: a parenthesized expression or an arrow function's parameters,
// read as Babel reads them (items as expressions, then decided by what follows the `)`), and
// the items turned into parameters as Babel's toAssignable does, for the forms handled.
import { GiveUp, Mismatch } from "./give_up.ts";
import type { Node, Parser } from "./parser.ts";
import type { Position } from "./scanner.ts";

/**
 * `(`...`)`: a parenthesized expression, or an arrow function's parameters. Read as Babel does:
 * the items as expressions (a name with `?` or `: type`, or `...rest`, as parameters), then
 * decided by what follows the `)`.
 */
export function parenOrArrow(p: Parser, asyncStart?: Position): Node {
  const s = p.s;
  const start = asyncStart ?? s.startLoc;
  s.next();
  const innerStart = s.startLoc;
  const items: Node[] = [];
  let paramOnly = false, trailingComma = false;
  while (p.s.value !== ")") {
    if (items.length) {
      p.expect(",");
      if (p.s.value === ")") {
        trailingComma = true;
        break;
      }
    }
    if (p.s.value === "...") {
      const rest = p.startNode();
      s.next();
      rest.argument = p.identifier();
      p.finish(rest, "RestElement");
      if (s.value === ":") {
        rest.typeAnnotation = p.g.parseTypeAnnotation(p);
        p.resetEnd(rest);
      }
      items.push(rest);
      paramOnly = true;
      if (s.value !== ")") throw new GiveUp("rest parameter not last");
      continue;
    }
    const typed = s.kind === "name" && /^[?:]/.test(p.peekChar()) && isParameterMark(p);
    if (typed) {
      paramOnly = true;
      const id = p.identifier();
      if (p.eat("?")) {
        id.optional = true;
        p.resetEnd(id);
      }
      if (p.s.value === ":") {
        id.typeAnnotation = p.g.parseTypeAnnotation(p);
        p.resetEnd(id);
      }
      if (p.s.value === "=") {
        const pattern = p.startAt(id);
        s.next();
        pattern.left = id;
        pattern.right = p.g.parseMaybeAssign(p);
        items.push(p.finish(pattern, "AssignmentPattern"));
      } else items.push(id);
      continue;
    }
    const item = p.g.parseMaybeAssign(p);
    if (p.s.value === ":" && (item.type === "ObjectExpression" || item.type === "ArrayExpression") && !item.extra?.parenthesized) {
      paramOnly = true;
      item.typeAnnotation = p.g.parseTypeAnnotation(p);
      p.resetEnd(item);
    }
    items.push(item);
  }
  const innerEnd = s.lastEndLoc;
  p.expect(")");
  if (s.value === "=>" || s.value === ":") {
    if (s.value === "=>" && s.newlineBefore) throw new GiveUp("line break before =>");
    const arrow = p.startNode(start);
    if (s.value === ":") {
      const returnType = p.attempt(() => {
        const t = p.g.parseTypeAnnotation(p, true);
        if (s.value !== "=>" || s.newlineBefore) throw new Mismatch("no => after a return type");
        return t;
      });
      if (returnType) {
        if (p.inConsequent) throw new GiveUp("arrow with a return type in a conditional");
        arrow.returnType = returnType;
      }
    }
    if (s.value === "=>") return p.g.arrowFunction(p, arrow, items.map(toParameter), asyncStart !== undefined);
  }
  if (asyncStart) throw new GiveUp("a call of async");
  if (paramOnly || trailingComma || !items.length) throw new GiveUp("parameters without an arrow");
  let val: Node;
  if (items.length > 1) {
    val = p.startNode(innerStart);
    val.expressions = items;
    p.finish(val, "SequenceExpression");
    p.resetEnd(val, innerEnd);
  } else val = items[0];
  p.addExtra(val, "parenthesized", true);
  p.addExtra(val, "parenStart", start.index);
  return val;
}

/** After a name in parentheses: `:` (a type), or `?` then `,` `=` `:` `)` (an optional parameter). */
function isParameterMark(p: Parser): boolean {
  const next = p.peek();
  if (next.value === ":") return true;
  if (next.value !== "?") return false;
  const saved = p.s.save();
  p.s.next();
  p.s.next();
  const after = p.s.value;
  p.s.restore(saved);
  return after === "," || after === "=" || after === ":" || after === ")";
}

/** An item of `( ... )` as an arrow parameter (Babel's toAssignable, for the forms handled). */
function toParameter(item: Node): Node {
  if (item === null) throw new GiveUp("hole in parameters");
  if (item.extra?.parenthesized) throw new GiveUp("parenthesized parameter");
  switch (item.type) {
    case "Identifier":
    case "RestElement":
    case "AssignmentPattern":
      return item;
    case "AssignmentExpression":
      if (item.operator !== "=") throw new GiveUp("parameter with an operator");
      item.type = "AssignmentPattern";
      delete item.operator;
      toParameter(item.left);
      return item;
    case "ArrayExpression":
      item.type = "ArrayPattern";
      item.elements.forEach((e: Node, i: number) => {
        if (e !== null) item.elements[i] = patternElement(e, i === item.elements.length - 1, item);
      });
      return item;
    case "ObjectExpression":
      item.type = "ObjectPattern";
      item.properties.forEach((prop: Node, i: number) => {
        if (prop.type === "SpreadElement") item.properties[i] = patternElement(prop, i === item.properties.length - 1, item);
        else if (prop.type === "ObjectProperty") toParameter(prop.value);
        else throw new GiveUp(`${prop.type} in a parameter pattern`);
      });
      return item;
  }
  throw new GiveUp(`parameter ${item.type}`);
}

/** An element of an array or object pattern: `...rest` last, and no comma after it. */
function patternElement(e: Node, last: boolean, pattern: Node): Node {
  if (e.type !== "SpreadElement") return toParameter(e);
  if (!last || pattern.extra?.trailingComma !== undefined) throw new GiveUp("rest not last");
  if (e.argument.type !== "Identifier" || e.argument.extra?.parenthesized) throw new GiveUp("rest of a pattern");
  e.type = "RestElement";
  return e;
}
