// Pass 2: find the tracer classes, their maps and handlers, and the user's interfaces.
import { Code, didYouMean, type DiagnosticBag, type SourcePos } from "../spec/diagnostics.ts";
import { type Node, posOf } from "./parse.ts";
import type { ProbeRef } from "../spec/target.ts";
import { bool, INT_TYPES, kstackType, layoutStruct, type StructType, type Type, typeName, u64, i64, probeNameType, ustackType, cgroupType, ksymType, usymType, inetType } from "../spec/layout.ts";
import { ipv4Key, ipv6Key, type MapField, mapFieldOf } from "./map_fields.ts";
import { programArraySlots } from "./program_array.ts";
export type { MapField } from "./map_fields.ts";

/** A function the handlers may call: `function f(a: u32) {...}` or `const f = (a: u32) => ...`. */
export interface ScriptFunction {
  name: string;
  params: Node[];
  body: Node;
  returnType?: Node;
  node: Node;
}

export interface Handler {
  name: string;
  probe: ProbeRef;
  node: Node;
  pos: SourcePos;
  decoratorPos: SourcePos;
}

export interface TracerClass {
  name: string;
  maps: Map<string, MapField>;
  /** Map fields whose declaration was refused with an error: their uses in handlers say nothing more. */
  refusedMaps: Set<string>;
  /** Integer fields (`pid: u32 = 0`): read-only parameters of the handlers, fixed at start(). */
  params: Map<string, Type>;
  /** Plain methods, callable from handlers as `this.method(...)` (inlined). */
  methods: Map<string, ScriptFunction>;
  handlers: Handler[];
}

export interface Module {
  tracers: TracerClass[];
  types: TypeTable;
  functions: Map<string, ScriptFunction>;
  /** Top-level `const NAME = <expression>`: usable in handlers when the value is a constant. */
  constants: Map<string, Node>;
  /** Top-level let and var names: user-space state a handler can neither read nor change. */
  variables: Set<string>;
}

/** The type of a field initialised with a literal and not annotated: `verbose = false`. */
const LITERAL_TYPES: Record<string, Type> = { BooleanLiteral: bool, NumericLiteral: i64, BigIntLiteral: u64 };

/** Tracer's own members: a field or method of the same name would hide them (end() is meant to be overridden). */
const TRACER_MEMBERS = new Set(["start", "stop", "stopped", "lost", "dropped", "every", "metricsAddress", "handlerStats", "closeNow", "begin", "end", "attachSocket"]);
/** The Tracer methods a tracer is meant to override with a method of its own. */
const OVERRIDABLE = new Set(["begin", "end"]);

// Known before parsing (the runtime loads probe kinds by them): kept apart from this pass, which loads the parser.
export { PROBE_DECORATORS, RUNTIME_ARGUMENTS } from "./probe_decorators.ts";
import { PROBE_DECORATORS, RUNTIME_ARGUMENTS } from "./probe_decorators.ts";

/** Decorators called without arguments: `@socketFilter()`. */
const NO_ARGUMENTS = new Set(["socketFilter"]);


