// One-liners: `tsbpf -e 'tracepoint("syscalls:sys_enter_openat", a => print(comm(), str(a.filename)))'`.
// A source-to-source transform into an ordinary tsbpf script: each probe call becomes a
// decorated method of one Tracer class (a wildcard probe one method per match), print() and
// printf() a ring buffer each, count()/hist()/... and `$.name[key] = ...` map fields; begin(),
// end() and interval() user-space code. Text the user wrote is copied, not re-printed, and
// source_map.ts remembers from where, so errors point into the one-liner.
import { Code, CompileError, DiagnosticBag, didYouMean } from "../../spec/diagnostics.ts";
import { ProbeLookupError } from "../../spec/target.ts";
import { HANDLER_HELPERS } from "../../spec/bpf/helpers.ts";
import type { Node } from "../../compiler/parse.ts";
import { PROBE_DECORATORS } from "../../compiler/probe_decorators.ts";
import { bytecodeCompiler, compilerModule } from "../../tracer/compiler_module.ts";
import type { ContextField } from "../../spec/target.ts";
import type { HandlerContext, KernelRoot } from "./implicit_types.ts";
import { collectPointerMaps } from "./pointer_maps.ts";
import { type SourcePosition, type SourcePositions, SourceWriter } from "./source_map.ts";
import { MapRegistry, mapFieldDeclaration } from "./maps.ts";
import { copyWithEntryReads, entryReads } from "./entry_reads.ts";
import { HandlerBody, type PrintSite } from "./body.ts";
import { stackMapField } from "./stack_depth.ts";
import { positionalLiteral } from "./positional.ts";
import { conversionCount, PrintfFormatError, parseFormat } from "./printf.ts";
import { firstProbeSpec, looksLikeBpftrace, translateBpftrace } from "./bpftrace_syntax.ts";
import { intervalPeriodMs } from "./interval_period.ts";
import { syscallSides, wholeSyscallWildcard } from "./syscall_wildcard.ts";
import { checkBabelPlace } from "../../runtime/package_place.ts";

/** What the transform asks of the kernel (injected, so the transform itself is pure). */
export interface KernelQuery {
  /** The targets of `kind` matching a pattern with * and ?. */
  expand(kind: string, pattern: string): string[];
  /** A tracepoint's fields (for types and str() of char arrays), or undefined. */
  tracepointFields?(target: string): ContextField[] | undefined;
  /**
   * The fields one handler of a syscall wildcard attached once may read (shared by its matches,
   * or arguments whose place the program finds by the syscall's number), or undefined.
   */
  syscallWildcardFields?(pattern: string): ContextField[] | undefined;
  /** The text the fields are read from (the format file), or undefined: what the one-liner cache compares, unparsed. */
  tracepointFormatText?(target: string): string | undefined;
  /**
   * The one-liner type of a kernel struct's field reached from a probe's BTF-typed value
   * (`curtask().comm`: Str<16>; `a.prev.pid` of a raw tracepoint: i32), or undefined.
   */
  kernelType?(root: KernelRoot, chain: string[]): string | undefined;
}


export interface OneLinerOptions {
  /** Module URLs the generated script imports: tsbpf's mod.ts and the one-liner runtime. */
  modUrl: string;
  runtimeUrl: string;
  /** The names mod.ts exports (helpers and decorators the script may import). */
  exports: ReadonlySet<string>;
  /** Add a pid filter (`-p`/`-c`) to every kernel handler. */
  pidFilter: boolean;
  kernel: KernelQuery;
  /** The words after the one-liner: $1, $2, ... (bpftrace's positional parameters). */
  positional?: string[];
}

export interface GeneratedScript {
  source: string;
  /** A generated position → the one-liner's. */
  map: (line: number, column: number, length: number) => SourcePosition;
  /** What `map` maps from, as data. */
  positions: SourcePositions;
  /** How many probes (after wildcard expansion) the tracer attaches. */
  probes: number;
}

