// The lean parser's state: the scanner, the node builder (nodes shaped and ordered exactly as
// Babel builds them: type, start, end, loc, then fields in the order Babel assigns them), the
// context rules Babel checks (where return, break, await, super may appear), and the scopes it
// checks redeclarations in. Where a rule is not followed exactly, the parser gives up.
import { GiveUp, Mismatch } from "./give_up.ts";
import { type Position, Scanner } from "./scanner.ts";
import type { Grammar } from "./grammar.ts";
import { RESERVED } from "./words.ts";

// deno-lint-ignore no-explicit-any
export type Node = any;

export interface FunctionContext {
  async: boolean;
  /** `super.x` may appear (a method, a field's initialiser, an arrow inside one). */
  superProperty: boolean;
  /** `super(...)` may appear (a derived class's constructor, an arrow inside one). */
  superCall: boolean;
  /** The program itself: `return` is refused, `await` is top-level await. */
  program: boolean;
}

interface Label {
  name: string;
  loop: boolean;
}

/** One scope's bindings: `var` may be declared again, anything else not. */
type Scope = { names: Map<string, "var" | "other">; function: boolean };

export class Parser {
  readonly s: Scanner;
  fn: FunctionContext = { async: true, superProperty: false, superCall: false, program: true };
  labels: Label[] = [];
  /** Loops and switches around the statement being parsed, in this function. */
  breakable = 0;
  loops = 0;
  /** Inside a conditional's consequent: `a ? (b): c => d` is a case Babel resolves in its own way. */
  inConsequent = 0;
  topLevelAwait = false;
  readonly scopes: Scope[] = [];
  readonly privateNames: { declared: Set<string>; used: string[] }[] = [];

  /** `g`: the productions, by which the grammar's files call each other (grammar.ts). */
  constructor(src: string, readonly g: Grammar) {
    this.s = new Scanner(src);
  }

  // Nodes.

  startNode(start: Position = this.s.startLoc): Node {
    return { type: "", start: start.index, end: 0, loc: { start, end: undefined } };
  }

  finish(node: Node, type: string): Node {
    node.type = type;
    node.end = this.s.lastEnd;
    node.loc.end = this.s.lastEndLoc;
    return node;
  }

  /** A node starting where another starts (a binary expression at its left operand). */
  startAt(other: Node): Node {
    return this.startNode(other.loc.start);
  }

  /** Moves a finished node's end (Babel's resetEndLocation). */
  resetEnd(node: Node, end: Position = this.s.lastEndLoc): void {
    node.end = end.index;
    node.loc.end = end;
  }

  addExtra(node: Node, key: string, value: unknown): void {
    (node.extra ??= {})[key] = value;
  }

  // Tokens.

  // A punctuator is tested as `p.s.value === "("`: no other token has a punctuator's text as its
  // value (names are words, literals keep their quotes or digits, a regular expression its
  // slashes). Inline, not a method: see Scanner's startLoc.

  isName(value?: string): boolean {
    return this.s.kind === "name" && (value === undefined || this.s.value === value);
  }

  /** Moves past the punctuator or word `value` if it is the current token. */
  eat(value: string): boolean {
    const s = this.s;
    if (s.value !== value || (s.kind !== "punct" && s.kind !== "name")) return false;
    s.next();
    return true;
  }

  expect(value: string): void {
    const s = this.s;
    if (s.value !== value || (s.kind !== "punct" && s.kind !== "name")) throw new Mismatch(`expected ${value}`);
    s.next();
  }

  /** A statement's end: a `;`, or a line break, `}` or the end of the source before the next token. */
  semicolon(): void {
    if (this.eat(";")) return;
    if (this.s.value === "}" || this.s.kind === "eof" || this.s.newlineBefore) return;
    throw new Mismatch("expected ;");
  }

  /** What the next token is, without moving (one character of look-ahead is all the callers need). */
  peekChar(): string {
    let i = this.s.end;
    const src = this.s.src;
    while (i < src.length && (src[i] === " " || src[i] === "\t")) i++;
    return src[i] ?? "";
  }

  /** The token after the current one, by speculative scanning. */
  peek(): { kind: string; value: string; newlineBefore: boolean } {
    const saved = this.s.save();
    this.s.next();
    const out = { kind: this.s.kind, value: this.s.value, newlineBefore: this.s.newlineBefore };
    this.s.restore(saved);
    return out;
  }