export function collect(ast: Node, diags: DiagnosticBag): Module {
  const types = new TypeTable(diags);
  const classes: Node[] = [];
  const functions = new Map<string, ScriptFunction>();
  const constants = new Map<string, Node>();
  const variables = new Set<string>();
  for (let stmt of ast.program.body) {
    if (stmt.type === "ExportNamedDeclaration" || stmt.type === "ExportDefaultDeclaration") stmt = stmt.declaration ?? stmt;
    if (stmt.type === "TSInterfaceDeclaration" || stmt.type === "TSTypeAliasDeclaration") types.declare(stmt);
    if (stmt.type === "ClassDeclaration") classes.push(stmt);
    // A tracer class may be declared in a top-level function, so its decorators can take the
    // function's parameters (a tool's pattern): `function counter(p: string) { class C ... }`.
    if (stmt.type === "FunctionDeclaration") for (const s of stmt.body.body) if (s.type === "ClassDeclaration") classes.push(s);
    // Async functions and generators too, so that a handler calling one is told why it cannot.
    if (stmt.type === "FunctionDeclaration" && stmt.id) {
      functions.set(stmt.id.name, { name: stmt.id.name, params: stmt.params, body: stmt.body, returnType: stmt.returnType, node: stmt });
    }
    if (stmt.type === "VariableDeclaration" && stmt.kind !== "const") {
      for (const d of stmt.declarations) if (d.id.type === "Identifier") variables.add(d.id.name);
    }
    if (stmt.type === "VariableDeclaration" && stmt.kind === "const") {
      for (const d of stmt.declarations) {
        const f = d.init;
        if (d.id.type === "Identifier" && (f?.type === "ArrowFunctionExpression" || f?.type === "FunctionExpression")) {
          functions.set(d.id.name, { name: d.id.name, params: f.params, body: f.body, returnType: f.returnType, node: f });
        } else if (d.id.type === "Identifier" && f) {
          constants.set(d.id.name, f);
        }
      }
    }
  }
  const tracers: TracerClass[] = [];
  const declared = new Map<string, SourcePos>();
  const topLevel = new Set(ast.program.body.map((s: Node) => s.type === "ExportNamedDeclaration" || s.type === "ExportDefaultDeclaration" ? s.declaration : s));
  const nested = decoratorsElsewhere(diags.source, ast.comments, classes) ? nestedClasses(ast.program, new Set(classes)) : [];
  const byName = new Map<string, Node>(classes.filter((c) => c.id).map((c) => [c.id.name, c]));
  for (const cls of [...classes, ...nested]) {
    const t = collectClass(withInherited(cls, byName), types, constants, diags, topLevel.has(cls));
    if (!t) continue;
    refuseImportedBase(cls, byName, ast.program, diags);
    // The runtime finds a tracer's handlers by its class name: two of one name would be confused.
    const pos = posOf(cls.id ?? cls), first = declared.get(t.name);
    if (first) {
      diags.error(Code.DuplicateTracer, pos, `two tracer classes are named "${t.name}" in this file, at ${first.line}:${first.column} and at ${pos.line}:${pos.column}`,
        "tsbpf finds a tracer's handlers by its class name: give each tracer class its own name");
      continue;
    }
    declared.set(t.name, pos);
    tracers.push(t);
  }
  return { tracers, types, functions, constants, variables };
}

/**
 * A class that extends another class of this file (`class Latency extends SysCount`) with the
 * members it inherits: the base's maps, parameters, handlers and methods, each but those the
 * class declares again (an override), as JavaScript's own inheritance gives its instance.
 */
function withInherited(cls: Node, byName: Map<string, Node>, seen = new Set<Node>()): Node {
  const base = cls.superClass?.type === "Identifier" ? byName.get(cls.superClass.name) : undefined;
  if (!base || seen.has(cls)) return cls;
  seen.add(cls);
  const own = new Set(cls.body.body.map((m: Node) => (m.key?.type === "Identifier" ? m.key.name : undefined)).filter(Boolean));
  const baseMembers = withInherited(base, byName, seen).body.body;
  const inherited = baseMembers.filter((m: Node) => !(m.key?.type === "Identifier" && own.has(m.key.name)) && m.kind !== "constructor");
  // `super.m()` in the class's own members calls the base's m, even where the class or a subclass
  // overrides it: the base's m is kept as a plain method under a name no script can write
  // ("Base.m"), and the call made to it.
  const overridden = new Map<string, Node>();
  for (const m of baseMembers) {
    if (m.type === "ClassMethod" && m.kind === "method" && !m.static && m.key?.type === "Identifier") overridden.set(m.key.name, m);
  }
  const hidden = new Map<string, string>();
  const ownMembers = overridden.size ? cls.body.body.map((m: Node) => callingSuper(m, overridden, hidden, cls.superClass.name)) : cls.body.body;
  const bases = [...hidden].map(([name, as]) => {
    const m = overridden.get(name)!;
    return { ...m, decorators: [], key: { ...m.key, name: as } };
  });
  return { ...cls, body: { ...cls.body, body: [...inherited, ...bases, ...ownMembers] } };
}

