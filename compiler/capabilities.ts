// What a script's user-space half can do as root, read from its AST for `tsbpf plan`: the
// modules it imports, the tracer classes it declares anywhere (blocks, functions, ifs, class
// expressions), and every use of a module or global that writes files, spawns processes, talks to
// the network, calls native code, sends signals or reads files and the environment. What cannot be
// decided from the text (eval, a computed import, a global passed around as a value) is listed
// as such. Unknown is never read as harmless: a name this file does not know is "cannot vouch".
import { parse } from "@babel/parser";
import type { Node } from "./parse.ts";
import { BUN_MEMBERS, DENO_MEMBERS, type Kind, moduleUse, PROCESS_MEMBERS, GLOBALS } from "./capability_tables.ts";

export type { Kind } from "./capability_tables.ts";

export interface Site {
  line: number;
  column: number;
}

export interface Capability extends Site {
  kind: Kind;
  /** What was used: "node:fs writeFileSync", "Bun.spawn", "fetch". */
  what: string;
}

export interface TracerClassSite extends Site {
  name: string;
  /** Where it is declared when not at the top level: "inside an if", "a class expression". */
  nested?: string;
  /** Its decorators as written: `tracepoint("sched:sched_switch")`. */
  probes: string[];
  /** Its fields made with `new`: `events (RingBuf)`, the maps it may create. */
  maps: string[];
}

export interface ImportSite extends Site {
  specifier: string;
  /** Loaded with import() or require() while the script runs. */
  dynamic: boolean;
  /** The names it imports (imported undefined: the whole module), with their local names. */
  names: { imported?: string; local?: string }[];
}

export interface ModuleScan {
  imports: ImportSite[];
  /** Imported bindings used other than in a call whose result is dropped (`await libc();`). */
  usedAsValues: Set<string>;
  tracers: TracerClassSite[];
  capabilities: Capability[];
  /** Where the source does not parse (line 1-based, column 1-based); the scan then says less than the module does. */
  syntaxErrors: { message: string; line: number; column: number }[];
}

/** The map classes that take `{ pin }` (runtime/maps/kernel_map.ts MapFieldOptions). */
const PINNABLE_MAPS = new Set(["HashMap", "LruHashMap", "PerCpuHashMap", "ArrayMap", "PerCpuArrayMap", "Count", "Sum", "Min", "Max", "Avg", "Stats", "Histogram", "LinearHistogram"]);

const PROBE_DECORATORS = new Set(["tracepoint", "rawTracepoint", "tpBtf", "kprobe", "kretprobe", "fentry", "fexit", "uprobe", "uretprobe", "usdt", "profile", "perfEvent", "interval", "cgroupSkb", "socketFilter", "xdp"]);

/** Scans one module's source; a syntax error is itself a "cannot vouch" at its position. */
export function scanModule(source: string): ModuleScan {
  const out: ModuleScan = { imports: [], usedAsValues: new Set(), tracers: [], capabilities: [], syntaxErrors: [] };
  const syntaxError = (e: unknown) => {
    const loc = (e as { loc?: { line: number; column: number } }).loc ?? { line: 1, column: 0 };
    const message = String((e as Error).message).replace(/\s*\(\d+:\d+\)$/, "");
    out.syntaxErrors.push({ message, line: loc.line, column: loc.column + 1 });
    out.capabilities.push({ kind: "unknown", what: `a syntax error (${message})`, line: loc.line, column: loc.column + 1 });
  };
  let ast: Node & { errors?: unknown[] };
  try {
    ast = parse(source, { sourceType: "module", plugins: ["typescript", "decorators"], errorRecovery: true } as never);
  } catch (e) {
    syntaxError(e);
    return out;
  }
  // Errors Babel recovered from (`const x;`) are syntax errors all the same: Bun and Deno refuse them.
  for (const e of ast.errors ?? []) syntaxError(e);
  const walker = new Walker(out, source);
  walker.visit(ast.program, []);
  walker.finish();
  return out;
}

/** Local names bound to an imported module: `fs` in `import * as fs from "node:fs"`. */
interface Binding {
  module: string;
  /** The export it names, or undefined for the whole module (namespace or default import). */
  name?: string;
}

