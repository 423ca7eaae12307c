// Expressions, by precedence: sequence, assignment, conditional, binary operators (with `as`
// and `satisfies`), unary and update, member and call chains (with type arguments and `!`),
// then atoms (expression_atoms.ts).
import { GiveUp, Mismatch } from "./give_up.ts";
import type { Node, Parser } from "./parser.ts";
import { RESERVED } from "./words.ts";
import type { Position, TokenKind } from "./scanner.ts";

const ASSIGN = new Set(["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", ">>>=", "&=", "|=", "^=", "**=", "&&=", "||=", "??="]);
const PRECEDENCE: Record<string, number> = {
  "??": 1, "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "===": 6, "!==": 6,
  "<": 7, ">": 7, "<=": 7, ">=": 7, in: 7, instanceof: 7, "<<": 8, ">>": 8, ">>>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10, "**": 11,
};
const LOGICAL = new Set(["||", "&&", "??"]);
const UNARY = new Set(["!", "~", "+", "-", "typeof", "void", "delete"]);

/** `a, b`: a SequenceExpression when there is a comma. */
export function parseExpression(p: Parser, noIn = false): Node {
  const start = p.s.startLoc;
  const first = parseMaybeAssign(p, noIn);
  if (p.s.value !== ",") return first;
  const node = p.startNode(start);
  node.expressions = [first];
  while (p.eat(",")) node.expressions.push(parseMaybeAssign(p, noIn));
  return p.finish(node, "SequenceExpression");
}

export function parseMaybeAssign(p: Parser, noIn = false): Node {
  const start = p.s.startLoc;
  const left = parseConditional(p, noIn);
  if (p.s.kind !== "punct" || !ASSIGN.has(p.s.value)) return left;
  checkTarget(left);
  const node = p.startNode(start);
  node.operator = p.s.value;
  node.left = left;
  p.s.next();
  node.right = parseMaybeAssign(p, noIn);
  return p.finish(node, "AssignmentExpression");
}

/** What may be assigned to or updated, in the forms the lean parser handles. */
export function checkTarget(node: Node): void {
  if (node.extra?.parenthesized) throw new GiveUp("parenthesized assignment target");
  if (node.type === "Identifier") {
    if (RESERVED.has(node.name)) throw new GiveUp("reserved word as a target");
    return;
  }
  if (node.type === "MemberExpression") return;
  throw new GiveUp(`assignment to ${node.type}`);
}

function parseConditional(p: Parser, noIn: boolean): Node {
  const start = p.s.startLoc;
  const test = parseExprOps(p, noIn);
  if (p.s.value !== "?") return test;
  const node = p.startNode(start);
  p.s.next();
  node.test = test;
  p.inConsequent++;
  try {
    node.consequent = parseMaybeAssign(p);
  } finally {
    p.inConsequent--;
  }
  p.expect(":");
  node.alternate = parseMaybeAssign(p, noIn);
  return p.finish(node, "ConditionalExpression");
}

function parseExprOps(p: Parser, noIn: boolean): Node {
  const start = p.s.startLoc;
  const left = parseMaybeUnary(p);
  if (left.type === "ArrowFunctionExpression" && !left.extra?.parenthesized) return left;
  return parseExprOp(p, left, start, -1, noIn);
}