/** `node` with each `super.m` of an overridden `m` made `this["Base.m"]`; the names used are added to `hidden`. */
function callingSuper(node: Node, overridden: Map<string, Node>, hidden: Map<string, string>, baseName: string): Node {
  if (node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) {
    const items = node.map((n) => callingSuper(n, overridden, hidden, baseName));
    return items.some((n, i) => n !== node[i]) ? items : node;
  }
  if (node.type === "MemberExpression" && node.object?.type === "Super" && !node.computed && node.property?.type === "Identifier" && overridden.has(node.property.name)) {
    const as = `${baseName}.${node.property.name}`;
    hidden.set(node.property.name, as);
    return { ...node, object: { ...node.object, type: "ThisExpression" }, property: { ...node.property, name: as } };
  }
  let copy: Node | undefined;
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "leadingComments" || key === "trailingComments") continue;
    const v = node[key];
    if (v === null || typeof v !== "object") continue;
    const n = callingSuper(v, overridden, hidden, baseName);
    if (n !== v) (copy ??= { ...node })[key] = n;
  }
  return copy ?? node;
}

/**
 * A tracer class whose base is a class imported from another module (not tsbpf's Tracer): the
 * handlers are compiled from one file, so the base's maps, parameters and handlers would be
 * missing from the class, which would fail later with a "not a map" naming the base's member.
 */
function refuseImportedBase(cls: Node, byName: Map<string, Node>, program: Node, diags: DiagnosticBag): void {
  const base = cls.superClass;
  if (base?.type !== "Identifier" || byName.has(base.name)) return;
  for (const stmt of program.body) {
    if (stmt.type !== "ImportDeclaration") continue;
    const spec = stmt.specifiers.find((sp: Node) => sp.local.name === base.name);
    if (!spec) continue;
    const imported = spec.type === "ImportSpecifier" ? (spec.imported.name ?? spec.imported.value) : undefined;
    if (imported === "Tracer") return;
    const name = cls.id?.name ?? "this class";
    diags.error(Code.Unsupported, posOf(base), `${name} extends ${base.name}, imported from "${stmt.source.value}": a tracer class has the maps, parameters and handlers only of a base class declared in its own file`,
      `declare ${base.name} in this file: tsbpf compiles a tracer's handlers from the file of its class`);
    return;
  }
}

/**
 * Whether the source has an `@` that is neither in a comment nor one of `classes`' decorators:
 * only then can a class elsewhere have decorated members, and the whole tree is walked for it
 * (nestedClasses). A walk of every node is a large part of a small script's cold compile.
 */
function decoratorsElsewhere(source: string, comments: Node[] | undefined, classes: Node[]): boolean {
  let ats = source.split("@").length - 1;
  for (const c of comments ?? []) ats -= c.value.split("@").length - 1;
  for (const cls of classes) {
    ats -= cls.decorators?.length ?? 0;
    for (const m of cls.body.body) ats -= m.decorators?.length ?? 0;
  }
  return ats !== 0;
}

/**
 * Classes with decorated methods declared anywhere else (a block, an `if`, a loop, a class
 * expression): the script can start them too, so they are compiled (and planned) like the rest.
 * A class expression takes the name of the variable it is assigned to.
 */
function nestedClasses(node: Node, seen: Set<Node>, parent?: Node, out: Node[] = []): Node[] {
  if ((node.type === "ClassDeclaration" || node.type === "ClassExpression") && !seen.has(node) && node.body.body.some((m: Node) => m.decorators?.length)) {
    const name = node.id?.name ?? (parent?.type === "VariableDeclarator" && parent.id.type === "Identifier" ? parent.id.name : undefined);
    out.push(name && !node.id ? { ...node, id: { type: "Identifier", name, loc: parent!.id.loc } } : node);
  }
  for (const key in node) {
    if (key === "loc" || key === "extra" || key.endsWith("Comments")) continue;
    const child = node[key];
    if (child === null || typeof child !== "object") continue;
    if (Array.isArray(child)) {
      for (const c of child) if (c !== null && typeof c === "object" && typeof c.type === "string") nestedClasses(c, seen, node, out);
    } else if (typeof child.type === "string") nestedClasses(child, seen, node, out);
  }
  return out;
}

