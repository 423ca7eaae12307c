// Class declarations: decorators, fields and methods, with the TypeScript modifiers in their
// canonical order. A member's leading comments are kept (map_doc.ts reads a map's doc comment).
import { GiveUp, Mismatch } from "./give_up.ts";
import type { Node, Parser } from "./parser.ts";

const MODIFIER_ORDER = ["accessibility", "static", "override", "readonly"];
const ACCESS = new Set(["public", "private", "protected"]);

export function parseClass(p: Parser, type: "ClassDeclaration"): Node {
  if (p.s.value === "@") throw new GiveUp("class decorator");
  const node = p.startNode();
  p.s.next();
  const id = p.identifier();
  p.declare(id.name, "other");
  node.id = id;
  if (p.s.value === "<") throw new GiveUp("class type parameters");
  if (p.eat("extends")) {
    const start = p.s.startLoc;
    const atom = p.g.parseAtom(p);
    if (atom.type === "ArrowFunctionExpression") throw new GiveUp("extends an arrow");
    node.superClass = p.g.parseSubscripts(p, atom, start, false);
    if (p.s.value === "<" || p.s.value === "<<") throw new GiveUp("super type arguments");
  } else node.superClass = null;
  if (p.isName("implements")) throw new GiveUp("implements");
  node.body = classBody(p, node.superClass !== null);
  return p.finish(node, type);
}

function classBody(p: Parser, derived: boolean): Node {
  p.enterClass();
  const body = p.startNode();
  const members: Node[] = body.body = [];
  p.expect("{");
  let decorators: Node[] = [], hadConstructor = false;
  while (p.s.value !== "}") {
    if (p.s.value === ";") {
      if (decorators.length) throw new GiveUp("; after a decorator");
      p.s.next();
      continue;
    }
    const comments = commentsBefore(p);
    if (p.s.value === "@") {
      decorators.push(decorator(p));
      continue;
    }
    const member = p.startNode();
    if (decorators.length) {
      member.decorators = decorators;
      member.start = decorators[0].start;
      member.loc.start = decorators[0].loc.start;
      decorators = [];
    }
    const leading = decoratorComments(member) ?? comments;
    classMember(p, member, derived);
    if (member.kind === "constructor") {
      if (hadConstructor) throw new GiveUp("two constructors");
      hadConstructor = true;
    }
    if (leading.length) member.leadingComments = leading;
    members.push(member);
  }
  if (decorators.length) throw new GiveUp("decorator at the end of a class");
  p.s.next();
  p.exitClass();
  return p.finish(body, "ClassBody");
}

/** The comments between the previous token and the current one (the last ones read). */
function commentsBefore(p: Parser): Node[] {
  const all = p.s.comments;
  let i = all.length;
  while (i > 0 && all[i - 1].start >= p.s.lastEnd) i--;
  return all.slice(i);
}

/** The comments before a decorated member's first decorator. */
function decoratorComments(member: Node): Node[] | undefined {
  if (!member.decorators) return undefined;
  return member.decorators[0].leading;
}

/** `@name` or `@name(arguments)`. */
function decorator(p: Parser): Node {
  const leading = commentsBefore(p);
  const node = p.startNode();
  p.s.next();
  const start = p.s.startLoc;
  if (p.s.value === "(") throw new GiveUp("parenthesized decorator");
  let expr = p.identifier();
  if (p.s.value === ".") throw new GiveUp("decorator member");
  if (p.s.value === "<" || p.s.value === "<<") throw new GiveUp("decorator type arguments");
  if (p.s.value === "(") {
    const call = p.startNode(start);
    call.callee = expr;
    call.arguments = p.g.callArguments(p);
    expr = p.finish(call, "CallExpression");
  }
  node.expression = expr;
  p.finish(node, "Decorator");
  Object.defineProperty(node, "leading", { value: leading, enumerable: false });
  return node;
}

