// Statements and declarations. A declaration in a single-statement position (`if (a) let x`),
// and TypeScript declarations the compiler never reads (enum, namespace, declare), give up.
import { GiveUp, Mismatch } from "./give_up.ts";
import type { Node, Parser } from "./parser.ts";
import { RESERVED } from "./words.ts";

const TS_DECLARATIONS = new Set(["enum", "declare", "abstract", "namespace", "module", "global"]);
const LOOPS = new Set(["for", "while", "do"]);

/** Statements until `end` (`}`, or `eof` for the program, or `case` for a switch case). */
export function parseStatementList(p: Parser, end: "}" | "eof" | "case", topLevel = false): Node[] {
  const body: Node[] = [];
  for (;;) {
    if (end === "eof" ? p.s.kind === "eof" : p.s.value === "}" || (end === "case" && (p.isName("case") || p.isName("default")))) return body;
    body.push(parseStatement(p, true, topLevel));
  }
}

export function parseStatement(p: Parser, listItem: boolean, topLevel = false): Node {
  const s = p.s;
  if (s.kind === "punct") {
    if (s.value === "{") return parseBlock(p, true);
    if (s.value === ";") {
      const node = p.startNode();
      s.next();
      return p.finish(node, "EmptyStatement");
    }
    if (s.value === "@") {
      if (!listItem) throw new GiveUp("decorated class here");
      return p.g.parseClass(p, "ClassDeclaration");
    }
  }
  if (s.kind === "name") {
    const declaration = (): void => {
      if (!listItem) throw new GiveUp("declaration in a single-statement position");
    };
    switch (s.value) {
      case "var": case "const": {
        if (s.value === "const") declaration();
        const node = parseVar(p, s.value, false, false);
        p.semicolon();
        return p.finish(node, "VariableDeclaration");
      }
      case "let": {
        const next = p.peek();
        if (!(next.kind === "name" || next.value === "{" || next.value === "[")) throw new GiveUp("let as a name");
        declaration();
        const node = parseVar(p, "let", false, false);
        p.semicolon();
        return p.finish(node, "VariableDeclaration");
      }
      case "if": return parseIf(p);
      case "for": return parseFor(p);
      case "while": return parseWhile(p);
      case "do": return parseDoWhile(p);
      case "return": return parseReturn(p);
      case "break": case "continue": return parseBreakContinue(p);
      case "throw": return parseThrow(p);
      case "try": return parseTry(p);
      case "switch": return parseSwitch(p);
      case "function":
        declaration();
        return p.g.parseFunction(p, "FunctionDeclaration", false, s.startLoc);
      case "class":
        declaration();
        return p.g.parseClass(p, "ClassDeclaration");
      case "import": {
        const next = p.peek();
        if (next.value === "(" || next.value === ".") break;
        if (!topLevel) throw new GiveUp("import here");
        return p.g.parseImport(p);
      }
      case "export":
        if (!topLevel) throw new GiveUp("export here");
        return p.g.parseExport(p);
      case "async": {
        const next = p.peek();
        if (next.kind === "name" && next.value === "function" && !next.newlineBefore) {
          declaration();
          const start = s.startLoc;
          s.next();
          return p.g.parseFunction(p, "FunctionDeclaration", true, start);
        }
        break;
      }
      case "interface": {
        declaration();
        return p.g.parseInterface(p);
      }
      case "type": {
        const next = p.peek();
        if (next.kind === "name" && !next.newlineBefore) {
          declaration();
          return p.g.parseTypeAlias(p);
        }
        break;
      }
      case "debugger": case "with": throw new GiveUp(s.value);
    }
    if (TS_DECLARATIONS.has(s.value)) {
      const next = p.peek();
      if (s.value === "enum" || (!next.newlineBefore && (next.kind === "name" || next.kind === "string"))) throw new GiveUp(`TypeScript ${s.value}`);
    }
    if (!RESERVED.has(s.value) && p.peekChar() === ":") {
      const next = p.peek();
      if (next.value === ":") return parseLabeled(p);
    }
  }
  const node = p.startNode();
  const expr = p.g.parseExpression(p);
  if (expr.type === "StringLiteral" && !expr.extra?.parenthesized) throw new GiveUp("directive");
  node.expression = expr;
  p.semicolon();
  return p.finish(node, "ExpressionStatement");
}