function collectClass(cls: Node, types: TypeTable, constants: Map<string, Node>, diags: DiagnosticBag, topLevel: boolean): TracerClass | undefined {
  const maps = new Map<string, MapField>();
  const refusedMaps = new Set<string>();
  const params = new Map<string, Type>();
  const methods = new Map<string, ScriptFunction>();
  const handlers: Handler[] = [];
  for (const member of cls.body.body) {
    if (refuseNonMethodHandler(member, diags)) continue;
    if ((member.type === "ClassProperty" || member.type === "ClassMethod") && member.key?.type === "Identifier" && TRACER_MEMBERS.has(member.key.name) && !(member.type === "ClassMethod" && OVERRIDABLE.has(member.key.name))) {
      diags.error(Code.BadMap, posOf(member.key), `"${member.key.name}" would hide Tracer.${member.key.name}(); give it another name`);
      continue;
    }
    const errors = diags.items.length;
    const map = mapFieldOf(member, types, diags, topLevel ? constants : undefined);
    if (!map && diags.items.length > errors && member.key?.type === "Identifier") {
      refusedMaps.add(member.key.name);
      continue;
    }
    if (map) {
      if (map.kind === "stack_trace") map.stackIndex = [...maps.values()].filter((m) => m.kind === "stack_trace").length + 1;
      if (map.kind === "prog_array") {
        const table = programArraySlots(member.value, constants, diags);
        if (!table) {
          refusedMaps.add(map.name);
          continue;
        }
        Object.assign(map, table);
      }
      maps.set(map.name, map);
      continue;
    }
    if (member.type === "ClassProperty" && !member.static && member.key.type === "Identifier") {
      const t = member.typeAnnotation ? types.resolveQuietly(member.typeAnnotation) : LITERAL_TYPES[member.value?.type];
      if (t && (t.kind === "int" || t.kind === "bool")) params.set(member.key.name, t);
      continue;
    }
    if (member.type === "ClassMethod" && !member.decorators?.length && member.kind === "method" && !member.static && member.key.type === "Identifier") {
      methods.set(member.key.name, { name: member.key.name, params: member.params, body: member.body, returnType: member.returnType, node: member });
      continue;
    }
    if (member.type !== "ClassMethod" || !member.decorators?.length) continue;
    if (member.async || member.generator) {
      // Only a probe decorator makes it a handler; others are none of the compiler's business.
      if (member.decorators.some((d: Node) => PROBE_DECORATORS[(d.expression.type === "CallExpression" ? d.expression.callee : d.expression).name])) {
        diags.error(Code.Unsupported, posOf(member.key), `handler "${member.key.name}" is ${member.async ? "async" : "a generator"}: handlers run to completion in the kernel, which cannot await or yield`,
          `remove ${member.async ? "async" : "the *"}; do the asynchronous work in JavaScript, where the handler's events arrive`);
      }
      continue;
    }
    for (const dec of member.decorators) {
      const probe = probeOfDecorator(dec, member.key.name, diags);
      if (probe) {
        handlers.push({ name: member.key.name, probe, node: member, pos: posOf(member.key), decoratorPos: posOf(dec) });
      }
    }
  }
  if (!handlers.length && !maps.size) return undefined;
  return { name: cls.id?.name ?? "Tracer", maps, refusedMaps, params, methods, handlers };
}

/**
 * A probe decorator on what is not a plain method (a property holding an arrow function, a
 * static method, an accessor, a #private member): the runtime finds handlers among the methods
 * only, so it would be ignored and its probe would never fire. An error at the decorator.
 */
