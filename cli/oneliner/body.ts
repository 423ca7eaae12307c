// A one-liner probe's function as a handler method: statements and expressions copied as
// written, except the one-liner's own vocabulary, rewritten to tsbpf's:
//   count(k) / hist(k, n) / ...     → this.$.add(k[, n])        (the anonymous map @)
//   $.name[k] = hist(n)             → this.$name.add(k, n)
//   $.name[k] = v, += v, ++, delete → this.$name.set(k, v) / add / delete (a map of values)
//   $.name[k] (read)                → this.$name.get(k)          (0 when absent)
//   print(a, b) / printf(f, a, b)   → this._pN.submit({ v0: a, v1: b })  (formatted in user space)
//   exit()                          → this._exited.set(0, 1); this._exit.submit(...)
//                                     (user space stops the tracer; handlers return at once
//                                     from then on, so nothing printed after exit() arrives)
//   probe()                         → "tracepoint:sched:sched_switch"
//   cond && action                  → if (cond) action           (bpftrace's /filter/)
import type { Node } from "../../compiler/parse.ts";
import type { SourceWriter } from "./source_map.ts";
import { AGGREGATIONS, type MapRef, mapRef, type MapUse } from "./maps.ts";
import { type HandlerContext, inferType, isTextField, kernelFieldType, isMissingField, KEY_STR_LEN, LOCAL_STR_LEN, typeIsKnown, unprintable, PRINT_STR_LEN, tracepointField, isPattern } from "./implicit_types.ts";
import { probeName } from "../../probes/probe_name.ts";
import { conversionMismatchOf } from "./printf.ts";
import { strftimeFormat, timeInProbe } from "./strftime.ts";
import { emitJoin } from "./join.ts";
import type { PrintSite, TransformState } from "./transform_state.ts";
import { emitWhile } from "./while_loop.ts";
export type { PrintSite, TransformState } from "./transform_state.ts";
import { isStackWithDepth, rewriteStackWithDepth } from "./stack_depth.ts";
import { isArgumentCount, positionalIsText, positionalLiteral, positionalString } from "./positional.ts";

const ACTIONS = new Set([...Object.keys(AGGREGATIONS), "print", "printf", "join", "exit"]);
const NOT_CHILDREN = new Set(["loc", "start", "end", "range", "extra", "leadingComments", "trailingComments", "innerComments"]);

export class HandlerBody {
  #w!: SourceWriter;
  readonly #rewrites = new WeakMap<Node, boolean>();
  /** The handler's locals by name: what each was set to (null: declared twice, or a parameter's name too). */
  #locals = new Map<string, Node | null>();

  constructor(readonly t: TransformState, readonly ctx: HandlerContext, readonly used: Set<string>) {}

  emitHandler(w: SourceWriter, probe: { kind: string; call: Node; fn: Node; args: Node[] }, decoratorArgs: (w: SourceWriter) => void, index: number): void {
    this.#w = w;
    const { call, fn } = probe;
    this.#collectUsed(fn.body);
    const { kind } = this.ctx;
    this.#locals = localInits(fn);
    w.region(call.start, call.end - call.start, () => {
      w.write("\n  ");
      // The decorator stands for the probe's name: an unknown probe is reported there.
      const name = probe.args[0];
      w.region(name.start, name.end - name.start, () => {
        w.write(`@${kind}(`);
        decoratorArgs(w);
        w.write(")");
      });
      w.write(`\n  h${index}(`);
      fn.params.forEach((p: Node, i: number) => {
        if (i) w.write(", ");
        w.copy(p.start, p.end);
        if (!p.typeAnnotation) w.write(`: ${kind === "tracepoint" ? "TracepointArgs" : "any"}`);
      });
      w.write(") {\n");
      if (this.t.options.pidFilter) {
        this.used.add("pid");
        w.write("    if (pid() !== this._pid) return;\n");
      }
      if (this.t.usesExit) w.write("    if (this._exited.get(0) !== 0) return;\n");
      const stmts: Node[] = fn.body.type === "BlockStatement" ? fn.body.body : [];
      if (fn.body.type !== "BlockStatement") {
        w.write("    ");
        this.#exprStatement(fn.body);
        w.write("\n");
      }
      for (const s of stmts) {
        w.write("    ");
        this.#statement(s);
        w.write("\n");
      }
      w.write("  }\n");
    });
  }

