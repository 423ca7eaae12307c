// Expression atoms: names, literals, `this`, arrays, objects, templates, parentheses and arrow
// functions, function expressions, `new`, `import.meta`.
import { GiveUp, Mismatch } from "./give_up.ts";
import type { Node, Parser } from "./parser.ts";
import { RESERVED } from "./words.ts";


export function parseAtom(p: Parser): Node {
  const s = p.s;
  switch (s.kind) {
    case "num": return literal(p, "NumericLiteral");
    case "string": return literal(p, "StringLiteral");
    case "bigint": return literal(p, "BigIntLiteral");
    case "template": return parseTemplate(p);
    case "private": throw new GiveUp("private name");
    case "eof": throw new Mismatch("end of source");
    case "punct": break;
    case "name": return name(p);
  }
  switch (s.value) {
    case "(": return p.g.parenOrArrow(p);
    case "[": return array(p);
    case "{": return object(p);
    case "/": case "/=": return regex(p);
  }
  if (s.value === "<" || s.value === "@" || s.value === "#") throw new GiveUp(`expression starting with ${s.value}`);
  throw new Mismatch(`${s.value} cannot start an expression`);
}

function name(p: Parser): Node {
  const s = p.s;
  switch (s.value) {
    case "this": {
      const node = p.startNode();
      s.next();
      return p.finish(node, "ThisExpression");
    }
    case "null": {
      const node = p.startNode();
      s.next();
      return p.finish(node, "NullLiteral");
    }
    case "true": case "false": {
      const node = p.startNode();
      node.value = s.value === "true";
      s.next();
      return p.finish(node, "BooleanLiteral");
    }
    case "function": return p.g.parseFunction(p, "FunctionExpression", false, p.s.startLoc);
    case "new": return p.g.parseNew(p);
    case "super": return superExpression(p);
    case "import": return importMeta(p);
    case "async": {
      const next = p.peek();
      if (next.kind === "name" && next.value === "function" && !next.newlineBefore) {
        const start = s.startLoc;
        s.next();
        return p.g.parseFunction(p, "FunctionExpression", true, start);
      }
      if (next.newlineBefore) break;
      if (next.value === "(") {
        const start = s.startLoc;
        s.next();
        return p.g.parenOrArrow(p, start);
      }
      if (next.kind === "name") {
        const arrow = p.startNode();
        s.next();
        const id = p.identifier();
        if (p.s.value !== "=>" || s.newlineBefore) throw new GiveUp("async followed by a name");
        return p.g.arrowFunction(p, arrow, [id], true);
      }
      break;
    }
    case "class": throw new GiveUp("class expression");
  }
  if (RESERVED.has(s.value) && s.value !== "await") throw new Mismatch(`reserved word ${s.value}`);
  const id = p.identifier();
  if (p.s.value === "=>" && !s.newlineBefore) {
    const arrow = p.startAt(id);
    return p.g.arrowFunction(p, arrow, [id]);
  }
  return id;
}

function superExpression(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  if (p.s.value === "(" ? !p.fn.superCall : !(p.s.value === "." || p.s.value === "[") || !p.fn.superProperty) throw new GiveUp("super here");
  return p.finish(node, "Super");
}

function importMeta(p: Parser): Node {
  const node = p.startNode();
  const meta = p.identifierAny();
  if (p.s.value === "(") {
    const args = p.g.callArguments(p);
    if (args.length < 1 || args.length > 2 || args.some((a) => a.type === "SpreadElement")) throw new GiveUp("import() arguments");
    node.source = args[0];
    node.options = args[1] ?? null;
    return p.finish(node, "ImportExpression");
  }
  if (p.s.value !== ".") throw new Mismatch("import without ( or .");
  // Babel ends `import` where the `.` starts (the same place unless there is space between).
  p.resetEnd(meta, p.s.startLoc);
  p.s.next();
  if (!p.isName("meta")) throw new Mismatch("import.something");
  node.meta = meta;
  node.property = p.identifierAny();
  return p.finish(node, "MetaProperty");
}

/** The literal at the current token: a number, string, bigint, true or false. */
export function parseLiteral(p: Parser): Node {
  const s = p.s;
  if (s.kind === "num") return literal(p, "NumericLiteral");
  if (s.kind === "string") return literal(p, "StringLiteral");
  if (s.kind === "bigint") return literal(p, "BigIntLiteral");
  if (s.kind === "name" && (s.value === "true" || s.value === "false")) {
    const node = p.startNode();
    node.value = s.value === "true";
    s.next();
    return p.finish(node, "BooleanLiteral");
  }
  throw new Mismatch("expected a literal");
}

function literal(p: Parser, type: string): Node {
  const node = p.startNode();
  p.addExtra(node, "rawValue", p.s.literal);
  p.addExtra(node, "raw", p.s.value);
  node.value = p.s.literal;
  p.s.next();
  return p.finish(node, type);
}

function regex(p: Parser): Node {
  const node = p.startNode();
  const { pattern, flags } = p.s.regex();
  p.addExtra(node, "raw", p.s.value);
  node.pattern = pattern;
  node.flags = flags;
  p.s.next();
  return p.finish(node, "RegExpLiteral");
}