/** Binary operators after `left`, which starts at `leftStart` (before any parenthesis around it). */
function parseExprOp(p: Parser, left: Node, leftStart: Position, minPrec: number, noIn: boolean): Node {
  for (;;) {
    const s = p.s;
    if (s.kind === "name" && (s.value === "as" || s.value === "satisfies") && !s.newlineBefore && 7 > minPrec) {
      const kind = s.value === "as" ? "TSAsExpression" : "TSSatisfiesExpression";
      s.next();
      const node = p.startNode(leftStart);
      node.expression = left;
      if (p.isName("const")) {
        if (kind !== "TSAsExpression") throw new GiveUp("satisfies const");
        const ref = p.startNode();
        ref.typeName = p.identifierAny();
        node.typeAnnotation = p.finish(ref, "TSTypeReference");
      } else node.typeAnnotation = p.g.parseType(p);
      left = p.finish(node, kind);
      continue;
    }
    const op = s.kind === "punct" || (s.kind === "name" && (s.value === "in" || s.value === "instanceof")) ? s.value : "";
    const prec = PRECEDENCE[op];
    if (prec === undefined || prec <= minPrec || (noIn && op === "in")) return left;
    if (op === "**" && (left.type === "UnaryExpression" || left.type === "AwaitExpression") && !left.extra?.parenthesized) throw new GiveUp("unary before **");
    s.next();
    const rightStart = s.startLoc;
    const right = parseExprOp(p, parseMaybeUnary(p), rightStart, op === "**" ? prec - 1 : prec, noIn);
    if (op === "??" || op === "||" || op === "&&") {
      for (const side of [left, right]) {
        if (side.type === "LogicalExpression" && !side.extra?.parenthesized && (side.operator === "??") !== (op === "??")) throw new GiveUp("?? mixed with || or &&");
      }
    }
    const node = p.startNode(leftStart);
    node.left = left;
    node.operator = op;
    node.right = right;
    left = p.finish(node, LOGICAL.has(op) ? "LogicalExpression" : "BinaryExpression");
  }
}

export function parseMaybeUnary(p: Parser): Node {
  const s = p.s;
  if (s.kind === "name" && s.value === "await") {
    if (!p.fn.async) throw new GiveUp("await outside an async function");
    if (p.fn.program) p.topLevelAwait = true;
    const node = p.startNode();
    s.next();
    node.argument = parseMaybeUnary(p);
    return p.finish(node, "AwaitExpression");
  }
  if ((s.kind === "punct" || s.kind === "name") && UNARY.has(s.value)) {
    const node = p.startNode();
    node.operator = s.value;
    node.prefix = true;
    s.next();
    node.argument = parseMaybeUnary(p);
    if (node.operator === "delete" && (node.argument.type !== "MemberExpression" || node.argument.property.type === "PrivateName")) throw new GiveUp("delete of a name");
    return p.finish(node, "UnaryExpression");
  }
  if (s.kind === "punct" && (s.value === "++" || s.value === "--")) {
    const node = p.startNode();
    node.operator = s.value;
    node.prefix = true;
    s.next();
    node.argument = parseMaybeUnary(p);
    checkTarget(node.argument);
    return p.finish(node, "UpdateExpression");
  }
  if (s.kind === "punct" && s.value === "<") throw new GiveUp("type assertion");
  const start = s.startLoc;
  let expr = parseExprSubscripts(p);
  while (s.kind === "punct" && (s.value === "++" || s.value === "--") && !s.newlineBefore) {
    checkTarget(expr);
    const node = p.startNode(start);
    node.operator = s.value;
    node.prefix = false;
    node.argument = expr;
    s.next();
    expr = p.finish(node, "UpdateExpression");
  }
  return expr;
}

function parseExprSubscripts(p: Parser): Node {
  const start = p.s.startLoc;
  const base = p.g.parseAtom(p);
  if (base.type === "ArrowFunctionExpression") return base;
  return parseSubscripts(p, base, start, false);
}

/**
 * Members, calls, `!` and type arguments after `base`, which starts at `start`; with noCalls,
 * stops before a call (`new`'s callee).
 */