  /** Helpers and types the body names: the generated script imports those mod.ts exports. */
  #collectUsed(node: Node): void {
    if (!node || typeof node !== "object") return;
    if (node.type === "Identifier" && this.t.options.exports.has(node.name)) this.used.add(node.name);
    for (const c of children(node)) this.#collectUsed(c);
  }

  // ---------------------------------------------------------------- statements

  /**
   * A statement: an expression statement may be an action (anywhere: in a loop, an if, a
   * switch case); any other statement is copied with its nested statements and expressions
   * rewritten in place, so what the user wrote keeps its structure and its own separators.
   */
  #statement(s: Node): void {
    if (s.type === "ExpressionStatement") return this.#exprStatement(s.expression);
    this.#expr(s);
    // Each statement of the body gets a line of its own: end it, whatever follows.
    if (!/[;}]\s*$/.test(this.t.text.slice(s.start, s.end))) this.#w.write(";");
  }

  #exprStatement(e: Node): void {
    const w = this.#w;
    if (e.type === "SequenceExpression") {
      e.expressions.forEach((x: Node, i: number) => (i && w.write(" "), this.#exprStatement(x)));
      return;
    }
    if (e.type === "LogicalExpression" && (e.operator === "&&" || e.operator === "||") && isAction(e.right)) {
      w.write(e.operator === "&&" ? "if (" : "if (!(");
      this.#expr(e.left);
      w.write(e.operator === "&&" ? ") { " : ")) { ");
      this.#exprStatement(e.right);
      w.write(" }");
      return;
    }
    if (e.type === "ConditionalExpression" && (isAction(e.consequent) || isAction(e.alternate))) {
      w.write("if (");
      this.#expr(e.test);
      w.write(") { ");
      this.#exprStatement(e.consequent);
      w.write(" } else { ");
      this.#exprStatement(e.alternate);
      w.write(" }");
      return;
    }
    w.region(e.start, e.end - e.start, () => {
      if (e.type === "CallExpression" && e.callee.type === "Identifier" && ACTIONS.has(e.callee.name)) return this.#action(e);
      if (e.type === "AssignmentExpression" && mapRef(e.left)) return this.#assign(e, mapRef(e.left)!);
      if (e.type === "UpdateExpression" && mapRef(e.argument)) return this.#addTo(mapRef(e.argument)!, e, undefined, e.operator === "--");
      if (e.type === "UnaryExpression" && e.operator === "delete" && mapRef(e.argument)) return this.#delete(mapRef(e.argument)!, e);
      this.#expr(e);
      w.write(";");
    });
  }

  // ---------------------------------------------------------------- actions

  #action(e: Node): void {
    const name: string = e.callee.name;
    const args: Node[] = e.arguments;
    if (name === "print") return this.#print(e, args);
    if (name === "printf") return this.#printf(e, args);
    if (name === "join") return emitJoin(this.t, this.used, this.#w, e, args, (n) => this.#operand(n));
    if (name === "exit") {
      if (args.length) this.t.error(args[0], "exit() takes no arguments");
      this.t.usesExit = true;
      this.#w.write("this._exited.set(0, 1); this._exit.submit({ _: 0 });");
      return;
    }
    // count(k...), sum(k..., n), lhist(k..., n, min, max, step): the key parts come first.
    const fixed = name === "count" ? 0 : name === "lhist" ? 4 : 1;
    if (args.length < fixed) {
      return this.t.error(e, `${name}() needs ${name === "lhist" ? "a value, min, max and step: lhist(n, 0, 1000, 100)" : `a value: ${name}(n), or ${name}(key, n) per key`}`);
    }
    const keyParts = args.slice(0, args.length - fixed);
    this.#aggregate({ name: "", key: keyParts.length > 1 ? { type: "SequenceExpression", expressions: keyParts } : keyParts[0] }, name, args.slice(args.length - fixed), e);
  }

  /** Adds to an aggregation: `values` is [] for count, [n] or [n, min, max, step] for lhist. */
  #aggregate(ref: MapRef, kind: string, values: Node[], at: Node): void {
    let linear: string | undefined;
    if (kind === "lhist") {
      const bounds = values.slice(1);
      if (!bounds.every(isIntegerLiteral)) return this.t.error(bounds.find((b) => !isIntegerLiteral(b)) ?? at, "lhist()'s min, max and step must be number literals");
      linear = bounds.map((b) => this.t.text.slice(b.start, b.end)).join(", ");
    }
    const keyType = ref.key ? this.#keyType(ref.key) : undefined;
    if (!this.#use({ name: ref.name, kind, keyType, linear, node: at }, at)) return;
    const w = this.#w;
    w.write(`this.$${ref.name}.add(`);
    if (ref.key) this.#key(ref.key);
    if (values[0]) {
      if (ref.key) w.write(", ");
      this.#operand(values[0]);
    }
    w.write(");");
  }

  #assign(e: Node, ref: MapRef): void {
    const rhs = e.right;
    const agg = rhs.type === "CallExpression" && rhs.callee.type === "Identifier" && AGGREGATIONS[rhs.callee.name] ? rhs.callee.name : undefined;
    if (agg) {
      if (e.operator !== "=") return this.t.error(e, `assign an aggregation with "=": $.name[key] = ${agg}(...)`);
      const want = agg === "count" ? 0 : agg === "lhist" ? 4 : 1;
      if (rhs.arguments.length !== want) return this.t.error(rhs, `in $.name[key] = ${agg}(...), ${agg}() takes ${want === 0 ? "no arguments" : want === 1 ? "the value" : "the value, min, max and step"}`);
      return this.#aggregate(ref, agg, rhs.arguments, e);
    }
    if (e.operator === "+=" || e.operator === "-=") return this.#addTo(ref, e, rhs, e.operator === "-=");
    if (e.operator !== "=") return this.t.error(e, `maps take =, += and -= (and ++, --)`);
    if (!this.#use({ name: ref.name, kind: "value", keyType: ref.key ? this.#keyType(ref.key) : undefined, valueType: this.#type(rhs, PRINT_STR_LEN), node: e }, e)) return;
    const w = this.#w;
    w.write(`this.$${ref.name}.set(`);
    this.#keyOrZero(ref);
    w.write(", ");
    this.#valueOf(rhs);
    w.write(");");
  }

  #addTo(ref: MapRef, at: Node, amount: Node | undefined, negate: boolean): void {
    if (!this.#use({ name: ref.name, kind: "value", keyType: ref.key ? this.#keyType(ref.key) : undefined, valueType: "i64", node: at }, at)) return;
    const w = this.#w;
    w.write(`this.$${ref.name}.add(`);
    this.#keyOrZero(ref);
    w.write(", ");
    if (!amount) w.write(negate ? "-1" : "1");
    else {
      if (negate) w.write("-(");
      this.#operand(amount);
      if (negate) w.write(")");
    }
    w.write(");");
  }

  #delete(ref: MapRef, at: Node): void {
    if (!this.#use({ name: ref.name, kind: "value", keyType: ref.key ? this.#keyType(ref.key) : undefined, node: at }, at)) return;
    this.#w.write(`this.$${ref.name}.delete(`);
    this.#keyOrZero(ref);
    this.#w.write(");");
  }

  #print(e: Node, args: Node[]): void {
    const values = args.flatMap((a) => (a.type === "TemplateLiteral" ? a.expressions : [a]));
    for (const v of values) {
      const wrong = unprintable(v, this.ctx, this.t.text.slice(v.start, v.end));
      if (wrong) return this.t.error(v, wrong.message, ...wrong.hints);
    }
    if (args.some((a) => a.type === "TemplateLiteral")) return this.#printTemplate(e, args);
    const parts: ({ text: string } | { field: string })[] = [];
    const fields = args.filter((a) => {
      if (a.type === "StringLiteral") parts.push({ text: a.value });
      else parts.push({ field: `v${parts.length}` });
      return a.type !== "StringLiteral";
    });
    const names = parts.filter((p): p is { field: string } => "field" in p).map((p) => p.field);
    this.#submit(e, fields, names, { kind: "print", parts });
  }

  /** print() with template strings: one format, each `${x}` a %s, the parts joined by spaces as print() joins them. */
  #printTemplate(e: Node, args: Node[]): void {
    const literal = (text: string) => text.replaceAll("%", "%%");
    const values: Node[] = [];
    const parts = args.map((a) => {
      if (a.type === "StringLiteral") return literal(a.value);
      if (a.type !== "TemplateLiteral") return (values.push(a), "%s");
      return a.quasis.map((q: Node, i: number) => {
        if (i === a.expressions.length) return literal(q.value.cooked ?? "");
        values.push(a.expressions[i]);
        return literal(q.value.cooked ?? "") + "%s";
      }).join("");
    });
    const names = values.map((_, i) => `v${i}`);
    this.#submit(e, values, names, { kind: "printf", format: parts.join(" ") + "\n", fields: names });
  }

  #printf(e: Node, args: Node[]): void {
    if (args[0]?.type === "TemplateLiteral" && !args[0].expressions.length) {
      args = [{ ...args[0], type: "StringLiteral", value: args[0].quasis[0].value.cooked ?? "" }, ...args.slice(1)];
    }
    if (args[0]?.type !== "StringLiteral") return this.t.error(args[0] ?? e, `printf() takes a format string literal first: printf("%s %d\\n", comm(), pid())`);
    const values = args.slice(1);
    // A pointer field is printable here (%p, %x of the address); the whole record is not.
    const record = values.find((v) => v.type === "Identifier" && v.name === this.ctx.argsParam);
    const whole = record && unprintable(record, this.ctx, record.name);
    if (whole) return this.t.error(record, whole.message, ...whole.hints);
    this.t.checkFormat(args[0], args[0].value, values.length);
    // strftime(format, ktime()): the event's own time (_t), formatted in user space.
    const times = values.map((v) => strftimeFormat(v, this.t));
    // Only where the type is known: a parameter's, say, is not (inferred as i64).
    const types = values.map((v, i) => (times[i] !== undefined ? "Str<64>" : this.#typeIsKnown(v) ? this.#type(v, PRINT_STR_LEN) : undefined));
    const wrong = conversionMismatchOf(args[0].value, types);
    if (wrong) this.t.error(values[wrong.index], wrong.message, wrong.hint);
    const names = values.map((_, i) => (times[i] !== undefined ? "_t" : `v${i}`));
    const sent = values.filter((_, i) => times[i] === undefined);
    const strftimes = Object.fromEntries(times.flatMap((f, i) => (f === undefined ? [] : [[i, f]])));
    this.#submit(e, sent, names.filter((n) => n !== "_t"), { kind: "printf", format: args[0].value, fields: names, ...(times.some((f) => f !== undefined) && { strftimes }) });
  }

  /**
   * Sends the values to the call's ring buffer. The copies of one call in a wildcard's handlers
   * share a buffer when their values have the same types (a tracepoint field may differ).
   */
  #submit(call: Node, values: Node[], names: string[], spec: PrintSite["spec"]): void {
    const fields = values.map((v, i) => ({ name: names[i], type: this.#type(v, PRINT_STR_LEN) }));
    const same = (s: PrintSite) => s.call === call.start && JSON.stringify(s.fields) === JSON.stringify(fields);
    let site = this.t.prints.find(same);
    if (!site) {
      const n = this.t.prints.length;
      site = { field: `_p${n}`, type: `Print${n}`, fields, spec, call: call.start };
      this.t.prints.push(site);
    }
    const w = this.#w;
    this.used.add("ktime");
    w.write(`this.${site.field}.submit({ _t: ktime()`);
    values.forEach((v, i) => {
      w.write(`, ${names[i]}: `);
      this.#valueOf(v);
    });
    w.write(" });");
  }

  // ---------------------------------------------------------------- keys, values, types

  #use(u: MapUse, at: Node): boolean {
    const problem = this.t.maps.use(u);
    if (problem) this.t.error(at, problem);
    return !problem;
  }

  #keyType(key: Node): string {
    if (key.type === "SequenceExpression" || key.type === "ArrayExpression") {
      const items: Node[] = key.type === "ArrayExpression" ? key.elements : key.expressions;
      return `[${items.map((k) => this.#type(k, KEY_STR_LEN)).join(", ")}]`;
    }
    return this.#type(key, KEY_STR_LEN);
  }

  #type(node: Node, strLen: number): string {
    // A local is what it was set to (bpftrace's `$s = comm`): `const s = comm()` holds a string.
    const init = this.#localInit(node);
    if (init?.type === "TSTypeAnnotation") return this.t.text.slice(init.typeAnnotation.start, init.typeAnnotation.end);
    if (init) return this.#type(init, LOCAL_STR_LEN);
    if (node.type === "ConditionalExpression") {
      // c ? "a" : comm(): strings of both arms' largest size; anything else as inferType has it.
      const arms = [this.#type(node.consequent, strLen), this.#type(node.alternate, strLen)];
      const lengths = arms.map((a) => /^Str<(\d+)>$/.exec(a)?.[1]);
      if (lengths.every((n) => n !== undefined)) return `Str<${Math.max(...lengths.map(Number))}>`;
      if (arms[0] === arms[1]) return arms[0];
    }
    if (node.type === "TSAsExpression") return this.t.text.slice(node.typeAnnotation.start, node.typeAnnotation.end);
    if (node.type === "MemberExpression" && mapRef(node)) return this.t.maps.get(mapRef(node)!.name)?.valueType ?? "i64";
    return inferType(node, this.ctx, strLen);
  }

  #typeIsKnown(node: Node): boolean {
    // A field the tracepoint does not have: the compiler names it, with the ones it has.
    if (isMissingField(node, this.ctx)) return false;
    // An array field (saddr, __u8[4]) is no number: the compiler says what it is and how to read it.
    const field = tracepointField(node, this.ctx);
    if (field?.kind === "array" && !isTextField(field)) return false;
    const init = this.#localInit(node);
    if (!init && node.type === "ConditionalExpression") return this.#typeIsKnown(node.consequent) && this.#typeIsKnown(node.alternate);
    return init ? this.#typeIsKnown(init) : typeIsKnown(node);
  }

  /**
   * What the local `node` names was set to, when that tells its type: not a tracepoint's text
   * field (the local holds the field's raw value, not the string a print reads through str()),
   * nor another local (no chains to follow round).
   */
  #localInit(node: Node): Node | undefined {
    if (node.type !== "Identifier") return undefined;
    const init = this.#locals.get(node.name);
    if (!init || init.type === "Identifier" || isTextField(tracepointField(init, this.ctx))) return undefined;
    return init;
  }

  /** A key: a tuple written `k1, k2` or `[k1, k2]` becomes `[k1, k2]`. */
  #key(key: Node): void {
    const w = this.#w;
    if (key.type === "SequenceExpression" || key.type === "ArrayExpression") {
      const items: Node[] = key.type === "ArrayExpression" ? key.elements : key.expressions;
      w.write("[");
      items.forEach((k, i) => (i && w.write(", "), this.#valueOf(k)));
      w.write("]");
      return;
    }
    this.#valueOf(key);
  }

  #keyOrZero(ref: MapRef): void {
    if (ref.key) this.#key(ref.key);
    else this.#w.write("0");
  }

  /** An expression as a value: a tracepoint's text field (char[N], __data_loc) or a kernel struct's char array (`curtask().comm`) is read as a string. */
  #valueOf(node: Node): void {
    if (isTextField(tracepointField(node, this.ctx)) || kernelFieldType(node, this.ctx)?.startsWith("Str<")) {
      this.used.add("str");
      this.#w.write("str(");
      this.#expr(node);
      this.#w.write(")");
      return;
    }
    this.#operand(node);
  }

  /**
   * An expression moved into an argument or property position: its own parentheses lie outside
   * its node, so they are written again (`print((a, b))` stays one value, not two).
   */
  #operand(node: Node): void {
    const parens = !!node.extra?.parenthesized;
    if (parens) this.#w.write("(");
    this.#expr(node);
    if (parens) this.#w.write(")");
  }

  // ---------------------------------------------------------------- expressions

  /** Copies an expression (or statement), rewriting what the one-liner vocabulary adds (map reads, probe(), actions). */
  #expr(node: Node): void {
    const w = this.#w;
    if (node.type === "ExpressionStatement") return this.#exprStatement(node.expression);
    if (this.#rewrite(node)) return;
    let pos = node.start;
    for (const c of children(node)) {
      if (!this.#needsRewrite(c)) continue;
      w.copy(pos, c.start);
      this.#expr(c);
      pos = c.end;
    }
    w.copy(pos, node.end);
  }

  #needsRewrite(node: Node): boolean {
    const known = this.#rewrites.get(node);
    if (known !== undefined) return known;
    const r = rewritten(node) || children(node).some((c) => this.#needsRewrite(c));
    this.#rewrites.set(node, r);
    return r;
  }

  /** Writes the replacement of `node` and returns true, or returns false when it is copied as is. */
  #rewrite(node: Node): boolean {
    const w = this.#w;
    if (node.type === "WhileStatement") {
      emitWhile(this.t, w, node, (n) => this.#expr(n), (x) => this.#statement(x));
      return true;
    }
    if (node.type === "CallExpression" && node.callee.type === "Identifier") {
      const name = node.callee.name;
      if (badStrLength(node)) {
        this.t.error(node.arguments[1], "str()'s length is a whole number from 1 to 4096", "e.g. str(p, 32); without it a key holds 64 bytes, a print 256");
        w.write("0");
        return true;
      }
      if (name === "time" && !this.#locals.has("time")) {
        // bpftrace's time() in a probe: the event's own time (_t), printed as strftime(format, ktime()) is.
        const spec = timeInProbe(node, this.t);
        if (spec) this.#submit(node, [], [], spec);
        else w.write("0");
        return true;
      }
      if (isStackWithDepth(node)) return rewriteStackWithDepth(this.t, this.used, w, node);
      if (name === "str" && node.arguments.length === 1 && isPositional(node.arguments[0])) {
        // str($1): the word itself, as a string literal
        const n = Number(node.arguments[0].name.slice(1));
        w.region(node.start, node.end - node.start, () => w.write(positionalString(this.t.options.positional ?? [], n)));
        return true;
      }
      const held = name === "str" && node.arguments[0]?.type === "MemberExpression" ? mapRef(node.arguments[0]) : undefined;
      const pointsTo = held && this.t.pointerMaps.get(held.name);
      if (pointsTo) {
        // The map holds the address as a number: str() is told the memory it points to (its length is a literal, see badStrLength).
        this.used.add(pointsTo);
        w.copy(node.start, node.arguments[0].start).write(`${pointsTo}(`);
        this.#expr(node.arguments[0]);
        w.write(")").copy(node.arguments[0].end, node.end);
        return true;
      }
      if (name === "elapsed") {
        // bpftrace's elapsed: nanoseconds since the probes were attached (begin runs then), on
        // ktime()'s clock; the start is a map user space fills then, 0 (unset) before it.
        if (node.arguments.length) this.t.error(node.arguments[0], "elapsed() takes no arguments");
        this.t.usesElapsed = true;
        this.used.add("ktime");
        w.region(node.start, node.end - node.start, () => w.write("(this._start.get(0) === 0 ? 0 : ktime() - this._start.get(0))"));
        return true;
      }
      if (name === "probe") {
        w.region(node.start, node.end - node.start, () => w.write(isPattern(this.ctx.target) ? (this.used.add("probe"), "probe()") : JSON.stringify(probeName(this.ctx.kind, this.ctx.target))));
        return true;
      }
      if (ACTIONS.has(name)) {
        this.t.error(node, `${name}() is an action: use it as a statement (cond && ${name}(...) to make it conditional)`);
        w.write("0");
        return true;
      }
    }
    if (isMapUpdate(node)) {
      this.t.error(node, "a map update is a statement: write it on its own, or as cond && (update)", "e.g. a => { for (let i = 0; i < 4; i++) { $.x[i] = i; } }");
      w.write("0");
      return true;
    }
    const ref = node.type === "MemberExpression" ? mapRef(node) : undefined;
    if (ref) {
      const known = this.t.maps.get(ref.name);
      if (known && known.kind !== "value") {
        this.t.error(node, `@${ref.name} is a ${known.kind}() map: its values are read in user space (print($.${ref.name}) in end()), not in a probe`);
      } else {
        this.#use({ name: ref.name, kind: "value", keyType: ref.key ? this.#keyType(ref.key) : undefined, node }, node);
      }
      w.region(node.start, node.end - node.start, () => {
        w.write(`this.$${ref.name}.get(`);
        this.#keyOrZero(ref);
        w.write(")");
      });
      return true;
    }
    if (isArgumentCount(node)) {
      w.region(node.start, node.end - node.start, () => w.write(String(this.t.options.positional?.length ?? 0)));
      return true;
    }
    if (isPositional(node)) {
      const positional = this.t.options.positional ?? [], n = Number(node.name.slice(1));
      if (positionalIsText(positional, n)) {
        this.t.error(node, `${node.name} is used as a number, but the word given is ${JSON.stringify(positional[n - 1])}`, `for the word as a string write str(${node.name}) (bpftrace's str($1)); or give a number after the one-liner`);
      }
      w.region(node.start, node.end - node.start, () => w.write(positionalLiteral(positional, n)));
      return true;
    }
    if (node.type === "ThisExpression") {
      this.t.error(node, "a one-liner has no this: its maps are $.name", "e.g. $.opens[comm()] = count(), and print($.opens) in end()");
      w.write("0");
      return true;
    }
    if (node.type === "Identifier" && node.name === "$") {
      this.t.error(node, "$ holds the maps: write $.name or $[key]");
      w.write("0");
      return true;
    }
    return false;
  }
}