function refuseNonMethodHandler(member: Node, diags: DiagnosticBag): boolean {
  const probe = member.decorators?.find((d: Node) => PROBE_DECORATORS[(d.expression.type === "CallExpression" ? d.expression.callee : d.expression).name]);
  if (!probe) return false;
  const plain = member.type === "ClassMethod" && member.kind === "method" && !member.static && member.key?.type === "Identifier";
  if (plain) return false;
  const name = member.key?.type === "Identifier" ? member.key.name : member.key?.type === "PrivateName" ? member.key.id.name : "handler";
  const what = member.static ? "a static method" : member.kind === "get" || member.kind === "set" ? `a ${member.kind}ter (accessor)`
    : member.type === "ClassProperty" || member.type === "ClassPrivateProperty" ? "a property (an arrow function in a field is not a method)" : "a private method";
  const decorator = (probe.expression.type === "CallExpression" ? probe.expression.callee : probe.expression).name;
  diags.error(Code.BadDecorator, posOf(probe), `@${decorator} is on ${what}: a handler must be a plain method of the tracer, or it is never attached`, `write it as a method: ${name}() { ... }`);
  return true;
}

function probeOfDecorator(dec: Node, method: string, diags: DiagnosticBag): ProbeRef | undefined {
  const e = dec.expression;
  const callee = e.type === "CallExpression" ? e.callee : e;
  if (callee.type !== "Identifier") return undefined;
  const kind = PROBE_DECORATORS[callee.name];
  if (!kind) return undefined;
  const arg = e.type === "CallExpression" ? e.arguments[0] : undefined;
  if (NO_ARGUMENTS.has(kind)) {
    if (e.type !== "CallExpression" || arg) diags.error(Code.BadDecorator, posOf(dec), `@${callee.name} takes no arguments`, `write @${callee.name}()`);
    return { kind, target: "" };
  }
  const extra = RUNTIME_ARGUMENTS[kind];
  if (arg && extra === "value") {
    if (arg.type === "NumericLiteral") return { kind, target: String(arg.value) };
    // A value held in a variable (`@interval(ms)`), or an object of numbers the source may not
    // show (`period: "1"`, `period: n`): checked where the tracer starts, at this decorator.
    const held = arg.type !== "ArrowFunctionExpression" && arg.type !== "FunctionExpression";
    return held ? { kind, target: "", method } : { kind, target: "" };
  }
  // Not a literal: the target is computed at run time (a tool's command line); the runtime
  // supplies the value the decorator was called with.
  // A template with substitutions (`syscalls:sys_enter_${name}`) is computed too; one without is a literal.
  const template = arg?.type === "TemplateLiteral";
  const computed = arg && (!/Literal$/.test(arg.type) || (template && arg.expressions.length > 0)) && extra !== "value";
  if (computed && e.arguments.length <= (extra === "options" ? 2 : 1)) return { kind, target: "", method };
  if (template && e.arguments.length <= (extra === "options" ? 2 : 1)) return { kind, target: arg.quasis[0].value.cooked };
  if (!arg || arg.type !== "StringLiteral" || e.arguments.length > (extra === "options" ? 2 : 1)) {
    diags.error(Code.BadDecorator, posOf(dec), `@${callee.name} takes one string literal naming the probe`,
      `write @${callee.name}("syscalls:sys_enter_openat")`);
    return undefined;
  }
  return { kind, target: arg.value };
}

/** The user's interfaces and type aliases, resolved to layouts on demand. */
export class TypeTable {
  readonly #decls = new Map<string, Node>();
  readonly #resolved = new Map<string, Type>();
  readonly #refused = new Set<string>();
  constructor(readonly diags: DiagnosticBag) {}

  declare(decl: Node): void {
    this.#decls.set(decl.id.name, decl);
  }

  /** Resolves a type annotation without reporting anything (for fields that may not be for the kernel). */
  resolveQuietly(node: Node): Type | undefined {
    const mark = this.diags.items.length;
    const t = this.resolve(node);
    this.diags.items.length = mark;
    return t;
  }