export function parseSubscripts(p: Parser, base: Node, start: Position, noCalls: boolean): Node {
  const s = p.s;
  let chain = false;
  for (;;) {
    if (s.kind === "template") throw new GiveUp("tagged template");
    if (s.kind !== "punct") return base;
    switch (s.value) {
      case "?.": {
        if (noCalls) throw new GiveUp("optional chain in new");
        chain = true;
        s.next();
        if (p.s.value === "(") {
          base = call(p, base, start, "OptionalCallExpression", true);
        } else if (p.s.value === "[") {
          base = member(p, base, start, true, "OptionalMemberExpression", true);
        } else if ((s.kind as TokenKind) === "name") {
          base = member(p, base, start, false, "OptionalMemberExpression", true);
        } else throw new GiveUp("?. followed by something else");
        continue;
      }
      case ".":
        s.next();
        if ((s.kind as TokenKind) === "private") {
          if (chain) throw new GiveUp("private name in an optional chain");
          const node = p.startNode(start);
          node.object = base;
          node.computed = false;
          node.property = p.privateName(true);
          base = p.finish(node, "MemberExpression");
          continue;
        }
        base = member(p, base, start, false, chain ? "OptionalMemberExpression" : "MemberExpression", chain ? false : undefined);
        continue;
      case "[":
        base = member(p, base, start, true, chain ? "OptionalMemberExpression" : "MemberExpression", chain ? false : undefined);
        continue;
      case "!": {
        if (s.newlineBefore) return base;
        if (chain) throw new GiveUp("! in an optional chain");
        const node = p.startNode(start);
        s.next();
        node.expression = base;
        base = p.finish(node, "TSNonNullExpression");
        continue;
      }
      case "(":
        if (noCalls) return base;
        base = call(p, base, start, chain ? "OptionalCallExpression" : "CallExpression", chain ? false : undefined);
        continue;
      case "<":
      case "<<": {
        if (s.value === "<<") {
          // Babel reads `<<` here as `<` and a generic function type's `<T`: give up where that could be.
          const next = p.peek();
          if (next.kind === "name") {
            const saved = s.save();
            s.next();
            s.next();
            const after = s.value;
            s.restore(saved);
            if ([",", ">", "=", "extends", ">>", ">=", ">>>", ">>="].includes(after)) throw new GiveUp("<< that may open type parameters");
          }
          return base;
        }
        const typeArguments = p.attempt(() => {
          const args = p.g.parseTypeArguments(p);
          if (p.s.value !== "(") throw new GiveUp("type arguments not followed by a call");
          return args;
        });
        if (!typeArguments) return base;
        if (noCalls) return { instantiation: true, expression: base, typeArguments };
        if (chain) throw new GiveUp("type arguments in an optional chain");
        const node = p.startNode(start);
        node.callee = base;
        node.arguments = callArguments(p);
        node.typeArguments = typeArguments;
        base = p.finish(node, "CallExpression");
        continue;
      }
      default:
        return base;
    }
  }
}

function member(p: Parser, object: Node, start: Position, computed: boolean, type: string, optional: boolean | undefined): Node {
  const node = p.startNode(start);
  node.object = object;
  if (computed) {
    p.expect("[");
    node.computed = true;
    node.property = parseExpression(p);
    p.expect("]");
  } else {
    node.computed = false;
    node.property = p.identifierAny();
  }
  if (optional !== undefined) node.optional = optional;
  return p.finish(node, type);
}

function call(p: Parser, callee: Node, start: Position, type: string, optional: boolean | undefined): Node {
  if (callee.type === "Identifier" && callee.name === "async" && !p.s.newlineBefore) throw new GiveUp("async arrow");
  const node = p.startNode(start);
  node.callee = callee;
  if (optional !== undefined) node.optional = optional;
  node.arguments = optional ? callArguments(p) : callArguments(p, node);
  return p.finish(node, type);
}

/** `(a, ...b,)`: the arguments of a call or `new`; a trailing comma is noted on `node` if given. */
export function callArguments(p: Parser, node?: Node): Node[] {
  p.expect("(");
  const args: Node[] = [];
  while (p.s.value !== ")") {
    if (p.s.value === "...") {
      const spread = p.startNode();
      p.s.next();
      spread.argument = parseMaybeAssign(p);
      args.push(p.finish(spread, "SpreadElement"));
    } else args.push(parseMaybeAssign(p));
    if (p.s.value === ")") break;
    p.expect(",");
    if (p.s.value === ")") {
      if (node) p.addExtra(node, "trailingComma", p.s.lastEnd - 1);
      break;
    }
  }
  p.expect(")");
  return args;
}

/** `new X<T>(...)`, `new X`, `new a.b(...)`. */
export function parseNew(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  if (p.s.value === ".") throw new GiveUp("new.target");
  if (p.isName("import") || p.isName("super")) throw new GiveUp("new import/super");
  const start = p.s.startLoc;
  const atom = p.g.parseAtom(p);
  if (atom.type === "ArrowFunctionExpression") throw new Mismatch("new with an arrow");
  const callee = parseSubscripts(p, atom, start, true);
  if (callee.instantiation) {
    node.callee = callee.expression;
    node.typeArguments = callee.typeArguments;
  } else node.callee = callee;
  node.arguments = p.s.value === "(" ? callArguments(p) : [];
  return p.finish(node, "NewExpression");
}