/** `{ ... }`; with newScope false, in the scope the caller opened (a catch clause's). */
export function parseBlock(p: Parser, newScope: boolean): Node {
  const node = p.startNode();
  p.expect("{");
  if (newScope) p.enterScope(false);
  try {
    node.body = parseStatementList(p, "}");
  } finally {
    if (newScope) p.exitScope();
  }
  node.directives = [];
  p.expect("}");
  return p.finish(node, "BlockStatement");
}

/** `var|let|const a: T = 1, b` without its `;` (a `for` head has none); not yet finished. */
export function parseVar(p: Parser, kind: string, noIn: boolean, inFor: boolean): Node {
  const node = p.startNode();
  p.s.next();
  const declarations: Node[] = node.declarations = [];
  node.kind = kind;
  for (;;) {
    const decl = p.startNode();
    const id = p.g.parseBindingAtom(p);
    if (p.s.value === "!") throw new GiveUp("definite assignment");
    if (p.s.value === ":") {
      id.typeAnnotation = p.g.parseTypeAnnotation(p);
      p.resetEnd(id);
    }
    decl.id = id;
    p.declarePattern(id, kind === "var" ? "var" : "other");
    if (p.eat("=")) decl.init = p.g.parseMaybeAssign(p, noIn);
    else {
      decl.init = null;
      if (!inFor && (kind === "const" || id.type !== "Identifier")) throw new GiveUp("declaration without a value");
    }
    declarations.push(p.finish(decl, "VariableDeclarator"));
    if (!p.eat(",")) return node;
  }
}

function header(p: Parser): Node {
  p.expect("(");
  const e = p.g.parseExpression(p);
  p.expect(")");
  return e;
}

/** A loop's or an if's body: a single statement. */
function body(p: Parser, loop: boolean): Node {
  if (loop) {
    p.loops++;
    p.breakable++;
  }
  try {
    return parseStatement(p, false);
  } finally {
    if (loop) {
      p.loops--;
      p.breakable--;
    }
  }
}

function parseIf(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  node.test = header(p);
  node.consequent = body(p, false);
  node.alternate = p.eat("else") ? body(p, false) : null;
  return p.finish(node, "IfStatement");
}

function parseWhile(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  node.test = header(p);
  node.body = body(p, true);
  return p.finish(node, "WhileStatement");
}

function parseDoWhile(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  node.body = body(p, true);
  p.expect("while");
  node.test = header(p);
  p.eat(";");
  return p.finish(node, "DoWhileStatement");
}