class Walker {
  private readonly bindings = new Map<string, Binding>();
  /** Tracer classes found so far: a class extending one is a tracer too, with or without probes of its own. */
  private readonly tracerNames = new Set<string>();
  /** `setTimeout(x)` with a name: judged at the end, by what the module binds to that name. */
  private readonly timerNames: { name: string; node: Node; callee: string }[] = [];
  /** Names bound to `x[k]` with k computed at run time (it could be "constructor": Function)... */
  private readonly computedMemberNames = new Set<string>();
  /** ...and the calls of plain names, checked against them in finish(). */
  private readonly calledNames: { name: string; node: Node }[] = [];
  /** Names bound only to functions (declarations, arrow constants, a Promise executor's resolvers)... */
  private readonly functionNames = new Set<string>();
  /** ...and names bound anywhere to something else, which could be a string. */
  private readonly otherNames = new Set<string>();

  constructor(private readonly out: ModuleScan, private readonly source: string) {}

  private site(node: Node): Site {
    return { line: node.loc.start.line, column: node.loc.start.column + 1 };
  }

  private add(kind: Kind, what: string, node: Node): void {
    this.out.capabilities.push({ kind, what, ...this.site(node) });
  }

  private text(node: Node): string {
    const t = this.source.slice(node.start, node.end).replace(/\s+/g, " ");
    return t.length > 60 ? `${t.slice(0, 57)}...` : t;
  }

  /** An import of `specifier` with these names (undefined: the whole module). */
  private importOf(specifier: string, names: { imported?: string; local?: string }[], node: Node, dynamic: boolean): void {
    this.out.imports.push({ specifier, dynamic, names, ...this.site(node) });
    for (const { imported: name } of names) {
      const use = moduleUse(specifier, name);
      if (use) this.add(use.kind, use.what, node);
    }
  }

  /** `ancestors` is one stack for the whole walk: read it during inspect(), never keep it. */
  visit(node: Node, ancestors: Node[]): void {
    if (!node || typeof node.type !== "string") return;
    this.inspect(node, ancestors);
    ancestors.push(node);
    for (const key in node) {
      if (key === "loc" || key === "extra" || key.endsWith("Comments")) continue;
      const child = node[key];
      if (child === null || typeof child !== "object") continue;
      if (Array.isArray(child)) for (const c of child) this.visit(c, ancestors);
      else if (typeof child.type === "string") this.visit(child, ancestors);
    }
    ancestors.pop();
  }

  /** A string given to setTimeout or setInterval is evaluated as code. */
  finish(): void {
    for (const c of this.calledNames) {
      if (this.computedMemberNames.has(c.name)) this.add("unknown", `${c.name}, a member read by a name computed at run time (it could be constructor, which reaches Function), is called: ${this.text(c.node)}`, c.node);
    }
    for (const t of this.timerNames) {
      if (this.functionNames.has(t.name) && !this.otherNames.has(t.name)) continue;
      this.add("unknown", `${t.callee} with "${t.name}", which may not be a function (a string is evaluated as code): ${this.text(t.node)}`, t.node);
    }
  }