  /**
   * Tries one reading of the source; on a token that rules it out, rewinds and returns undefined.
   * Whatever the reading does not handle still gives up the whole parse.
   */
  attempt<T>(read: () => T): T | undefined {
    const saved = this.s.save();
    const state = { fn: this.fn, labels: this.labels, breakable: this.breakable, loops: this.loops, scopes: this.scopes.length, topLevelAwait: this.topLevelAwait };
    try {
      return read();
    } catch (e) {
      if (!(e instanceof Mismatch)) throw e;
      this.s.restore(saved);
      Object.assign(this, { fn: state.fn, labels: state.labels, breakable: state.breakable, loops: state.loops, topLevelAwait: state.topLevelAwait });
      this.scopes.length = state.scopes;
      return undefined;
    }
  }

  // Identifiers.

  /** An identifier that names a binding or a variable: reserved words refused. */
  identifier(): Node {
    if (this.s.kind !== "name") throw new Mismatch("expected a name");
    if (RESERVED.has(this.s.value)) throw new GiveUp(`reserved word ${this.s.value}`);
    return this.identifierAny();
  }

  /** Refuses a reserved word where a binding or variable is named. */
  identifierCheck(name: string): void {
    if (RESERVED.has(name)) throw new GiveUp(`reserved word ${name}`);
  }

  /** An identifier in a place any word may be: a property name, a member after `.`. */
  identifierAny(): Node {
    if (this.s.kind !== "name") throw new Mismatch("expected a name");
    const node = this.startNode();
    const name = this.s.value;
    this.s.next();
    this.finish(node, "Identifier");
    node.loc.identifierName = name;
    node.name = name;
    return node;
  }

  /** `#name`: declared by the class being parsed (declare), or used (checked when the classes end). */
  privateName(use: boolean): Node {
    if (this.s.kind !== "private") throw new Mismatch("expected a private name");
    const classes = this.privateNames;
    const top = classes[classes.length - 1];
    if (!top) throw new GiveUp("private name outside a class");
    const name = this.s.value;
    if (use) top.used.push(name);
    else {
      if (top.declared.has(name)) throw new GiveUp(`#${name} declared twice`);
      top.declared.add(name);
    }
    const node = this.startNode();
    const start = this.s.startLoc;
    const id = this.startNode({ line: start.line, column: start.column + 1, index: start.index + 1 });
    this.s.next();
    this.finish(id, "Identifier");
    id.loc.identifierName = name;
    id.name = name;
    node.id = id;
    return this.finish(node, "PrivateName");
  }

  enterClass(): void {
    this.privateNames.push({ declared: new Set(), used: [] });
  }

  /** Private names a class uses must be declared by it or a class around it. */
  exitClass(): void {
    const { declared, used } = this.privateNames.pop()!;
    const outer = this.privateNames[this.privateNames.length - 1];
    for (const name of used) {
      if (declared.has(name)) continue;
      if (!outer) throw new GiveUp(`#${name} is not declared`);
      outer.used.push(name);
    }
  }

  // Scopes.

  enterScope(isFunction: boolean): void {
    this.scopes.push({ names: new Map(), function: isFunction });
  }

  exitScope(): void {
    this.scopes.pop();
  }

  declare(name: string, kind: "var" | "other"): void {
    if (kind === "other") {
      const scope = this.scopes[this.scopes.length - 1];
      if (scope.names.has(name)) throw new GiveUp(`"${name}" declared twice`);
      scope.names.set(name, kind);
      return;
    }
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i], had = scope.names.get(name);
      if (had === "other") throw new GiveUp(`"${name}" declared twice`);
      scope.names.set(name, "var");
      if (scope.function) break;
    }
  }

  /** Declares the names a binding pattern binds. */
  declarePattern(node: Node, kind: "var" | "other"): void {
    switch (node.type) {
      case "Identifier": return this.declare(node.name, kind);
      case "AssignmentPattern": return this.declarePattern(node.left, kind);
      case "RestElement": return this.declarePattern(node.argument, kind);
      case "ObjectPattern": for (const p of node.properties) this.declarePattern(p.type === "RestElement" ? p : p.value, kind); return;
      case "ArrayPattern": for (const e of node.elements) if (e) this.declarePattern(e, kind); return;
      case "TSParameterProperty": return this.declarePattern(node.parameter, kind);
    }
    throw new GiveUp(`binding ${node.type}`);
  }

  /** Runs `body` as a new function: its own labels, loops and context. */
  inFunction<T>(fn: FunctionContext, body: () => T): T {
    const saved = { fn: this.fn, labels: this.labels, breakable: this.breakable, loops: this.loops, inConsequent: this.inConsequent };
    Object.assign(this, { fn, labels: [], breakable: 0, loops: 0, inConsequent: 0 });
    try {
      return body();
    } finally {
      Object.assign(this, saved);
    }
  }
}