/** Is the current word a modifier (followed, on its line, by what can follow one)? */
function isModifier(p: Parser): boolean {
  const next = p.peek();
  if (next.newlineBefore) {
    if (next.kind === "name" || next.kind === "string" || next.kind === "num") throw new GiveUp("modifier before a line break");
    return false;
  }
  if (next.kind === "name" || next.kind === "string" || next.kind === "num") return true;
  if (next.kind === "bigint" || next.kind === "private" || ["[", "{", "*", "..."].includes(next.value)) throw new GiveUp("modifier before an unusual key");
  return false;
}

function classMember(p: Parser, member: Node, derived: boolean): void {
  const s = p.s;
  let order = 0;
  for (;;) {
    if (s.kind !== "name") break;
    const word = s.value;
    const which = ACCESS.has(word) ? "accessibility" : word;
    if (["declare", "abstract", "accessor", "in", "out", "const"].includes(word) && isModifier(p)) throw new GiveUp(`modifier ${word}`);
    const rank = MODIFIER_ORDER.indexOf(which);
    if (rank < 0 || !isModifier(p)) break;
    if (rank < order) throw new GiveUp("modifiers out of order");
    order = rank + 1;
    member[which] = which === "accessibility" ? word : true;
    s.next();
  }
  if (member.static === undefined) member.static = false;
  if (p.s.value === "*") throw new GiveUp("generator method");
  let isAsync = false;
  if (p.isName("async") || p.isName("get") || p.isName("set")) {
    const next = p.peek();
    const plainKey = next.kind === "punct" && ["(", "=", ";", "}", ":", "?", "!", "<"].includes(next.value);
    if (!plainKey && !next.newlineBefore) {
      if (!p.isName("async")) throw new GiveUp("accessor");
      isAsync = true;
      s.next();
      if (p.s.value === "*") throw new GiveUp("async generator");
    } else if (!plainKey) throw new GiveUp("async/get/set before a line break");
  }
  const isPrivate = s.kind === "private";
  if (isPrivate) {
    if (member.accessibility || s.value === "constructor") throw new GiveUp("unusual private name");
    member.key = p.privateName(false);
  } else p.g.propertyName(p, member);
  const key = member.key;
  const keyName = key.type === "Identifier" ? key.name : key.type === "StringLiteral" ? key.value : undefined;
  if (member.computed && isAsync) throw new GiveUp("computed async method");
  if (p.s.value === "?" || p.s.value === "!") {
    if (p.s.value === "!") throw new GiveUp("definite field");
    s.next();
    member.optional = true;
  }
  if (p.s.value === "(" || p.s.value === "<") {
    if (p.s.value === "<") throw new GiveUp("method type parameters");
    if (member.optional) throw new GiveUp("optional method");
    if (member.readonly) throw new GiveUp("readonly method");
    const constructor = !member.static && !member.computed && keyName === "constructor";
    if (constructor && (isAsync || member.decorators || member.override)) throw new GiveUp("unusual constructor");
    if (member.static && keyName === "prototype") throw new GiveUp("static prototype");
    member.kind = constructor ? "constructor" : "method";
    member.id = null;
    member.generator = false;
    member.async = isAsync;
    p.g.functionRest(p, member, { async: isAsync, superProperty: true, superCall: constructor && derived, program: false }, constructor);
    p.finish(member, isPrivate ? "ClassPrivateMethod" : "ClassMethod");
    return;
  }
  if (isAsync) throw new Mismatch("async field");
  if (keyName === "constructor" || (member.static && keyName === "prototype")) throw new GiveUp(`field named ${keyName}`);
  if (p.s.value === ":") member.typeAnnotation = p.g.parseTypeAnnotation(p);
  if (p.eat("=")) {
    member.value = p.inFunction({ async: false, superProperty: true, superCall: false, program: false }, () => {
      p.enterScope(true);
      try {
        return p.g.parseMaybeAssign(p);
      } finally {
        p.exitScope();
      }
    });
  } else member.value = null;
  p.semicolon();
  p.finish(member, isPrivate ? "ClassPrivateProperty" : "ClassProperty");
}
