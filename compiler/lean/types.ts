// TypeScript types: annotations, type arguments, interfaces and type aliases, in the forms
// tracer scripts use (names, keywords, literals, arrays, unions, tuples, object types).
// Inside a speculative read (`a < b` as type arguments) a token no type can have is a Mismatch;
// syntax a type can have but this parser does not read (function types, keyof...) gives up.
import { GiveUp, Mismatch } from "./give_up.ts";
import type { Node, Parser } from "./parser.ts";
import { RESERVED } from "./words.ts";

const KEYWORD_TYPES: Record<string, string> = {
  any: "TSAnyKeyword", boolean: "TSBooleanKeyword", bigint: "TSBigIntKeyword", never: "TSNeverKeyword", number: "TSNumberKeyword",
  object: "TSObjectKeyword", string: "TSStringKeyword", symbol: "TSSymbolKeyword", undefined: "TSUndefinedKeyword", unknown: "TSUnknownKeyword",
};
/** Words a type may start with that this parser does not read. */
const UNHANDLED = new Set(["typeof", "keyof", "unique", "readonly", "infer", "import", "asserts", "abstract"]);
/** JavaScript keywords, which no type starts with (Babel's keyword tokens, less those types use). */
const NOT_A_TYPE = new Set(["break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else",
  "export", "extends", "finally", "for", "function", "if", "in", "instanceof", "return", "super", "switch", "throw", "try", "var", "while", "with"]);

/** `: type` (or a function type's `=> type`); for a return type, type predicates give up. */
export function parseTypeAnnotation(p: Parser, isReturn = false, token = ":"): Node {
  const node = p.startNode();
  p.expect(token);
  if (isReturn && p.s.kind === "name") {
    const next = p.peek();
    if (!next.newlineBefore && ((p.s.value === "asserts" && next.kind === "name") || next.value === "is")) throw new GiveUp("type predicate");
  }
  node.typeAnnotation = parseType(p);
  return p.finish(node, "TSTypeAnnotation");
}

export function parseType(p: Parser): Node {
  if (p.s.value === "<") throw new GiveUp("generic function type");
  if (p.isName("new")) {
    const next = p.peek();
    if (next.value === "(" || next.value === "<") throw new GiveUp("constructor type");
    throw new Mismatch("new in a type");
  }
  const type = unionOrIntersection(p, "TSUnionType", "|", () => unionOrIntersection(p, "TSIntersectionType", "&", () => arrayOrHigher(p)));
  if (p.isName("extends") && !p.s.newlineBefore) throw new GiveUp("conditional type");
  return type;
}

function unionOrIntersection(p: Parser, kind: string, operator: string, constituent: () => Node): Node {
  const node = p.startNode();
  const leading = p.eat(operator);
  const types: Node[] = [];
  do types.push(constituent()); while (p.eat(operator));
  if (types.length === 1 && !leading) return types[0];
  node.types = types;
  return p.finish(node, kind);
}

function arrayOrHigher(p: Parser): Node {
  if (p.s.kind === "name" && UNHANDLED.has(p.s.value)) throw new GiveUp(`type ${p.s.value}`);
  const start = p.s.startLoc;
  let type = nonArrayType(p);
  while (!p.s.newlineBefore && p.s.value === "[") {
    const node = p.startNode(start);
    p.s.next();
    if (p.eat("]")) {
      node.elementType = type;
      type = p.finish(node, "TSArrayType");
    } else {
      node.objectType = type;
      node.indexType = parseType(p);
      p.expect("]");
      type = p.finish(node, "TSIndexedAccessType");
    }
  }
  return type;
}