  /** Resolves a type annotation node, reporting unknown or unsupported types. */
  resolve(node: Node): Type | undefined {
    if (node.type === "TSTypeAnnotation") node = node.typeAnnotation;
    switch (node.type) {
      case "TSNumberKeyword": return i64;
      case "TSBigIntKeyword": return u64;
      case "TSBooleanKeyword": return bool;
      case "TSTypeReference": return this.#reference(node);
      case "TSStringKeyword":
        // The kernel keeps strings in fixed-size arrays: say which type that is.
        this.diags.error(Code.UnknownType, posOf(node), `a string in a handler's map or event has a fixed size: write Str<N>`,
          "e.g. Str<16> for a command name (comm()), Str<256> for a path; import type Str from \"tsbpf\"");
        return undefined;
      case "TSTypeLiteral": return this.#struct("(anonymous)", node.members);
      case "TSTupleType": {
        const elems = (node.elementTypes ?? node.elements ?? []).map((t: Node) => this.resolve(t));
        if (elems.some((t: Type | undefined) => !t)) return undefined;
        const t = layoutStruct(`[${elems.map((t: Type) => typeName(t)).join(", ")}]`, elems.map((t: Type, i: number) => ({ name: String(i), type: t })));
        return { ...t, tuple: true };
      }
    }
    this.diags.error(Code.UnknownType, posOf(node), `this type cannot be used in a handler`,
      "use u8..u64, i8..i64, bool, Str<N> or an interface of those");
    return undefined;
  }

  #reference(node: Node): Type | undefined {
    const name = node.typeName.type === "Identifier" ? node.typeName.name : undefined;
    if (!name) {
      this.diags.error(Code.UnknownType, posOf(node), `qualified type names are not supported here`);
      return undefined;
    }
    if (INT_TYPES[name]) return INT_TYPES[name];
    if (name === "KStack") return kstackType;
    if (name === "UStack") return ustackType;
    if (name === "ProbeName") return probeNameType;
    if (name === "Cgroup") return cgroupType;
    if (name === "KSym") return ksymType;
    if (name === "USym") return usymType;
    if (name === "Inet") return inetType;
    if (name === "Ipv4Key") return ipv4Key;
    if (name === "Ipv6Key") return ipv6Key;
    if (name === "bool") return bool;
    const args = node.typeParameters?.params ?? node.typeArguments?.params ?? [];
    if (name === "Str") {
      const n = args[0]?.type === "TSLiteralType" ? args[0].literal.value : undefined;
      if (typeof n !== "number" || n < 1 || n > 4096 || !Number.isInteger(n)) {
        const given = n === undefined ? "no length" : `Str<${n}>`;
        this.diags.error(Code.UnknownType, posOf(node), `a Str needs a whole length from 1 to 4096, not ${given}`, "e.g. Str<16> for a command name, Str<256> for a path");
        return undefined;
      }
      return { kind: "str", len: n };
    }
    const cached = this.#resolved.get(name);
    if (cached) return cached;
    if (this.#refused.has(name)) return undefined; // reported where it is declared
    const decl = this.#decls.get(name);
    if (!decl) {
      this.diags.error(Code.UnknownType, posOf(node), `unknown type "${name}"`,
        ...didYouMean(name, [...this.#decls.keys(), ...Object.keys(INT_TYPES), "Str", "bool"]));
      return undefined;
    }
    const members = decl.type === "TSInterfaceDeclaration" ? decl.body.body : decl.typeAnnotation.members;
    if (!members) {
      this.diags.error(Code.UnknownType, posOf(decl), `type "${name}" must be an object type to be used in a handler`);
      return undefined;
    }
    const t = this.#struct(name, members);
    if (t) this.#resolved.set(name, t);
    else this.#refused.add(name);
    return t;
  }

  /** A type with a field refused (reported) is refused whole: without the field it is another type. */
  #struct(name: string, members: Node[]): StructType | undefined {
    const fields: { name: string; type: Type }[] = [];
    let refused = false;
    for (const m of members) {
      if (m.type !== "TSPropertySignature" || m.key.type !== "Identifier" || !m.typeAnnotation) {
        this.diags.error(Code.UnknownType, posOf(m), `only typed fields (name: type) are allowed in an event type`);
        refused = true;
        continue;
      }
      const t = this.resolve(m.typeAnnotation);
      if (t) fields.push({ name: m.key.name, type: t });
      else refused = true;
    }
    return refused ? undefined : layoutStruct(name, fields);
  }
}