/** The file name a one-liner's diagnostics carry. */
export const ONELINER_FILE = "-e";

/** Run in user space (interval too: bpftrace's print, clear and exit act there; @interval is the kernel's). */
const USER_SPACE = new Set(["begin", "end", "interval"]);
/** Probes whose one parameter holds the record: `args.filename`, `a.prev`. */
const ARGS_PARAM_KINDS = new Set(["tracepoint", "rawTracepoint", "tpBtf"]);
/** Probes whose first argument is a value rather than a name. */
const VALUE_KINDS = new Set(["profile", "perfEvent"]);
/** Probes that take options after the name (a pid). */
const OPTION_KINDS = new Set(["uprobe", "uretprobe", "usdt"]);

/**
 * The one-liner as a script. Babel is loaded only if the lean parser gives up on a text the transform
 * parses (the one-liner, or its translation from bpftrace's language), as on every syntax error.
 */
export async function transformOneLiner(text: string, options: OneLinerOptions): Promise<GeneratedScript> {
  const parser = await loadParser();
  if (looksLikeBpftrace(text)) {
    const t = translateBpftrace(text);
    if ("oneliner" in t) await parser.prepareParse(t.oneliner, checkBabelPlace);
  }
  await parser.prepareParse(text, checkBabelPlace);
  const diags = new DiagnosticBag(ONELINER_FILE, text);
  if (looksLikeBpftrace(text) && !readsAsOneLiner(parser, text)) explainBpftrace(parser, text, diags, options.positional ?? []);
  diags.throwIfAny();
  const ast = parser.parseSource(text, diags);
  for (const d of diags.items) {
    // bpftrace's `/filter/ { @x = v; }` as `cond && $.x = v`: && binds tighter than =.
    if (/^Invalid left-hand side in assignment/.test(d.message) && /(&&|\|\|)\s*\$/.test(text)) d.hints.push("an assignment after && or || needs parentheses: cond && ($.x = v)");
  }
  diags.throwIfAny();
  const t = new Transform(text, options, diags);
  for (const stmt of ast.program.body) t.topLevel(stmt);
  diags.throwIfAny();
  const script = t.finish();
  diags.throwIfAny();
  return script;
}

type Parser = Pick<typeof import("../../compiler/parse.ts"), "parseSource" | "prepareParse">;

/**
 * The parser. From the npm package on Bun, the compiler's bytecode build (tracer/compiler_module.ts):
 * the compile of the generated script loads it next anyway, and finds its parser warm; the ES
 * module copy of the parser cost a cold one-liner its load and a cold first parse on top. Elsewhere
 * compiler/parse.ts, the very module the compiler imports.
 */
async function loadParser(): Promise<Parser> {
  return bytecodeCompiler() ? await compilerModule() : await import("../../compiler/parse.ts");
}

