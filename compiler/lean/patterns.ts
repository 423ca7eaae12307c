// Binding patterns where a declaration or a parameter names them: `x`, `{ a, b: c = 1, ...r }`, `[a, , b]`.
import { GiveUp } from "./give_up.ts";
import type { Node, Parser } from "./parser.ts";

export function parseBindingAtom(p: Parser): Node {
  if (p.s.value === "{") return objectPattern(p);
  if (p.s.value === "[") return arrayPattern(p);
  return p.identifier();
}

/** `left = default`, if there is a default. */
function maybeDefault(p: Parser, left: Node, start = left.loc.start): Node {
  if (p.s.value !== "=") return left;
  p.s.next();
  const node = p.startNode(start);
  node.left = left;
  node.right = p.g.parseMaybeAssign(p);
  return p.finish(node, "AssignmentPattern");
}

function objectPattern(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  const properties: Node[] = node.properties = [];
  while (p.s.value !== "}") {
    if (p.s.value === "...") {
      const rest = p.startNode();
      p.s.next();
      rest.argument = p.identifier();
      properties.push(p.finish(rest, "RestElement"));
      // "as string": TypeScript keeps the narrowing to "..." across the calls since.
      if ((p.s.value as string) !== "}") throw new GiveUp("rest property not last");
      break;
    }
    const prop = p.startNode();
    p.g.propertyName(p, prop);
    prop.method = false;
    prop.shorthand = false;
    if (p.eat(":")) prop.value = maybeDefault(p, parseBindingAtom(p), p.s.startLoc);
    else {
      if (prop.computed || prop.key.type !== "Identifier") throw new GiveUp("pattern property without a value");
      p.identifierCheck(prop.key.name);
      prop.shorthand = true;
      prop.value = maybeDefault(p, p.g.cloneIdentifier(prop.key), prop.key.loc.start);
    }
    properties.push(p.finish(prop, "ObjectProperty"));
    if (p.s.value === "}") break;
    p.expect(",");
    if (p.s.value === "}") p.addExtra(node, "trailingComma", p.s.lastEnd - 1);
  }
  p.s.next();
  return p.finish(node, "ObjectPattern");
}

function arrayPattern(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  const elements: Node[] = [];
  while (p.s.value !== "]") {
    if (p.s.value === ",") {
      p.s.next();
      elements.push(null);
      continue;
    }
    if (p.s.value === "...") {
      const rest = p.startNode();
      p.s.next();
      rest.argument = parseBindingAtom(p);
      elements.push(p.finish(rest, "RestElement"));
      if ((p.s.value as string) !== "]") throw new GiveUp("rest element not last");
      break;
    }
    elements.push(maybeDefault(p, parseBindingAtom(p)));
    if (p.s.value === "]") break;
    p.expect(",");
    if (p.s.value === "]") throw new GiveUp("trailing comma in an array pattern");
  }
  node.elements = elements;
  p.s.next();
  return p.finish(node, "ArrayPattern");
}
