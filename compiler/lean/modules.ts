// `import ... from "m"` and `export <declaration>`; other forms (export lists, defaults,
// `import type`, `import x = require()`) give up.
import { GiveUp } from "./give_up.ts";
import type { Node, Parser } from "./parser.ts";

export function parseImport(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  node.importKind = "value";
  if (p.isName("type")) {
    const next = p.peek();
    if (!(next.value === "{" || next.value === "*" || (next.kind === "name" && next.value !== "from"))) throw new GiveUp("import type puzzle");
    node.importKind = "type";
    p.s.next();
  }
  const specifiers: Node[] = node.specifiers = [];
  if (p.s.kind !== "string") {
    if (p.isName("typeof") || p.isName("defer") || p.isName("source")) throw new GiveUp("import phase");
    if (p.s.kind === "name" && p.peek().value === "=") throw new GiveUp("import =");
    let named = true;
    if (p.s.kind === "name") {
      specifiers.push(local(p, p.startNode(), "ImportDefaultSpecifier"));
      named = p.eat(",");
    }
    if (named && p.s.value === "*") {
      const specifier = p.startNode();
      p.s.next();
      p.expect("as");
      specifiers.push(local(p, specifier, "ImportNamespaceSpecifier"));
    } else if (named) namedSpecifiers(p, specifiers, node.importKind === "type");
    p.expect("from");
    if (node.importKind === "type" && specifiers.length > 1 && specifiers[0].type === "ImportDefaultSpecifier") throw new GiveUp("type import of a default and names");
  }
  if (p.s.kind !== "string") throw new GiveUp("import source");
  node.source = p.g.parseLiteral(p);
  if (p.isName("with") || p.isName("assert")) throw new GiveUp("import attributes");
  node.attributes = [];
  p.semicolon();
  return p.finish(node, "ImportDeclaration");
}

function local(p: Parser, specifier: Node, type: string): Node {
  specifier.local = p.identifier();
  p.declare(specifier.local.name, "other");
  return p.finish(specifier, type);
}

function namedSpecifiers(p: Parser, specifiers: Node[], typeImport: boolean): void {
  p.expect("{");
  let first = true;
  while (!p.eat("}")) {
    if (first) first = false;
    else {
      p.expect(",");
      if (p.eat("}")) break;
    }
    if (p.s.kind !== "name") throw new GiveUp("import specifier");
    const specifier = p.startNode();
    let kind = "value";
    if (p.isName("type")) {
      // `type X [as Y]`: a type-only specifier; `type as ...`, `type,` are Babel's puzzles.
      const next = p.peek();
      if (next.kind !== "name" || next.value === "as" || typeImport) throw new GiveUp("import specifier named type");
      p.s.next();
      kind = "type";
    }
    specifier.imported = p.identifierAny();
    specifier.importKind = kind;
    if (p.eat("as")) specifier.local = p.identifier();
    else {
      p.identifierCheck(specifier.imported.name);
      specifier.local = p.g.cloneIdentifier(specifier.imported);
    }
    p.declare(specifier.local.name, "other");
    specifiers.push(p.finish(specifier, "ImportSpecifier"));
  }
}

const DECLARATIONS = new Set(["const", "let", "var", "function", "class", "interface", "type", "async"]);

export function parseExport(p: Parser): Node {
  const node = p.startNode();
  p.s.next();
  if (p.s.kind !== "name" || !DECLARATIONS.has(p.s.value)) throw new GiveUp("export form");
  const next = p.peek();
  if (p.isName("async") && !(next.value === "function" && !next.newlineBefore)) throw new GiveUp("export async");
  if ((p.isName("type") || p.isName("interface")) && (next.kind !== "name" || next.newlineBefore)) throw new GiveUp("export type");
  node.exportKind = "value";
  node.specifiers = [];
  node.source = null;
  node.attributes = [];
  node.declaration = p.g.parseStatement(p, true);
  const t = node.declaration.type;
  if (t === "TSInterfaceDeclaration" || t === "TSTypeAliasDeclaration") node.exportKind = "type";
  return p.finish(node, "ExportNamedDeclaration");
}