/** bpftrace's language in -e: one error that says so, with the one-liner it becomes where that is plain. */
function explainBpftrace(parser: Parser, text: string, diags: DiagnosticBag, positional: string[]): void {
  const t = translateBpftrace(text);
  let hint: string;
  if ("oneliner" in t && parses(parser, t.oneliner)) {
    const words = [t.oneliner, ...positional].map((w) => `'${w.replaceAll("'", `'\\''`)}'`);
    hint = `in tsbpf: tsbpf -e ${words.join(" ")}`;
  } else {
    hint = `no plain translation of ${"untranslatable" in t ? t.untranslatable : "this program"}`;
  }
  // Pointed at what stops the translation when that is known, else at the first probe.
  const at = ("at" in t && t.at) || firstProbeSpec(text);
  diags.error(Code.Syntax, position(text, at), "this is bpftrace's language: tsbpf one-liners are TypeScript",
    hint, `docs/cli.md ("One-liners") shows tsbpf's form of each classic bpftrace one-liner`);
}

/**
 * Whether `text` parses and starts with a call, as every tsbpf one-liner does: bpftrace's
 * `BEGIN` with its { on the next line parses as JavaScript too (a name, then a block).
 */
function readsAsOneLiner(parser: Parser, text: string): boolean {
  if (!parses(parser, text)) return false;
  const first = parser.parseSource(text, new DiagnosticBag(ONELINER_FILE, text)).program.body[0];
  return first?.type === "ExpressionStatement" && first.expression.type === "CallExpression";
}

function parses(parser: Parser, text: string): boolean {
  const bag = new DiagnosticBag(ONELINER_FILE, text);
  try {
    parser.parseSource(text, bag);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
  }
  return !bag.hasErrors;
}

interface UserBlock {
  kind: string;
  fn: Node;
  /** interval's period, as written. */
  period?: Node;
}

export interface ProbeCall {
  kind: string;
  /** The probe's name (a wildcard's match), or the text of profile()'s or perfEvent()'s first argument. */
  target: string;
  call: Node;
  fn: Node;
  /** The call's arguments but the function: the decorator's. */
  args: Node[];
  /** The name came from expanding a wildcard. */
  expanded?: boolean;
  /** How many probes a wildcard kept whole stands for ("Attaching N probes"). */
  matches?: number;
  /** A wildcard kept whole: the fields its handler may read, typed as in the match `of` (or as `list` gives them). */
  fields?: { of: string; names: string[]; list?: ContextField[] };
}

class Transform {
  readonly maps = new MapRegistry();
  readonly pointerMaps = new Map<string, "user" | "kernel">();
  readonly prints: PrintSite[] = [];
  readonly probes: ProbeCall[] = [];
  readonly blocks: UserBlock[] = [];
  usesExit = false;
  usesElapsed = false;
  readonly stackDepths = new Set<number>();
  readonly whileLoops: number[] = [];

  constructor(readonly text: string, readonly options: OneLinerOptions, readonly diags: DiagnosticBag) {}

  error(node: Node, message: string, ...hints: string[]): void {
    this.diags.error(Code.Unsupported, position(this.text, node), message, ...hints);
  }

  topLevel(stmt: Node): void {
    if (stmt.type !== "ExpressionStatement") {
      this.error(stmt, "a one-liner is a list of probe calls", `write probe("target", args => ...); another(...)`);
      return;
    }
    const calls: Node[] = stmt.expression.type === "SequenceExpression" ? stmt.expression.expressions : [stmt.expression];
    for (const call of calls) this.#call(call);
  }

  #call(call: Node): void {
    const name = call.type === "CallExpression" && call.callee.type === "Identifier" ? call.callee.name : undefined;
    const kinds = Object.keys(PROBE_DECORATORS).filter((k) => this.options.exports.has(k));
    if (!name || (!USER_SPACE.has(name) && !kinds.includes(name))) {
      const probes = [...new Set([...kinds, ...USER_SPACE])];
      this.error(call.type === "CallExpression" ? call.callee : call, name ? `"${name}" is not a probe` : "expected a probe call here",
        ...(name ? didYouMean(name, probes) : []), `probes: ${probes.join(", ")}`, `e.g. tracepoint("syscalls:sys_enter_openat", args => print(str(args.filename)))`);
      return;
    }
    const args: Node[] = call.arguments;
    const fn = args[args.length - 1];
    const isFn = fn && (fn.type === "ArrowFunctionExpression" || fn.type === "FunctionExpression") && !fn.async && !fn.generator;
    if (name === "begin" || name === "end") {
      if (args.length !== 1 || !isFn) return this.error(call, `${name}() takes one function: ${name}(() => print("..."))`);
      this.blocks.push({ kind: name, fn });
      return;
    }
    if (name === "interval") {
      if (args.length !== 2 || !isFn) return this.error(call, `interval() takes a period and a function: interval(5, () => exit())`);
      const period = literalValue(args[0]);
      if (period !== undefined) {
        try {
          intervalPeriodMs(period);
        } catch (e) {
          return this.error(args[0], (e as Error).message);
        }
      }
      this.blocks.push({ kind: name, fn, period: args[0] });
      return;
    }
    if (VALUE_KINDS.has(name)) {
      // profile(99, ...), perfEvent({ ... }, ...): the first argument goes to the decorator as written.
      if (args.length !== 2 || !isFn) return this.error(call, `${name}() takes its ${name === "profile" ? "frequency" : "event"} and a function: ${name === "profile" ? "profile(99, () => count(kstack()))" : `${name}(spec, () => ...)`}`);
      this.probes.push({ kind: name, target: this.text.slice(args[0].start, args[0].end), call, fn, args: [args[0]] });
      return;
    }
    const withOptions = OPTION_KINDS.has(name);
    if (args.length < 2 || args.length > (withOptions ? 3 : 2) || args[0].type !== "StringLiteral" || !isFn) {
      return this.error(call, `${name}() takes the probe's name${withOptions ? ", options" : ""} and a function: ${name}("target", args => ...)`);
    }
    const pattern: string = args[0].value;
    let targets: string[];
    try {
      targets = /[*?]/.test(pattern) ? this.options.kernel.expand(name, pattern) : [pattern];
    } catch (e) {
      // A pattern outside the kernel's name grammar (probes/names.ts), reported where it is written.
      if (!(e instanceof ProbeLookupError)) throw e;
      return this.diags.error(Code.UnknownProbe, position(this.text, args[0]), e.message, ...e.hints);
    }
    if (!targets.length) return this.diags.error(Code.UnknownProbe, position(this.text, args[0]), `no ${name} matches "${pattern}"`, `list them with: tsbpf list '${name}:${pattern}'`);
    // A uprobe wildcard's matches all give the same registers: one probe, attached once (one
    // uprobe_multi link), not one program per function (each slow to load and to detach).
    if ((name === "uprobe" || name === "uretprobe") && /[*?]/.test(pattern.slice(pattern.lastIndexOf(":") + 1))) {
      this.probes.push({ kind: name, target: pattern, call, fn, args: args.slice(0, -1), matches: targets.length });
      return;
    }
    // A handler that reads nothing that differs between the matches: a syscall wildcard then
    // stays one probe, attached once through raw_syscalls, not hundreds (slow to detach).
    const shared = name === "tracepoint" ? wholeSyscallWildcard(targets, fn) : undefined;
    if (shared) {
      this.probes.push({ kind: name, target: pattern, call, fn, args: args.slice(0, -1), matches: targets.length, fields: { of: targets[0], names: shared } });
      return;
    }
    // Arguments at another place in each syscall, or that only some have (args.filename): one
    // probe too, whose program finds them by the syscall's number and runs only where they are.
    const readable = name === "tracepoint" && targets.length > 1 ? this.options.kernel.syscallWildcardFields?.(pattern) : undefined;
    const names = readable && wholeSyscallWildcard(targets, fn, readable.map((f) => f.name));
    if (names) {
      this.probes.push({ kind: name, target: pattern, call, fn, args: args.slice(0, -1), matches: targets.length, fields: { of: pattern, names, list: readable } });
      return;
    }
    // syscalls:* (every entry and every exit): the same, one probe for each side.
    const sides = name === "tracepoint" && targets.length > 1 ? syscallSides(targets, (side) => this.options.kernel.expand(name, side)) : undefined;
    const wholeSides = sides?.map((side) => ({ ...side, shared: wholeSyscallWildcard(side.targets, fn) }));
    if (wholeSides?.every((side) => side.shared)) {
      for (const side of wholeSides) {
        this.probes.push({ kind: name, target: side.pattern, call, fn, args: args.slice(0, -1), expanded: true, matches: side.targets.length, fields: { of: side.targets[0], names: side.shared! } });
      }
      return;
    }
    const expanded = targets.length !== 1 || targets[0] !== pattern;
    for (const target of targets) this.probes.push({ kind: name, target, call, fn, args: args.slice(0, -1), expanded });
  }

  /** The decorator's arguments: as written, but an expanded wildcard's match as the name, and -p's pid for uprobes. */
  decoratorArgs(w: SourceWriter, p: ProbeCall): void {
    p.args.forEach((a, i) => {
      if (i) w.write(", ");
      if (i === 0 && p.expanded) w.write(JSON.stringify(p.target));
      else w.copy(a.start, a.end);
    });
    if (OPTION_KINDS.has(p.kind) && p.args.length === 1 && this.options.pidFilter) w.write(", { pid: cliOptions.pid }");
  }

  /** The probes attached, as bpftrace counts them: each match of a wildcard kept whole too. */
  attached(): number {
    return this.probes.reduce((n, p) => n + (p.matches ?? 1), 0);
  }

  finish(): GeneratedScript {
    const w = new SourceWriter(this.text);
    const used = new Set<string>(["Tracer", "RingBuf"]);
    // Known before any handler is written: each one begins by checking exit()'s flag.
    this.usesExit = this.probes.some((p) => callsFunction(p.fn.body, "exit"));
    if (this.usesExit || this.probes.some((p) => callsFunction(p.fn.body, "elapsed") || hasWhile(p.fn.body))) used.add("ArrayMap");
    // Handlers first, into a writer of their own: they find the maps and print sites that the
    // declarations above them in the script must declare.
    const handlers = new SourceWriter(this.text);
    const contexts = this.probes.map((p) => this.#handlerContext(p));
    // Every handler's maps of pointers are known before the first is written: a read may come before the assignment.
    this.probes.forEach((p, i) => collectPointerMaps(p.fn, contexts[i], this.pointerMaps));
    this.probes.forEach((p, i) => {
      used.add(p.kind);
      const body = new HandlerBody(this, contexts[i], used);
      body.emitHandler(handlers, p, (out) => this.decoratorArgs(out, p), i);
    });
    // JSON leaves U+2028 and U+2029 as they are, and either ends a JavaScript comment: the text after it would run.
    const shown = JSON.stringify(this.text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
    w.write(`// The one-liner ${shown}, as a tsbpf script (tsbpf -e).\n`);
    const mapDecls = this.maps.all();
    for (const m of mapDecls) used.add(m.kind === "value" ? "HashMap" : mapClass(m.kind));
    const typeNames = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "Str", "TracepointArgs", "KStack", "UStack", "Cgroup", "KSym", "USym", "Inet", "ProbeName"].filter((n) => this.options.exports.has(n));
    // A type the body names (`x as u16`) is imported once, as a type.
    const values = [...used].filter((n) => this.options.exports.has(n) && !typeNames.includes(n)).sort();
    w.write(`import { ${[...values, ...typeNames.map((n) => `type ${n}`)].join(", ")} } from ${JSON.stringify(this.options.modUrl)};\n`);
    w.write(`import { OneLinerRuntime, print, printf, exit, clear, time, elapsed, userString, cliOptions } from ${JSON.stringify(this.options.runtimeUrl)};\n\n`);
    // _t: when it was printed (cli/oneliner/print_order.ts puts the lines of all sites in that order).
    for (const p of this.prints) w.write(`interface ${p.type} { ${["_t: u64", ...p.fields.map((f) => `${f.name}: ${f.type}`)].join("; ")} }\n`);
    if (this.usesExit) w.write(`interface ExitEvent { _: u8 }\n`);
    const hasTracer = this.probes.length > 0;
    if (hasTracer) {
      w.write(`\nclass OneLiner extends Tracer {\n`);
      if (this.options.pidFilter) w.write(`  _pid: u32 = 0;\n`);
      if (this.usesElapsed) w.write(`  _start = new ArrayMap<u64>(1);\n`);
      for (const p of this.prints) w.write(`  ${p.field} = new RingBuf<${p.type}>(256 * 1024);\n`);
      if (this.usesExit) w.write(`  _exit = new RingBuf<ExitEvent>(4096);\n  _exited = new ArrayMap<u8>(1);\n`);
      for (const m of mapDecls) w.write(`  ${mapFieldDeclaration(m)}\n`);
      if (this.whileLoops.length) w.write(`  _loops = new ArrayMap<u64>(${this.whileLoops.length});\n`);
      for (const depth of this.stackDepths) w.write(`  ${stackMapField(depth)} = new StackTraceMap(16384, ${depth});\n`);
      w.append(handlers);
      // begin(): the probes are attached, no event is read yet; elapsed counts from here (bpftrace's from BEGIN).
      w.write(`\n  override begin(): void {\n    _oneLiner.attached();\n  }\n`);
      w.write(`\n  override end(): void {\n    _oneLiner.end();\n  }\n}\n`);
    }
    // $1, $2 in begin/end/interval functions (handlers have them written in place: body.ts).
    for (const n of [...new Set([...this.text.matchAll(/\$(\d+)\b/g)].map((m) => Number(m[1])))].sort()) {
      w.write(`const $${n} = ${positionalLiteral(this.options.positional ?? [], n)};\n`);
    }
    if (/\$argc\b/.test(this.text)) w.write(`const $argc = ${this.options.positional?.length ?? 0};\n`);
    w.write(`\nconst _oneLiner = new OneLinerRuntime({\n`);
    w.write(`  maps: { ${mapDecls.map((m) => `${JSON.stringify(m.name)}: ${JSON.stringify(m.field)}`).join(", ")} },\n`);
    w.write(`  prints: [${this.prints.map((p) => JSON.stringify(p.spec)).join(", ")}],\n`);
    for (const kind of ["begin", "end"]) {
      w.write(`  ${kind}: [`);
      for (const b of this.blocks.filter((b) => b.kind === kind)) this.#userFunction(w, b.fn), w.write(", ");
      w.write(`],\n`);
    }
    w.write(`  intervals: [`);
    for (const b of this.blocks.filter((b) => b.kind === "interval")) {
      w.write("[");
      w.copy(b.period!.start, b.period!.end);
      w.write(", ");
      this.#userFunction(w, b.fn);
      w.write("], ");
    }
    const unkeyed = mapDecls.filter((m) => m.kind === "value" && m.keyType === undefined).map((m) => m.name);
    w.write(`],\n  probes: ${this.attached()},\n  unkeyed: ${JSON.stringify(unkeyed)},\n`);
    // Each while loop's place, for the report of the rounds it was cut at.
    const loops = this.whileLoops.map((at) => ((p) => `${ONELINER_FILE}:${p.line}:${p.column}`)(position(this.text, { start: at, end: at + 5 } as Node)));
    if (loops.length) w.write(`  whileLoops: ${JSON.stringify(loops)},\n`);
    w.write(`});\n`);
    w.write(hasTracer ? `await _oneLiner.run(new OneLiner());\n` : `await _oneLiner.run(undefined);\n`);
    return { source: w.text(), map: w.mapper(), positions: w.positions(), probes: this.attached() };
  }

  /** What the transform knows about a probe's handler: its kind, target, parameters and the kernel's types for them. */
  #handlerContext(p: ProbeCall): HandlerContext {
    const all = p.fields?.list ?? (p.kind === "tracepoint" ? this.options.kernel.tracepointFields?.(p.fields?.of ?? p.target) : undefined);
    const fields = p.fields ? all?.filter((f) => p.fields!.names.includes(f.name)) : all;
    const kernel = this.options.kernel;
    return {
      kind: p.kind, target: p.target, field: fields ? (n) => fields.find((f) => f.name === n) : undefined, fields,
      kernelType: kernel.kernelType && ((root, chain) => kernel.kernelType!(root, chain)),
      argsParam: ARGS_PARAM_KINDS.has(p.kind) ? p.fn.params[0]?.name : undefined,
      params: p.fn.params.map((x: Node) => (x.type === "Identifier" ? x.name : "")),
    };
  }

  /** A begin/end/interval function: runs in user space, with $ the maps. */
  #userFunction(w: SourceWriter, fn: Node): void {
    if (fn.params.length) this.error(fn.params[0], "begin(), end() and interval() functions take no parameters; the maps are $");
    // An expression body's own parentheses lie outside its node: `() => (print($.x), clear($.x))`.
    const expression = fn.body.type !== "BlockStatement";
    const maps = this.maps.all();
    const { reads, writes } = entryReads(fn.body, (name) => maps.find((m) => m.name === name));
    for (const node of writes) this.error(node, "begin(), end() and interval() read the maps; the probes write them", "clear($.name) empties a map here");
    for (const node of helperCalls(fn.body)) {
      const name = node.callee.name;
      this.error(node, `${name}() is a probe's: begin(), end() and interval() run in user space, where there is no ${name}()`, "call it in a probe and keep what it gives in a map ($.name[key] = ...), which these read");
    }
    // str() there is user space's (str($1), the word): the kernel helper of that name is the handlers'.
    w.write(expression ? "($, str = userString) => (" : "($, str = userString) => ");
    copyWithEntryReads(w, fn.body.start, fn.body.end, reads);
    if (expression) w.write(")");
  }

  /** Checks a printf format against the number of values given. */
  checkFormat(node: Node, format: string, values: number): void {
    try {
      const n = conversionCount(parseFormat(format));
      if (n !== values) this.error(node, `the format takes ${n} value${n === 1 ? "" : "s"}, ${values} given`);
    } catch (e) {
      if (!(e instanceof PrintfFormatError)) throw e;
      this.error(node, e.message);
    }
  }
}