/** `$.x[k] = v`, `$.x[k] += v`, `$.x[k]++`, `delete $.x[k]`. */
function isMapUpdate(node: Node): boolean {
  if (node.type === "AssignmentExpression") return !!mapRef(node.left);
  if (node.type === "UpdateExpression" || (node.type === "UnaryExpression" && node.operator === "delete")) return !!mapRef(node.argument);
  return false;
}

/** `str(p, n)` whose n is not a literal the map or event type can hold (Str<1> to Str<4096>). */
function badStrLength(node: Node): boolean {
  if (node.callee?.name !== "str" || node.arguments.length < 2) return false;
  const n = node.arguments[1];
  return !(n.type === "NumericLiteral" && Number.isInteger(n.value) && n.value >= 1 && n.value <= 4096);
}

/** $1, $2, ...: a positional parameter. */
function isPositional(node: Node): boolean {
  return node.type === "Identifier" && /^\$\d+$/.test(node.name);
}

function rewritten(node: Node): boolean {
  if (isPositional(node) || isArgumentCount(node)) return true;
  if (isStackWithDepth(node)) return true;
  if (node.type === "CallExpression" && badStrLength(node)) return true;
  if (node.type === "ExpressionStatement" || node.type === "WhileStatement" || node.type === "ThisExpression" || isMapUpdate(node)) return true;
  if (node.type === "CallExpression" && node.callee.type === "Identifier" && (node.callee.name === "probe" || node.callee.name === "elapsed" || node.callee.name === "time" || ACTIONS.has(node.callee.name))) return true;
  if (node.type === "MemberExpression" && mapRef(node)) return true;
  return node.type === "Identifier" && node.name === "$";
}