  /** Records what names are bound to, for finish(). */
  private bind(node: Node, parent: Node | undefined): void {
    const paramsAre = (fn: Node, set: Set<string>) => fn.params.forEach((p: Node) => p.type === "Identifier" && set.add(p.name));
    if (node.type === "FunctionDeclaration" && node.id) this.functionNames.add(node.id.name);
    if (node.type === "FunctionDeclaration" || node.type === "ClassMethod" || node.type === "ObjectMethod") paramsAre(node, this.otherNames);
    if (node.type === "ArrowFunctionExpression" || node.type === "FunctionExpression") {
      const executor = parent?.type === "NewExpression" && parent.callee.type === "Identifier" && parent.callee.name === "Promise" && parent.arguments[0] === node;
      paramsAre(node, executor ? this.functionNames : this.otherNames);
    }
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier") {
      const fn = node.init?.type === "ArrowFunctionExpression" || node.init?.type === "FunctionExpression";
      (fn ? this.functionNames : this.otherNames).add(node.id.name);
    }
    if (node.type === "AssignmentExpression" && node.left.type === "Identifier") this.otherNames.add(node.left.name);
  }

  private inspect(node: Node, ancestors: Node[]): void {
    this.bind(node, ancestors[ancestors.length - 1]);
    switch (node.type) {
      case "ImportDeclaration": {
        if (node.importKind === "type") return;
        const specs = node.specifiers.filter((s: Node) => s.importKind !== "type");
        if (node.specifiers.length && !specs.length) return;
        const names = specs.map((s: Node) => {
          // `{ default as p }` is the whole module, as `import p from`.
          const named = s.type === "ImportSpecifier" ? (s.imported.name ?? s.imported.value) : undefined;
          const imported = named === "default" ? undefined : named;
          this.bindings.set(s.local.name, { module: node.source.value, name: imported });
          return { imported, local: s.local.name };
        });
        this.importOf(node.source.value, names.length ? names : [{}], node, false);
        return;
      }
      case "ExportAllDeclaration":
      case "ExportNamedDeclaration":
        if (node.source && node.exportKind !== "type") this.importOf(node.source.value, [{}], node, false);
        return;
      case "ImportExpression":
        return this.dynamicImport(node, node.source);
      case "CallExpression":
      case "NewExpression":
        return this.call(node, ancestors[ancestors.length - 1]);
      case "MemberExpression":
      case "OptionalMemberExpression":
        return this.member(node, ancestors[ancestors.length - 1]);
      case "Identifier":
        return this.identifier(node, ancestors);
      case "ClassDeclaration":
      case "ClassExpression":
        return this.tracerClass(node, ancestors);
      case "ObjectPattern":
        return this.pattern(node);
      case "MetaProperty":
        return;
    }
  }

  private dynamicImport(node: Node, arg: Node | undefined): void {
    const literal = literalString(arg);
    if (literal === undefined) this.add("unknown", `import() of a module named at run time: ${this.text(node)}`, node);
    else this.importOf(literal, [{}], node, true);
  }

  private call(node: Node, parent: Node | undefined): void {
    const callee = node.callee;
    // A probe decorator applied by hand registers a handler the source's classes do not show.
    const owner = callee.type === "Identifier" ? callee : callee.type === "MemberExpression" && callee.object.type === "Identifier" ? callee.object : undefined;
    const binding = owner && this.bindings.get(owner.name);
    const decorator = callee.type === "Identifier" ? binding?.name : binding && binding.name === undefined ? propertyName(callee) : undefined;
    if (binding?.module === "tsbpf" && PROBE_DECORATORS.has(decorator ?? "") && parent?.type !== "Decorator") {
      this.add("unknown", `a probe decorator called as a function (its handler is not a decorated method plan can list): ${this.text(node)}`, node);
    }
    if (callee.type === "Import") return this.dynamicImport(node, node.arguments[0]);
    if (callee.type === "Identifier") this.calledNames.push({ name: callee.name, node });
    // start({ metrics }) serves the maps over HTTP; start({ otlp }) sends them to a collector.
    if (callee.type === "MemberExpression" && propertyName(callee) === "start") {
      for (const p of node.arguments[0]?.type === "ObjectExpression" ? node.arguments[0].properties : []) {
        const key = p.type === "ObjectProperty" ? (p.key.type === "Identifier" ? p.key.name : p.key.value) : undefined;
        const off = p.type === "ObjectProperty" && (p.value.type === "BooleanLiteral" ? !p.value.value : p.value.type === "Identifier" && p.value.name === "undefined");
        if ((key === "metrics" || key === "otlp") && !off) this.add("network", `start({ ${key} }): ${key === "metrics" ? "serves the tracer's maps over HTTP" : "sends the tracer's maps to a collector"}: ${this.text(p)}`, p);
        if (key === "pin" && !off) this.add("outlives the tracer", `start({ pin }): its probes stay attached and its maps stay after the process ends: ${this.text(p)}`, p);
      }
    }
    // new HashMap(n, { pin }): the map stays in /sys/fs/bpf/tsbpf after the tracer.
    if (node.type === "NewExpression" && binding?.module === "tsbpf" && decorator && PINNABLE_MAPS.has(decorator)) this.mapOptions(node, decorator);
    if (callee.type === "Identifier" && !this.bindings.has(callee.name)) {
      if (callee.name === "require") return this.dynamicImport(node, node.arguments[0]);
      if (callee.name === "eval") return this.add("unknown", `eval: ${this.text(node)}`, node);
      if (callee.name === "Function") return this.add("unknown", `code built from a string: ${this.text(node)}`, node);
      const first = node.arguments[0];
      if ((callee.name === "setTimeout" || callee.name === "setInterval") && first && first.type !== "ArrowFunctionExpression" && first.type !== "FunctionExpression") {
        if (first.type === "Identifier") this.timerNames.push({ name: first.name, node, callee: callee.name });
        else this.add("unknown", `${callee.name} with something other than a function (a string is evaluated as code): ${this.text(node)}`, node);
      }
    }
    const path = memberPath(callee);
    if (path && (path === "process.getBuiltinModule" || path === "import.meta.require" || path === "module.require")) this.dynamicImport(node, node.arguments[0]);
  }

  private mapOptions(node: Node, className: string): void {
    const options = node.arguments[className === "LinearHistogram" ? 4 : 1];
    if (!options) return;
    if (options.type !== "ObjectExpression" || options.properties.some((p: Node) => p.type !== "ObjectProperty" || p.computed)) {
      return this.add("unknown", `map options plan cannot read (a pin would outlive the tracer): ${this.text(node)}`, node);
    }
    for (const p of options.properties) {
      const key = p.key.type === "Identifier" ? p.key.name : p.key.value;
      const off = p.value.type === "Identifier" && p.value.name === "undefined";
      if (key === "pin" && !off) this.add("outlives the tracer", `a map pinned in /sys/fs/bpf/tsbpf (it stays after the tracer ends, and later tracers share it): ${this.text(p)}`, p);
    }
  }

  /** `Deno.writeFile`, `process.env`, `fs.writeFileSync` (fs a namespace import), `globalThis.fetch`. */
  private member(node: Node, parent: Node): void {
    // `[].constructor.constructor("code")` is Function without naming it.
    if (propertyName(node) === "constructor") return this.add("unknown", `.constructor (reaches Function, which builds code from a string): ${this.text(node)}`, node);
    // So is `f[k]` when k is "constructor": reading `counts[name]` is ordinary, calling it is not.
    if (node.computed && literalKey(node.property) === undefined) {
      if ((parent?.type === "CallExpression" || parent?.type === "NewExpression") && parent.callee === node) {
        return this.add("unknown", `a method chosen by a name computed at run time (it could be constructor, which reaches Function): ${this.text(parent)}`, node);
      }
      if (parent?.type === "VariableDeclarator" && parent.init === node && parent.id.type === "Identifier") this.computedMemberNames.add(parent.id.name);
      if (parent?.type === "AssignmentExpression" && parent.right === node && parent.left.type === "Identifier") this.computedMemberNames.add(parent.left.name);
    }
    // Only the outermost object of a chain is judged: `Deno.env.get` once, as Deno.env.
    if (node.object.type !== "Identifier" && node.object.type !== "ThisExpression" && node.object.type !== "MetaProperty") return;
    if (node.object.type !== "Identifier") {
      if (node.object.type === "MetaProperty" && propertyName(node) === "env") this.add("environment", "import.meta.env", node);
      return;
    }
    const owner = node.object.name;
    const prop = propertyName(node);
    const binding = this.bindings.get(owner);
    if (binding) {
      if (binding.name !== undefined) return; // a named export: judged at the import
      if (binding.module === "node:process" || binding.module === "process") return this.processMember(prop, node);
      if (prop === undefined) return this.add("unknown", `a computed member of "${binding.module}": ${this.text(node)}`, node);
      const use = moduleUse(binding.module, prop);
      if (use) this.add(use.kind, use.what, node);
      return;
    }
    if (owner === "globalThis" || owner === "window" || owner === "self" || owner === "global") {
      if (prop === undefined) return this.add("unknown", `a computed global: ${this.text(node)}`, node);
      return this.global(prop, node, parent, true);
    }
    if (owner === "Object" && (prop === undefined || REFLECTIVE_OBJECT_MEMBERS.has(prop))) {
      return this.add("unknown", `${this.text(node)} (reads properties by names computed at run time: constructor reaches Function, which builds code from a string)`, node);
    }
    if (owner === "Deno") return this.table("Deno", DENO_MEMBERS, prop, node);
    if (owner === "Bun") return this.table("Bun", BUN_MEMBERS, prop, node);
    if (owner === "process") return this.processMember(prop, node);
  }

  /** `const { constructor: F } = () => 0` is Function, as `.constructor` is; so may a computed key be. */
  private pattern(node: Node): void {
    for (const p of node.properties) {
      if (p.type !== "ObjectProperty") continue;
      const key = p.computed ? literalString(p.key) : p.key.type === "Identifier" ? p.key.name : literalString(p.key);
      if (key === "constructor") this.add("unknown", `constructor destructured (reaches Function, which builds code from a string): ${this.text(node)}`, p);
      else if (key === undefined && p.key.type !== "NumericLiteral") this.add("unknown", `a property destructured by a name computed at run time (could be constructor, which reaches Function): ${this.text(node)}`, p);
    }
  }

  private processMember(prop: string | undefined, node: Node): void {
    if (prop === "getBuiltinModule") return; // judged as a call
    this.table("process", PROCESS_MEMBERS, prop, node);
  }

  private table(owner: string, members: Record<string, Kind | null>, prop: string | undefined, node: Node): void {
    if (prop === undefined) return this.add("unknown", `a computed member of ${owner}: ${this.text(node)}`, node);
    const kind = members[prop];
    if (kind === null) return;
    this.add(kind ?? "unknown", `${owner}.${prop}${kind ? "" : " (not a member tsbpf plan knows)"}`, node);
  }

  /** A bare global: `fetch(...)`, `new WebSocket(...)`, or Deno/Bun/process used as a value. */
  private identifier(node: Node, ancestors: Node[]): void {
    const parent = ancestors[ancestors.length - 1];
    if (isDeclarationName(node, parent)) return;
    if (this.bindings.has(node.name)) {
      // `await libc();` only loads; anything else hands the binding's powers to the script.
      const above = parent?.type === "CallExpression" && parent.callee === node ? ancestors[ancestors.length - 2] : undefined;
      const dropped = above?.type === "ExpressionStatement" || (above?.type === "AwaitExpression" && ancestors[ancestors.length - 3]?.type === "ExpressionStatement");
      if (!dropped) this.out.usedAsValues.add(node.name);
      return;
    }
    // eval(...), Function(...) and require(...) are judged as calls (call() above).
    if ((parent?.type === "CallExpression" || parent?.type === "NewExpression") && parent.callee === node && ["eval", "Function", "require"].includes(node.name)) return;
    this.global(node.name, node, parent, false);
  }

  private global(name: string, node: Node, parent: Node, viaGlobalThis: boolean): void {
    const asObject = !viaGlobalThis && (parent?.type === "MemberExpression" || parent?.type === "OptionalMemberExpression") && parent.object === node;
    if (name === "Deno" || name === "Bun" || name === "process" || name === "globalThis" || name === "window" || name === "self" || name === "global") {
      if (asObject || (parent?.type === "UnaryExpression" && parent.operator === "typeof")) return; // judged as a member, or only tested
      if (viaGlobalThis && ["Deno", "Bun", "process"].includes(name) && (parent?.type === "MemberExpression" || parent?.type === "OptionalMemberExpression") && parent.object === node) {
        return this.add("unknown", `globalThis.${name} reached through globalThis: ${this.text(parent)}`, node);
      }
      return this.add("unknown", `${name} passed around as a value (what is done with it cannot be followed): ${this.text(parent ?? node)}`, node);
    }
    // Reflect reads any property by a name computed at run time (constructor: Function); Object
    // does through getOwnPropertyDescriptor(s), judged as a member unless passed around.
    if (name === "Reflect") return this.add("unknown", `Reflect (reads properties by names computed at run time: constructor reaches Function): ${this.text(parent ?? node)}`, node);
    if (name === "Object" && (viaGlobalThis || !asObject) && !(parent?.type === "BinaryExpression" && parent.operator === "instanceof" && parent.right === node)) {
      return this.add("unknown", `Object passed around as a value (its getOwnPropertyDescriptors reaches Function): ${this.text(parent ?? node)}`, node);
    }
    const kind = GLOBALS[name];
    if (kind) this.add(kind, name, node);
  }

  private tracerClass(node: Node, ancestors: Node[]): void {
    const decorated = node.body.body.filter((m: Node) => m.decorators?.length);
    const probes = decorated.flatMap((m: Node) => m.decorators.map((d: Node) => d.expression))
      .filter((e: Node) => PROBE_DECORATORS.has((e.type === "CallExpression" ? e.callee : e).name))
      .map((e: Node) => this.text(e));
    const extendsTracer = node.superClass && (node.superClass.name === "Tracer" || this.bindings.get(node.superClass.name)?.name === "Tracer");
    const extendsImported = node.superClass?.type === "Identifier" && this.bindings.has(node.superClass.name) && !extendsTracer;
    const extendsLocal = node.superClass?.type === "Identifier" && this.tracerNames.has(node.superClass.name);
    if (!probes.length && !extendsTracer && !extendsImported && !extendsLocal) return;
    let name = node.id?.name;
    // A class expression is named by the variable it ends up in: `const B = c ? class {} : null`.
    const holder = [...ancestors].reverse().find((a) => !["ConditionalExpression", "LogicalExpression", "SequenceExpression", "TSAsExpression", "ParenthesizedExpression"].includes(a.type));
    if (!name && holder?.type === "VariableDeclarator" && holder.id.type === "Identifier") name = holder.id.name;
    if (name) this.tracerNames.add(name);
    const where = nestedIn(ancestors);
    const nested = [node.type === "ClassExpression" ? "a class expression" : undefined, where].filter(Boolean).join(", ") || undefined;
    const base = extendsImported ? ` (extends ${node.superClass.name}, imported from "${this.bindings.get(node.superClass.name)!.module}")` : "";
    const maps = node.body.body.filter((m: Node) => m.type === "ClassProperty" && m.value?.type === "NewExpression")
      .map((m: Node) => `${m.key.name ?? this.text(m.key)} (${m.value.callee.name ?? this.text(m.value.callee)})`);
    this.out.tracers.push({ name: (name ?? "(anonymous class)") + base, nested, probes, maps, ...this.site(node) });
  }
}