function nonArrayType(p: Parser): Node {
  const s = p.s;
  switch (s.kind) {
    case "string": case "num": case "bigint": return literalType(p, () => p.g.parseLiteral(p));
    case "template": throw new GiveUp("template literal type");
    case "name": break;
    case "punct":
      switch (s.value) {
        case "-": {
          const next = p.peek();
          if (next.kind !== "num" && next.kind !== "bigint") throw new Mismatch("- in a type");
          return literalType(p, () => p.g.parseMaybeUnary(p));
        }
        case "{": return typeLiteral(p);
        case "[": return tuple(p);
        case "(": return parenthesized(p);
      }
      throw new Mismatch(`${s.value} cannot start a type`);
    default: throw new Mismatch("not a type");
  }
  const word = s.value;
  if (word === "true" || word === "false") return literalType(p, () => p.g.parseLiteral(p));
  if (word === "this") {
    if (p.peek().value === ".") throw new Mismatch("this. in a type");
    throw new GiveUp("this type");
  }
  if (NOT_A_TYPE.has(word)) throw new Mismatch(`${word} in a type`);
  if (UNHANDLED.has(word)) throw new GiveUp(`type ${word}`);
  const keyword = word === "void" ? "TSVoidKeyword" : word === "null" ? "TSNullKeyword" : KEYWORD_TYPES[word];
  if (keyword && !p.peek().value.startsWith(".")) {
    const node = p.startNode();
    s.next();
    return p.finish(node, keyword);
  }
  if (word === "void" || word === "null" || word === "new") throw new GiveUp(`${word}. in a type`);
  return typeReference(p);
}

function literalType(p: Parser, literal: () => Node): Node {
  const node = p.startNode();
  node.literal = literal();
  return p.finish(node, "TSLiteralType");
}

function typeReference(p: Parser): Node {
  const node = p.startNode();
  let name = typeName(p);
  while (p.s.value === ".") {
    const q = p.startAt(name);
    p.s.next();
    q.left = name;
    q.right = typeName(p);
    name = p.finish(q, "TSQualifiedName");
  }
  node.typeName = name;
  if (!p.s.newlineBefore && p.s.value === "<") node.typeArguments = parseTypeArguments(p);
  return p.finish(node, "TSTypeReference");
}

function typeName(p: Parser): Node {
  if (p.s.kind !== "name") throw new Mismatch("expected a type name");
  if (RESERVED.has(p.s.value)) throw new GiveUp(`reserved word ${p.s.value} in a type`);
  return p.identifierAny();
}

/** `<T, U>`: type arguments (the current token is `<`). */
export function parseTypeArguments(p: Parser): Node {
  const node = p.startNode();
  p.expect("<");
  const params: Node[] = [];
  while (!closesAngle(p)) {
    params.push(parseType(p));
    if (!p.eat(",")) break;
  }
  if (!params.length) throw new Mismatch("empty type arguments");
  if (!closesAngle(p)) throw new Mismatch("expected >");
  if (p.s.value !== ">") p.s.splitGreater();
  node.params = params;
  p.s.next();
  return p.finish(node, "TSTypeParameterInstantiation");
}

function closesAngle(p: Parser): boolean {
  return p.s.kind === "punct" && p.s.value.startsWith(">");
}

/** `(`: a function type `(a: T) => U`, or a type in parentheses. */
function parenthesized(p: Parser): Node {
  const saved = p.s.save();
  p.s.next();
  let fn = p.s.value === ")" || p.s.value === "...";
  if (p.s.value === "{" || p.s.value === "[") throw new GiveUp("pattern in a function type");
  if (!fn && p.s.kind === "name") {
    p.s.next();
    fn = [":", ",", "?", "="].includes(p.s.value) || (p.s.value === ")" && p.peek().value === "=>");
  }
  p.s.restore(saved);
  if (fn) return functionType(p);
  const start = p.s.start;
  p.s.next();
  const type = parseType(p);
  p.expect(")");
  p.addExtra(type, "parenthesized", true);
  p.addExtra(type, "parenStart", start);
  return type;
}

function functionType(p: Parser): Node {
  const node = p.startNode();
  node.typeParameters = undefined;
  node.params = signatureParams(p);
  node.returnType = parseTypeAnnotation(p, true, "=>");
  return p.finish(node, "TSFunctionType");
}

function typeLiteral(p: Parser): Node {
  const node = p.startNode();
  node.members = typeMembers(p);
  return p.finish(node, "TSTypeLiteral");
}