/** Whether `node` calls the function `name` anywhere inside. */
function callsFunction(node: unknown, name: string): boolean {
  if (Array.isArray(node)) return node.some((n) => callsFunction(n, name));
  if (!node || typeof node !== "object") return false;
  const n = node as Node;
  if (n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === name) return true;
  return Object.entries(n).some(([k, v]) => k !== "loc" && typeof v === "object" && callsFunction(v, name));
}

/** The probe helpers (pid(), ntop(), ...) `node` calls: user space has none of them but str(), which is its own there. */
function helperCalls(node: unknown): Node[] {
  if (Array.isArray(node)) return node.flatMap(helperCalls);
  if (!node || typeof node !== "object") return [];
  const n = node as Node;
  const own = n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name !== "str" && Object.hasOwn(HANDLER_HELPERS, n.callee.name) ? [n] : [];
  return [...own, ...Object.entries(n).flatMap(([k, v]) => (k !== "loc" && typeof v === "object" ? helperCalls(v) : []))];
}

/** Whether `node` holds a while loop anywhere inside. */
function hasWhile(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasWhile);
  if (!node || typeof node !== "object") return false;
  if ((node as Node).type === "WhileStatement") return true;
  return Object.entries(node).some(([k, v]) => k !== "loc" && typeof v === "object" && hasWhile(v));
}

/** The value of a number or string literal (a negative number too), else undefined. */
function literalValue(node: Node): number | string | undefined {
  if (node.type === "NumericLiteral" || node.type === "StringLiteral") return node.value;
  if (node.type === "UnaryExpression" && node.operator === "-" && node.argument.type === "NumericLiteral") return -node.argument.value;
  return undefined;
}

function mapClass(kind: string): string {
  return ({ count: "Count", sum: "Sum", min: "Min", max: "Max", avg: "Avg", stats: "Stats", hist: "Histogram", lhist: "LinearHistogram" } as Record<string, string>)[kind];
}

/** A node's position in the one-liner (1-based line and column). */
export function position(text: string, node: Node): { line: number; column: number; length: number } {
  const before = text.slice(0, node.start);
  const line = before.split("\n").length;
  const column = node.start - (before.lastIndexOf("\n") + 1) + 1;
  const end = text.indexOf("\n", node.start);
  const length = Math.max(1, Math.min(node.end, end < 0 ? text.length : end) - node.start);
  return { line, column, length };
}

export { CompileError };