/** Members of Object that hand out property values found by a name computed at run time. */
const REFLECTIVE_OBJECT_MEMBERS = new Set(["getOwnPropertyDescriptor", "getOwnPropertyDescriptors"]);

/** What the class is nested in, innermost first, or undefined at the top level. */
function nestedIn(ancestors: Node[]): string | undefined {
  const words: string[] = [];
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i];
    if (a.type === "IfStatement" || a.type === "ConditionalExpression" || a.type === "LogicalExpression") words.push("inside a condition (started only on some paths)");
    else if (a.type === "FunctionDeclaration" || a.type === "FunctionExpression" || a.type === "ArrowFunctionExpression" || a.type === "ClassMethod") words.push(`inside function ${a.id?.name ?? a.key?.name ?? "(anonymous)"}`);
    else if (a.type === "BlockStatement" && ancestors[i - 1]?.type === "Program") words.push("inside a block");
    else if (["ForStatement", "ForOfStatement", "ForInStatement", "WhileStatement", "DoWhileStatement", "TryStatement", "SwitchStatement"].includes(a.type)) words.push(`inside a ${a.type.replace("Statement", "").toLowerCase()} statement`);
  }
  return words.length ? [...new Set(words)].join(", ") : undefined;
}

function literalString(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === "StringLiteral") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0].value.cooked;
  return undefined;
}