/** `{ a: T; b?: U, c: V }`: the members of an object type or an interface. */
function typeMembers(p: Parser): Node[] {
  p.expect("{");
  const members: Node[] = [];
  while (p.s.value !== "}") {
    const s = p.s;
    if (s.kind !== "name" && s.kind !== "string" && s.kind !== "num") {
      if (s.kind === "punct" && ["[", "(", "<", "+", "-"].includes(s.value)) throw new GiveUp("signature or mapped type");
      throw new Mismatch("expected a member");
    }
    const node = p.startNode();
    // A member named `new` is built without `computed` by Babel: left to it.
    if (s.kind === "name" && s.value === "new") throw new GiveUp("member new");
    if (s.kind === "name" && ["readonly", "get", "set"].includes(s.value)) {
      const next = p.peek();
      const modifier = !next.newlineBefore && (next.kind === "name" || next.kind === "string" || next.kind === "num");
      const plainKey = next.kind === "punct" && [":", "?", ",", ";", "}", "("].includes(next.value);
      if (s.value === "readonly" && modifier) {
        node.readonly = true;
        s.next();
      } else if (!plainKey) throw new GiveUp(`member ${s.value}`);
    }
    p.g.propertyName(p, node);
    if (p.eat("?")) node.optional = true;
    if (p.s.value === "<") throw new GiveUp("generic method signature");
    if (p.s.value === "(") {
      if (node.readonly) throw new GiveUp("readonly method signature");
      members.push(methodSignature(p, node));
      continue;
    }
    if (p.s.value === ":") node.typeAnnotation = parseTypeAnnotation(p);
    memberSeparator(p);
    members.push(p.finish(node, "TSPropertySignature"));
  }
  p.s.next();
  return members;
}

/** `;`, `,`, a line break or the closing `}` after a member (Babel's tsParseTypeMemberSemicolon). */
function memberSeparator(p: Parser): void {
  if (!p.eat(",") && !p.eat(";") && !p.s.newlineBefore && p.s.value !== "}") throw new Mismatch("expected ; between members");
}

/** `name(params): type` in an object type or interface (its key read already). */
function methodSignature(p: Parser, node: Node): Node {
  node.typeParameters = undefined;
  node.params = signatureParams(p);
  if (p.s.value === ":") node.returnType = parseTypeAnnotation(p, true);
  memberSeparator(p);
  node.kind = "method";
  return p.finish(node, "TSMethodSignature");
}

/** A signature's parameters: names (and rests) with types; defaults and repeated names give up. */
function signatureParams(p: Parser): Node[] {
  const params = p.g.parseParams(p, false);
  const names = new Set<string>();
  for (const param of params) {
    const id = param.type === "RestElement" ? param.argument : param;
    if (id.type !== "Identifier" || names.has(id.name)) throw new GiveUp("signature parameter");
    names.add(id.name);
  }
  return params;
}

function tuple(p: Parser): Node {
  const node = p.startNode();
  p.expect("[");
  const elementTypes: Node[] = [];
  while (p.s.value !== "]") {
    if (p.s.value === "...") throw new GiveUp("rest in a tuple");
    if (p.s.kind === "name" && [":", "?"].includes(p.peek().value)) throw new GiveUp("named tuple member");
    elementTypes.push(parseType(p));
    if (p.s.value === "?") throw new GiveUp("optional tuple member");
    if (!p.eat(",")) break;
  }
  p.expect("]");
  node.elementTypes = elementTypes;
  return p.finish(node, "TSTupleType");
}

/** `interface Name [extends A, B] { members }` (the current token is `interface`). */
export function parseInterface(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  if (p.s.newlineBefore) throw new GiveUp("interface before a line break");
  node.id = p.identifier();
  p.declare(node.id.name, "other");
  if (p.s.value === "<") throw new GiveUp("interface type parameters");
  node.typeParameters = undefined;
  if (p.eat("extends")) {
    const heritage: Node[] = [];
    do {
      const h = p.startNode();
      h.expression = p.identifier();
      if (p.s.value === ".") throw new GiveUp("qualified heritage");
      if (p.s.value === "<") h.typeArguments = parseTypeArguments(p);
      heritage.push(p.finish(h, "TSInterfaceHeritage"));
    } while (p.eat(","));
    node.extends = heritage;
  }
  const body = p.startNode();
  body.body = typeMembers(p);
  node.body = p.finish(body, "TSInterfaceBody");
  return p.finish(node, "TSInterfaceDeclaration");
}

/** `type Name = T;` (the current token is `type`). */
export function parseTypeAlias(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  node.id = p.identifier();
  p.declare(node.id.name, "other");
  if (p.s.value === "<") throw new GiveUp("type alias parameters");
  node.typeParameters = undefined;
  p.expect("=");
  if (p.isName("intrinsic")) throw new GiveUp("intrinsic");
  node.typeAnnotation = parseType(p);
  p.semicolon();
  return p.finish(node, "TSTypeAliasDeclaration");
}