/** Whether an expression statement is (or combines) actions: then && and ?: become if. */
function isAction(e: Node): boolean {
  if (e.type === "CallExpression" && e.callee.type === "Identifier" && ACTIONS.has(e.callee.name)) return true;
  if ((e.type === "AssignmentExpression" || e.type === "UpdateExpression") && mapRef(e.left ?? e.argument)) return true;
  if (e.type === "UnaryExpression" && e.operator === "delete") return true;
  if (e.type === "SequenceExpression") return e.expressions.some(isAction);
  if (e.type === "LogicalExpression") return isAction(e.right);
  if (e.type === "ConditionalExpression") return isAction(e.consequent) || isAction(e.alternate);
  return false;
}

function isIntegerLiteral(n: Node): boolean {
  if (n.type === "UnaryExpression" && n.operator === "-") return isIntegerLiteral(n.argument);
  return n.type === "NumericLiteral" && Number.isInteger(n.value);
}

/**
 * The locals a handler declares (`const s = comm()`), each with what it is set to, or its written
 * type (`let s: Str<64> = ...`, a TSTypeAnnotation); a name declared twice, or also a parameter's, is left unknown.
 */
function localInits(fn: Node): Map<string, Node | null> {
  const out = new Map<string, Node | null>();
  for (const p of fn.params) if (p.type === "Identifier") out.set(p.name, null);
  const visit = (node: Node) => {
    if (node.type === "VariableDeclarator" && node.id.type === "Identifier") {
      const said = node.id.typeAnnotation ?? node.init;
      out.set(node.id.name, out.has(node.id.name) || !said ? null : said);
    }
    for (const c of children(node)) if (!/Function/.test(c.type)) visit(c);
  };
  visit(fn.body);
  return out;
}

/** The AST children of a node, in source order. */
function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (NOT_CHILDREN.has(key)) continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const x of v) if (x && typeof x.type === "string" && typeof x.start === "number") out.push(x);
    } else if (v && typeof v === "object" && typeof v.type === "string" && typeof v.start === "number") out.push(v);
  }
  return out.sort((a, b) => a.start - b.start);
}