function parseFor(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  let isAwait = false;
  if (p.isName("await")) {
    if (!p.fn.async) throw new GiveUp("for await outside an async function");
    if (p.fn.program) p.topLevelAwait = true;
    isAwait = true;
    p.s.next();
  }
  p.expect("(");
  p.enterScope(false);
  try {
    let init: Node = null;
    if (p.s.value === ";") {
      // for (;;)
    } else if (p.isName("var") || p.isName("const") || (p.isName("let") && /[\w$[{]/.test(p.peekChar()))) {
      init = parseVar(p, p.s.value, true, true);
      p.finish(init, "VariableDeclaration");
    } else {
      if (p.isName("let") || p.isName("async")) throw new GiveUp("for (let|async");
      init = p.g.parseExpression(p, true);
    }
    if (init && (p.isName("of") || p.isName("in"))) {
      const of = p.isName("of");
      if (init.type === "VariableDeclaration") {
        if (init.declarations.length !== 1 || init.declarations[0].init) throw new GiveUp("for-in/of declaration");
      } else p.g.checkTarget(init);
      p.s.next();
      if (!of && isAwait) throw new GiveUp("for await without of");
      if (of) node.await = isAwait;
      node.left = init;
      node.right = of ? p.g.parseMaybeAssign(p) : p.g.parseExpression(p);
      p.expect(")");
      node.body = body(p, true);
      return p.finish(node, of ? "ForOfStatement" : "ForInStatement");
    }
    if (init?.type === "VariableDeclaration") {
      for (const d of init.declarations) if (!d.init && (init.kind === "const" || d.id.type !== "Identifier")) throw new GiveUp("declaration without a value");
    }
    if (isAwait) throw new GiveUp("for await without of");
    node.init = init;
    p.expect(";");
    node.test = p.s.value === ";" ? null : p.g.parseExpression(p);
    p.expect(";");
    node.update = p.s.value === ")" ? null : p.g.parseExpression(p);
    p.expect(")");
    node.body = body(p, true);
    return p.finish(node, "ForStatement");
  } finally {
    p.exitScope();
  }
}

/** `return`, `break` and `continue` end at a line break: is the statement over here? */
function lineTerminator(p: Parser): boolean {
  return p.eat(";") || p.s.value === "}" || p.s.kind === "eof" || p.s.newlineBefore;
}

function parseReturn(p: Parser): Node {
  if (p.fn.program) throw new GiveUp("return outside a function");
  const node = p.startNode();
  p.s.next();
  if (lineTerminator(p)) node.argument = null;
  else {
    node.argument = p.g.parseExpression(p);
    p.semicolon();
  }
  return p.finish(node, "ReturnStatement");
}

function parseBreakContinue(p: Parser): Node {
  const node = p.startNode();
  const isBreak = p.s.value === "break";
  p.s.next();
  if (lineTerminator(p)) {
    node.label = null;
    if (isBreak ? !p.breakable : !p.loops) throw new GiveUp(`${isBreak ? "break" : "continue"} outside a loop`);
  } else {
    node.label = p.identifier();
    p.semicolon();
    const label = p.labels.find((l) => l.name === node.label.name);
    if (!label || (!isBreak && !label.loop)) throw new GiveUp("unknown label");
  }
  return p.finish(node, isBreak ? "BreakStatement" : "ContinueStatement");
}

function parseThrow(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  if (p.s.newlineBefore) throw new GiveUp("line break after throw");
  node.argument = p.g.parseExpression(p);
  p.semicolon();
  return p.finish(node, "ThrowStatement");
}

function parseTry(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  node.block = parseBlock(p, true);
  node.handler = null;
  if (p.isName("catch")) {
    const clause = p.startNode();
    p.s.next();
    p.enterScope(false);
    try {
      if (p.eat("(")) {
        const param = p.identifier();
        if (p.s.value === ":") {
          param.typeAnnotation = p.g.parseTypeAnnotation(p);
          p.resetEnd(param);
          const t = param.typeAnnotation.typeAnnotation.type;
          if (t !== "TSUnknownKeyword" && t !== "TSAnyKeyword") throw new GiveUp("catch parameter type");
        }
        p.declare(param.name, "other");
        clause.param = param;
        p.expect(")");
      } else clause.param = null;
      clause.body = parseBlock(p, false);
    } finally {
      p.exitScope();
    }
    node.handler = p.finish(clause, "CatchClause");
  }
  node.finalizer = p.eat("finally") ? parseBlock(p, true) : null;
  if (!node.handler && !node.finalizer) throw new Mismatch("try without catch or finally");
  return p.finish(node, "TryStatement");
}

function parseSwitch(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  node.discriminant = header(p);
  const cases: Node[] = node.cases = [];
  p.expect("{");
  p.enterScope(false);
  p.breakable++;
  let sawDefault = false, cur: Node;
  try {
    while (p.s.value !== "}") {
      if (!(p.isName("case") || p.isName("default"))) throw new Mismatch("expected case");
      const isCase = p.isName("case");
      if (cur) p.finish(cur, "SwitchCase");
      cases.push(cur = p.startNode());
      cur.consequent = [];
      p.s.next();
      if (isCase) cur.test = p.g.parseExpression(p);
      else {
        if (sawDefault) throw new GiveUp("two defaults");
        sawDefault = true;
        cur.test = null;
      }
      p.expect(":");
      cur.consequent = parseStatementList(p, "case");
    }
  } finally {
    p.breakable--;
    p.exitScope();
  }
  if (cur) p.finish(cur, "SwitchCase");
  p.s.next();
  return p.finish(node, "SwitchStatement");
}

function parseLabeled(p: Parser): Node {
  const node = p.startNode();
  const label = p.identifier();
  p.expect(":");
  if (p.labels.some((l) => l.name === label.name)) throw new GiveUp("label declared twice");
  if (p.s.kind === "name" && !RESERVED.has(p.s.value) && p.peekChar() === ":") throw new GiveUp("nested labels");
  const loop = p.s.kind === "name" && LOOPS.has(p.s.value);
  p.labels = [...p.labels, { name: label.name, loop }];
  try {
    node.body = parseStatement(p, false);
  } finally {
    p.labels = p.labels.slice(0, -1);
  }
  node.label = label;
  return p.finish(node, "LabeledStatement");
}
