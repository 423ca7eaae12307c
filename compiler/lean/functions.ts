// Functions: declarations and expressions, arrow functions, methods' parameter lists and bodies.
import { GiveUp } from "./give_up.ts";
import type { Position } from "./scanner.ts";
import type { FunctionContext, Node, Parser } from "./parser.ts";

/** `function name(...) {...}` (the current token is `function`; `async` already read when isAsync). */
export function parseFunction(p: Parser, type: "FunctionDeclaration" | "FunctionExpression", isAsync: boolean, start: Position): Node {
  const node = p.startNode(start);
  p.expect("function");
  if (p.s.value === "*") throw new GiveUp("generator");
  let id = null;
  if (type === "FunctionDeclaration" || p.s.kind === "name") id = p.identifier();
  if (type === "FunctionDeclaration") p.declare(id.name, "other");
  node.id = id;
  node.generator = false;
  node.async = isAsync;
  if (p.s.value === "<") throw new GiveUp("type parameters");
  const fn = { async: isAsync, superProperty: false, superCall: false, program: false };
  functionRest(p, node, fn, false);
  return p.finish(node, type);
}

/** Parameters, return type and body of a function or method whose id/generator/async are set. */
export function functionRest(p: Parser, node: Node, fn: FunctionContext, constructor: boolean): void {
  p.inFunction(fn, () => {
    p.enterScope(true);
    try {
      node.params = parseParams(p, constructor);
      for (const param of node.params) p.declarePattern(param, "other");
      if (p.s.value === ":") node.returnType = p.g.parseTypeAnnotation(p, true);
      if (p.s.value !== "{") throw new GiveUp("function without a body");
      node.body = functionBody(p);
    } finally {
      p.exitScope();
    }
  });
}

/** `{ statements }` of a function, in the scope its parameters are in. */
function functionBody(p: Parser): Node {
  const body = p.startNode();
  p.expect("{");
  body.body = p.g.parseStatementList(p, "}");
  body.directives = [];
  p.expect("}");
  return p.finish(body, "BlockStatement");
}

/** `(a: u32, b = 1, ...rest)`; in a constructor, `private x: T` too (TSParameterProperty). */
export function parseParams(p: Parser, constructor: boolean): Node[] {
  p.expect("(");
  const params: Node[] = [];
  while (p.s.value !== ")") {
    if (p.s.value === "@") throw new GiveUp("parameter decorator");
    if (p.s.value === "...") {
      const rest = p.startNode();
      p.s.next();
      rest.argument = p.g.parseBindingAtom(p);
      p.finish(rest, "RestElement");
      typesOf(p, rest);
      params.push(rest);
      // "as string": TypeScript keeps the narrowing to "..." across the calls since.
      if ((p.s.value as string) !== ")") throw new GiveUp("rest parameter not last");
      break;
    }
    const start = p.s.startLoc;
    const modifiers = constructor ? parameterModifiers(p) : {};
    if (p.isName("this")) throw new GiveUp("this parameter");
    const left = p.g.parseBindingAtom(p);
    typesOf(p, left);
    let param = left;
    if (p.s.value === "=") {
      const pattern = p.startAt(left);
      p.s.next();
      pattern.left = left;
      pattern.right = p.g.parseMaybeAssign(p);
      param = p.finish(pattern, "AssignmentPattern");
    }
    if (Object.keys(modifiers).length) {
      if (param.type !== "Identifier" && !(param.type === "AssignmentPattern" && param.left.type === "Identifier")) throw new GiveUp("parameter property pattern");
      const pp = p.startNode(start);
      Object.assign(pp, modifiers);
      pp.parameter = param;
      param = p.finish(pp, "TSParameterProperty");
    }
    params.push(param);
    if (p.s.value !== ")") p.expect(",");
  }
  p.expect(")");
  return params;
}

function parameterModifiers(p: Parser): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.s.kind === "name" && ["public", "private", "protected"].includes(p.s.value) && followedByName(p)) {
    out.accessibility = p.s.value;
    p.s.next();
  }
  if (p.isName("readonly") || p.isName("override")) {
    if (followedByName(p)) throw new GiveUp("readonly/override parameter property");
  }
  return out;
}

function followedByName(p: Parser): boolean {
  const next = p.peek();
  return next.kind === "name" && !next.newlineBefore;
}

/** `?` and `: type` after a parameter (Babel's parseAssignableListItemTypes). */
function typesOf(p: Parser, param: Node): void {
  if (p.eat("?")) {
    if (param.type !== "Identifier") throw new GiveUp("optional pattern");
    param.optional = true;
  }
  if (p.s.value === ":") param.typeAnnotation = p.g.parseTypeAnnotation(p);
  p.resetEnd(param);
}

/** The rest of an arrow function, from `=>`: `node` starts where its parameters do. */
export function arrowFunction(p: Parser, node: Node, params: Node[], isAsync = false): Node {
  p.expect("=>");
  node.id = null;
  node.generator = false;
  node.async = isAsync;
  const fn = { async: isAsync, superProperty: p.fn.superProperty, superCall: p.fn.superCall, program: false };
  p.inFunction(fn, () => {
    p.enterScope(true);
    try {
      node.params = params;
      for (const param of params) p.declarePattern(param, "other");
      node.body = p.s.value === "{" ? functionBody(p) : p.g.parseMaybeAssign(p);
    } finally {
      p.exitScope();
    }
  });
  return p.finish(node, "ArrowFunctionExpression");
}