/** A template literal (not tagged); the scanner's current token is its opening backtick. */
export function parseTemplate(p: Parser): Node {
  const node = p.startNode();
  const expressions: Node[] = [], quasis: Node[] = [];
  for (;;) {
    const chunk = p.s.templateChunk();
    const elem = p.startNode(chunk.start);
    elem.value = { raw: chunk.raw, cooked: chunk.cooked };
    elem.tail = chunk.tail;
    elem.type = "TemplateElement";
    elem.end = chunk.end.index;
    elem.loc.end = chunk.end;
    quasis.push(elem);
    p.s.next();
    if (chunk.tail) break;
    expressions.push(p.g.parseExpression(p));
    if (p.s.value !== "}") throw new Mismatch("expected } in a template");
  }
  node.expressions = expressions;
  node.quasis = quasis;
  return p.finish(node, "TemplateLiteral");
}

function array(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  const elements: Node[] = [];
  let first = true;
  while (!p.eat("]")) {
    if (first) first = false;
    else {
      p.expect(",");
      if (p.s.value === "]") {
        p.addExtra(node, "trailingComma", p.s.lastEnd - 1);
        p.s.next();
        break;
      }
    }
    if (p.s.value === ",") elements.push(null);
    else if (p.s.value === "...") {
      const spread = p.startNode();
      p.s.next();
      spread.argument = p.g.parseMaybeAssign(p);
      elements.push(p.finish(spread, "SpreadElement"));
    } else elements.push(p.g.parseMaybeAssign(p));
  }
  node.elements = elements;
  return p.finish(node, "ArrayExpression");
}

function object(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  const properties: Node[] = node.properties = [];
  while (p.s.value !== "}") {
    properties.push(property(p));
    if (p.s.value === "}") break;
    p.expect(",");
    if (p.s.value === "}") p.addExtra(node, "trailingComma", p.s.lastEnd - 1);
  }
  p.s.next();
  return p.finish(node, "ObjectExpression");
}

function property(p: Parser): Node {
  const s = p.s;
  if (p.s.value === "...") {
    const spread = p.startNode();
    s.next();
    spread.argument = p.g.parseMaybeAssign(p);
    return p.finish(spread, "SpreadElement");
  }
  const prop = p.startNode();
  prop.method = false;
  let isAsync = false;
  if (s.kind === "name" && (s.value === "get" || s.value === "set" || s.value === "async")) {
    const next = p.peek();
    if (!(next.kind === "punct" && (next.value === ":" || next.value === "(" || next.value === "," || next.value === "}"))) {
      if (s.value !== "async" || next.newlineBefore || !(next.kind === "name" || next.kind === "string" || next.kind === "num")) throw new GiveUp("accessor or async method");
      isAsync = true;
      s.next();
    }
  }
  if (p.s.value === "*") throw new GiveUp("generator method");
  propertyName(p, prop);
  if (prop.key.type === "Identifier" && prop.key.name === "__proto__" || prop.key.type === "StringLiteral" && prop.key.value === "__proto__") throw new GiveUp("__proto__");
  if (p.s.value === "<") throw new GiveUp("generic object method");
  if (p.s.value === "(") {
    prop.kind = "method";
    prop.method = true;
    prop.id = null;
    prop.generator = false;
    prop.async = isAsync;
    p.g.functionRest(p, prop, { async: isAsync, superProperty: true, superCall: false, program: false }, false);
    return p.finish(prop, "ObjectMethod");
  }
  if (isAsync) throw new Mismatch("async property without a method");
  if (p.eat(":")) {
    prop.shorthand = false;
    prop.value = p.g.parseMaybeAssign(p);
    return p.finish(prop, "ObjectProperty");
  }
  if (prop.computed || prop.key.type !== "Identifier" || !(p.s.value === "," || p.s.value === "}")) throw new Mismatch("expected :");
  if (RESERVED.has(prop.key.name)) throw new GiveUp("reserved word as a shorthand");
  prop.shorthand = true;
  prop.value = cloneIdentifier(prop.key);
  return p.finish(prop, "ObjectProperty");
}

/** A property's key: a name, a string or number literal, or `[expression]`. Sets key and computed. */
export function propertyName(p: Parser, node: Node): void {
  const s = p.s;
  if (p.s.value === "[") {
    s.next();
    node.computed = true;
    node.key = p.g.parseMaybeAssign(p);
    p.expect("]");
    return;
  }
  if (s.kind === "name") node.key = p.identifierAny();
  else if (s.kind === "string") node.key = literal(p, "StringLiteral");
  else if (s.kind === "num") node.key = literal(p, "NumericLiteral");
  else if (s.kind === "private") throw new GiveUp("private name");
  else if (s.kind === "bigint") throw new GiveUp("bigint key");
  else throw new Mismatch("expected a property name");
  node.computed = false;
}

/** Babel's copy of an identifier (a shorthand property's value): the same position object. */
export function cloneIdentifier(id: Node): Node {
  return { type: id.type, start: id.start, end: id.end, loc: id.loc, range: undefined, name: id.name };
}