/** A property key written in the source: a string, a number or a template without substitutions. */
function literalKey(node: Node): string | undefined {
  return node.type === "NumericLiteral" ? String(node.value) : literalString(node);
}

function propertyName(node: Node): string | undefined {
  if (!node.computed && node.property.type === "Identifier") return node.property.name;
  return literalString(node.property);
}

function memberPath(node: Node): string | undefined {
  if (node.type === "Identifier") return node.name;
  if (node.type === "MetaProperty") return `${node.meta.name}.${node.property.name}`;
  if (node.type !== "MemberExpression") return undefined;
  const owner = memberPath(node.object), prop = propertyName(node);
  return owner && prop ? `${owner}.${prop}` : undefined;
}

/** An identifier that names something declared here rather than reading a global. */
function isDeclarationName(node: Node, parent: Node | undefined): boolean {
  if (!parent) return false;
  if ((parent.type === "MemberExpression" || parent.type === "OptionalMemberExpression") && parent.property === node && !parent.computed) return true;
  if ((parent.type === "ObjectProperty" || parent.type === "ClassProperty" || parent.type === "ClassMethod" || parent.type === "ObjectMethod" || parent.type === "TSPropertySignature" || parent.type === "TSMethodSignature") && parent.key === node && !parent.computed) return true;
  if (parent.type.startsWith("TS") && parent.type !== "TSAsExpression" && parent.type !== "TSNonNullExpression" && parent.type !== "TSSatisfiesExpression") return true;
  if ((parent.type === "ImportSpecifier" || parent.type === "ImportDefaultSpecifier" || parent.type === "ImportNamespaceSpecifier" || parent.type === "ExportSpecifier")) return true;
  if (parent.type === "LabeledStatement" || parent.type === "BreakStatement" || parent.type === "ContinueStatement") return true;
  return false;
}
