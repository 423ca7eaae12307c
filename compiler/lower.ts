// Pass 3: lower one handler's body to IR, checking types as it goes.
import { Code, didYouMean, type DiagnosticBag, type SourcePos } from "../spec/diagnostics.ts";
import { type Base, IrBuilder, isReg, type Operand, type VReg } from "./ir.ts";
import { type Node, posOf } from "./parse.ts";
import type { MapField, TracerClass, TypeTable } from "./collect.ts";
import type { CompileTarget, ContextField, ProbeContext } from "../spec/target.ts";
import { bool, intType, type IntType, isScalar, i64, layoutStruct, type PtrType, sizeOf, type StructType, type Type, typeName, u64, u8 } from "../spec/layout.ts";
import { type BinaryOp, commonType, type CompareOp, evalBinary, evalCompare, wrap } from "./semantics.ts";
import type { CondName } from "../spec/bpf/isa.ts";
import { BUILTINS, cgroupFilter, Helper } from "./builtins.ts";
import { mapMethod } from "./map_ops.ts";
import { isStringLiteral, isStringValued, stringCompareBranch } from "./strings.ts";
import { checkLiteral, integerLiteral } from "./literals.ts";
import { PARAMS_MAP } from "../spec/tracer_spec.ts";
import { btfStruct, deref, kernelFieldOr, kernelIndex, kernelMember, kernelScalarType, readInto } from "./kernel_access.ts";
import { breakStatement, continueStatement, forStatement, type LoopLabels, switchStatement } from "./control_flow.ts";
import { callFunction, type InlineFrame, returnFromInlined, type ScriptFunction } from "./inline.ts";
import { operandValue } from "./operand.ts";

export type ScalarType = IntType | typeof bool | PtrType;

/** What an expression produced. */
export type Value =
  | { kind: "scalar"; type: ScalarType; op: Operand; literal?: boolean }
  | { kind: "mem"; type: Type; base: Base; off: number }
  | { kind: "ctx" }
  | { kind: "map"; map: MapField }
  | { kind: "string"; value: string }
  | { kind: "ctxfield"; field: ContextField }
  /** Memory read with probe reads (kernel_access.ts): in the kernel, or in the traced process. */
  | { kind: "kmem"; space: "user" | "kernel"; addr: Operand; off: number; btfId: number }
  | { kind: "void" };

type Binding =
  | { kind: "scalar"; type: ScalarType; op: Operand; mutable: boolean; name: string }
  | { kind: "mem"; type: Type; off: number; mutable: boolean; name: string }
  | { kind: "ctx" }
  /** A const naming something that is not a number: kernel memory, a context string field. */
  | { kind: "alias"; value: Value }
  /** A handler parameter the probe passes by position (a kprobe's function argument). */
  | { kind: "arg"; field: ContextField }
  /** A variable whose declaration failed: uses are silent, so one mistake gives one error. */
  | { kind: "poisoned" };

export class Unsupported extends Error {}

export interface HandlerInput {
  node: Node;
  tracer: TracerClass;
  types: TypeTable;
  probe: ProbeContext;
  programIndex: number;
  functions: Map<string, ScriptFunction>;
  constants: Map<string, Node>;
  /** Kernel facts the code relies on (compiler/assumptions.ts), collected for the whole tracer. */
  assumptions: Set<string>;
  target: CompileTarget;
  diags: DiagnosticBag;
  /** Build every perf buffer event in the scratch map (the stack overflowed when they were built there). */
  perfEventsInScratch?: boolean;
  /** Run the handler only for tasks in the cgroup of CGROUP_MAP's slot 0 (or below it). */
  cgroupFilter?: boolean;
  /** Histograms keep the sum of their values too, in the bucket HISTOGRAM_SUM_BUCKET. */
  histogramSums?: boolean;
}

export class Lowering {
  readonly b = new IrBuilder();
  readonly scopes: Map<string, Binding>[] = [new Map()];
  readonly stackUse: { name: string; bytes: number }[] = [];
  ctx!: VReg;
  /** A stack slot that kernel reads land in before they are loaded into a register. */
  kernelScratch?: number;
  /** Records a fact about the kernel that the generated code relies on. */
  assume(fact: string): void {
    this.input.assumptions.add(fact);
  }

  /** A perf buffer event was built on the stack (if the stack overflows, build them in the scratch map). */
  perfEventOnStack = false;
  /** Bytes of the largest perf buffer event built in the scratch map (0: none). */
  perfScratchBytes = 0;
  /** Whether kstack()/ustack() were used: the tracer then needs a stack-trace map. */
  usesStacks = false;
  /** Whether a map update may be refused (a full map): the tracer then counts the refusals. */
  countsDrops = false;
  /** Innermost last: where break and continue go. */
  readonly loops: LoopLabels[] = [];
  /** Functions being inlined, innermost last: where their return goes. */
  readonly inlined: InlineFrame[] = [];
  #failed = false;

  constructor(readonly input: HandlerInput) {}

  get diags(): DiagnosticBag {
    return this.input.diags;
  }

  /** Reports an error at `node` and abandons the current statement. */
  fail(node: Node, code: string, message: string, ...hints: string[]): never {
    this.diags.error(code, posOf(node), message, ...hints);
    this.#failed = true;
    throw new Unsupported(message);
  }

  lowerHandler(): IrBuilder {
    const fn = this.input.node;
    this.ctx = this.b.reg();
    this.b.emit({ op: "entry", dst: this.ctx });
    if (this.input.cgroupFilter) cgroupFilter(this);
    const params: Node[] = fn.params;
    const positional = this.input.probe.params;
    if (positional) {
      if (params.length > positional.length) {
        this.fail(params[positional.length], Code.Unsupported, `${this.input.probe.describe} passes ${positional.length} argument${positional.length === 1 ? "" : "s"}: (${positional.map((p) => `${p.name}: ${p.cType}`).join(", ")})`);
      }
      params.forEach((p, i) => {
        if (p.type !== "Identifier") this.fail(p, Code.Unsupported, `destructuring handler parameters is not supported`);
        this.scopes[0].set(p.name, { kind: "arg", field: positional[i] });
      });
    } else if (params.length > 1) {
      this.fail(params[1], Code.Unsupported, `a ${this.input.probe.describe} handler takes one parameter (its arguments)`);
    } else if (params[0]) {
      if (params[0].type !== "Identifier") this.fail(params[0], Code.Unsupported, `destructuring handler parameters is not supported`, "name the parameter, e.g. (args) => args.filename");
      this.scopes[0].set(params[0].name, { kind: "ctx" });
    }
    this.block(fn.body.body);
    this.b.loc = undefined;
    this.b.emit({ op: "ret", value: 0n });
    return this.b;
  }

  get failed(): boolean {
    return this.#failed;
  }

  // ---------------------------------------------------------------- statements

  block(stmts: Node[], scoped = true): void {
    if (scoped) this.scopes.push(new Map());
    for (const s of stmts) {
      try {
        this.statement(s);
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        if (s.type === "VariableDeclaration") {
          for (const d of s.declarations) if (d.id.type === "Identifier" && !this.lookup(d.id.name)) this.bind(d.id.name, { kind: "poisoned" });
        }
      }
    }
    if (scoped) this.scopes.pop();
  }

  statement(s: Node): void {
    this.b.loc = posOf(s);
    switch (s.type) {
      case "BlockStatement": return this.block(s.body);
      case "EmptyStatement": return;
      case "ExpressionStatement": this.expr(s.expression); return;
      case "VariableDeclaration": return this.declaration(s);
      case "IfStatement": return this.ifStatement(s);
      case "ReturnStatement": return this.returnStatement(s);
      case "ForStatement": return forStatement(this, s);
      case "SwitchStatement": return switchStatement(this, s);
      case "BreakStatement": return breakStatement(this, s);
      case "ContinueStatement": return continueStatement(this, s);
    }
    this.unsupportedStatement(s);
  }

  unsupportedStatement(s: Node): never {
    const hints: Record<string, string> = {
      TryStatement: "handlers run in the kernel and cannot throw; remove the try",
      ThrowStatement: "handlers cannot throw; return early instead",
      WhileStatement: "write a counting loop the compiler can bound: for (let i = 0; i < N; i++)",
      DoWhileStatement: "write a counting loop the compiler can bound: for (let i = 0; i < N; i++)",
      ForOfStatement: "write a counting loop: for (let i = 0; i < N; i++)",
      ForInStatement: "for...in has no meaning in the kernel",
      ClassDeclaration: "declare classes outside the handler; handlers run in the kernel",
      FunctionDeclaration: "declare functions outside the tracer class",
    };
    const written: Record<string, string> = { ForOfStatement: `"for...of"`, ForInStatement: `"for...in"`, DoWhileStatement: `"do...while"`, LabeledStatement: "labeled" };
    const what = written[s.type] ?? `"${s.type.replace(/Statement|Declaration/, "").toLowerCase()}"`;
    this.fail(s, Code.Unsupported, `${what} statements are not supported in a handler`, ...(hints[s.type] ? [hints[s.type]] : []));
  }

  returnStatement(s: Node): void {
    const frame = this.inlined[this.inlined.length - 1];
    if (frame) return returnFromInlined(this, frame, s);
    const v = s.argument ? this.scalar(s.argument) : undefined;
    this.b.emit({ op: "ret", value: v ? this.convert(v, i64, s.argument).op : 0n });
  }

  /** The value of a constant expression (literals, constant consts, arithmetic on them), if it is one. */
  constant(e: Node): bigint | undefined {
    return this.trial(() => {
      const v = this.expr(e);
      return v.kind === "scalar" && !isReg(v.op) ? v.op : undefined;
    });
  }


  declaration(s: Node): void {
    const mutable = s.kind === "let";
    if (s.kind === "var") this.fail(s, Code.Unsupported, `"var" is not supported in a handler`, "use const or let");
    for (const d of s.declarations) {
      if (d.id.type !== "Identifier") this.fail(d.id, Code.Unsupported, `destructuring is not supported in a handler`);
      const name: string = d.id.name;
      const declared = d.id.typeAnnotation ? this.input.types.resolve(d.id.typeAnnotation) : undefined;
      if (d.id.typeAnnotation && !declared) throw new Unsupported(name);
      if (!d.init && !declared) this.fail(d, Code.TypeMismatch, `"${name}" needs a type or an initial value`, `write let ${name}: u64 = 0`);
      if (declared && !isScalar(declared)) {
        const off = this.stackSlot(name, declared);
        if (d.init) this.into(d.init, declared, "fp", off);
        else this.zero("fp", off, sizeOf(declared));
        this.bind(name, { kind: "mem", type: declared, off, mutable, name });
        continue;
      }
      if (d.init && !declared && this.isAggregateCall(d.init)) {
        // const name = comm(): a string on the stack, of the helper's natural size.
        const t = this.aggregateType(d.init);
        const off = this.stackSlot(name, t);
        this.into(d.init, t, "fp", off);
        this.bind(name, { kind: "mem", type: t, off, mutable, name });
        continue;
      }
      let v: Value = d.init ? this.expr(d.init) : { kind: "scalar", type: declared as ScalarType, op: 0n };
      if (v.kind === "mem" || (v.kind !== "scalar" && !declared)) {
        if (v.kind === "mem" && !mutable && v.base === "fp") {
          // A const names the stack memory the value is already in (a map value read by get()).
          this.bind(name, { kind: "mem", type: v.type, off: v.off, mutable, name });
          continue;
        }
        if (v.kind === "mem") {
          const off = this.stackSlot(name, v.type);
          this.copy(v, "fp", off);
          this.bind(name, { kind: "mem", type: v.type, off, mutable, name });
          continue;
        }
        if (!mutable && (v.kind === "kmem" || v.kind === "ctxfield")) {
          this.bind(name, { kind: "alias", value: v });
          continue;
        }
        if (d.init && this.isAggregateCall(d.init)) {
          const t = this.aggregateType(d.init);
          const off = this.stackSlot(name, t);
          this.into(d.init, t, "fp", off);
          this.bind(name, { kind: "mem", type: t, off, mutable, name });
          continue;
        }
        this.fail(d.init, Code.TypeMismatch, `this value cannot be stored in a variable`);
      }
      let sv = this.asScalar(v, d.init);
      if (declared) sv = this.convert(sv, declared as ScalarType, d);
      else if (sv.literal) sv = { ...sv, literal: false };
      // A const that is a constant stays a constant (folded into every use); a let gets its own register.
      const op = mutable || isReg(sv.op) ? this.b.mov(sv.op) : sv.op;
      this.bind(name, { kind: "scalar", type: sv.type, op, mutable, name });
    }
  }

  bind(name: string, b: Binding): void {
    this.scopes[this.scopes.length - 1].set(name, b);
  }

  lookup(name: string): Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i].get(name);
      if (b) return b;
    }
    return undefined;
  }

  stackSlot(name: string, t: Type): number {
    const size = sizeOf(t);
    this.stackUse.push({ name, bytes: size });
    return this.b.allocStack(size, 8);
  }

  ifStatement(s: Node): void {
    const elseLabel = this.b.label();
    this.branch(s.test, false, elseLabel);
    this.statement(s.consequent);
    if (s.alternate) {
      const end = this.b.label();
      this.b.emit({ op: "jmp", target: end });
      this.b.place(elseLabel);
      this.statement(s.alternate);
      this.b.place(end);
    } else {
      this.b.place(elseLabel);
    }
  }

  // ---------------------------------------------------------------- conditions

  /** Jumps to `label` when `e` is truthy (`when` = true) or falsy (`when` = false); otherwise falls through. */
  branch(e: Node, when: boolean, label: number): void {
    if (e.type === "ParenthesizedExpression") return this.branch(e.expression, when, label);
    if (isStartsWith(e)) {
      if (!isStringValued(this, e.callee.object)) this.fail(e.callee.object, Code.TypeMismatch, `startsWith() needs a string (comm(), str(p), a Str field)`);
      return stringCompareBranch(this, e.callee.object, e.arguments[0], true, when, label);
    }
    if (e.type === "UnaryExpression" && e.operator === "!") return this.branch(e.argument, !when, label);
    if (e.type === "LogicalExpression" && (e.operator === "&&" || e.operator === "||")) {
      const and = e.operator === "&&";
      if (and !== when) {
        // && jumping when false, || jumping when true: either operand decides alone.
        this.branch(e.left, when, label);
        this.branch(e.right, when, label);
      } else {
        const skip = this.b.label();
        this.branch(e.left, !when, skip);
        this.branch(e.right, when, label);
        this.b.place(skip);
      }
      return;
    }
    if (e.type === "BinaryExpression" && COMPARE_OPS.has(e.operator)) {
      return this.compareBranch(e, when, label);
    }
    const v = this.scalar(e);
    if (!isReg(v.op)) {
      if ((v.op !== 0n) === when) this.b.emit({ op: "jmp", target: label });
      return;
    }
    this.b.emit({ op: "br", cond: when ? "jne" : "jeq", a: v.op, b: 0n, target: label });
  }

  compareBranch(e: Node, when: boolean, label: number): void {
    const op = (e.operator === "===" ? "==" : e.operator === "!==" ? "!=" : e.operator) as CompareOp;
    const literalLeft = isStringLiteral(e.left), literalRight = isStringLiteral(e.right);
    if (literalLeft || literalRight) {
      if (op !== "==" && op !== "!=") this.fail(e, Code.TypeMismatch, `strings can only be compared with === and !==`);
      const other = literalLeft ? e.right : e.left;
      if (!isStringValued(this, other)) this.fail(other, Code.TypeMismatch, `a string literal can only be compared with a string (comm(), str(p), a Str field)`);
      return stringCompareBranch(this, other, literalLeft ? e.left : e.right, false, op === "==" ? when : !when, label);
    }
    let a = this.scalar(e.left), b = this.scalar(e.right);
    if (a.type.kind === "ptr" || b.type.kind === "ptr") {
      if (op !== "==" && op !== "!=") this.fail(e, Code.TypeMismatch, `"${op}" compares numbers, not ${typeName(a.type.kind !== "int" ? a.type : b.type)}`);
    }
    // A bool compares as the number 0 or 1.
    if (a.type.kind === "bool") a = { ...a, type: u8 };
    if (b.type.kind === "bool") b = { ...b, type: u8 };
    [a, b] = this.unifyLiterals(a, b);
    if (!isReg(a.op) && !isReg(b.op)) {
      if (evalCompare(op, a.op, b.op) === when) this.b.emit({ op: "jmp", target: label });
      return;
    }
    const at = a.type.kind === "int" ? a.type : u64, bt = b.type.kind === "int" ? b.type : u64;
    const finalOp = when ? op : NEGATE[op];
    if (at.signed === bt.signed || (at.signed ? bt.bits < 64 : at.bits < 64)) {
      // Both values are exact in a 64-bit register of the same signedness, or both fit in i64.
      const signed = at.signed || bt.signed;
      this.b.emit({ op: "br", cond: condFor(finalOp, signed), a: a.op, b: b.op, target: label });
      return;
    }
    // A signed value against a u64: a negative signed value is below every u64.
    const signedIsLeft = at.signed;
    const s = signedIsLeft ? a.op : b.op;
    const negResult = evalCompare(finalOp, signedIsLeft ? -1n : 0n, signedIsLeft ? 0n : -1n);
    const skip = this.b.label();
    this.b.emit({ op: "br", cond: "jslt", a: s, b: 0n, target: negResult ? label : skip });
    this.b.emit({ op: "br", cond: condFor(finalOp, false), a: a.op, b: b.op, target: label });
    this.b.place(skip);
  }

  // ---------------------------------------------------------------- expressions

  expr(e: Node): Value {
    switch (e.type) {
      case "ParenthesizedExpression": return this.expr(e.expression);
      case "TSNonNullExpression": return this.expr(e.expression);
      case "NumericLiteral": {
        if (!Number.isInteger(e.value)) this.fail(e, Code.TypeMismatch, `handlers compute with integers; ${e.value} is not one`);
        return { kind: "scalar", type: i64, op: integerLiteral(this, e), literal: true };
      }
      case "BigIntLiteral": return { kind: "scalar", type: u64, op: integerLiteral(this, e), literal: true };
      case "BooleanLiteral": return { kind: "scalar", type: bool, op: e.value ? 1n : 0n };
      case "StringLiteral": return { kind: "string", value: e.value };
      case "Identifier": return this.identifier(e);
      case "ThisExpression": this.fail(e, Code.Unsupported, `"this" alone has no value in a handler`, "use this.<map> to reach a map");
      // falls through (fail never returns)
      case "MemberExpression": return this.member(e);
      case "CallExpression": return this.call(e);
      case "BinaryExpression": return this.binary(e);
      case "LogicalExpression":
        if (e.operator === "??") return kernelFieldOr(this, e);
      // falls through: && and || are materialized below
      case "UnaryExpression":
        if (e.operator === "-" ) return this.negate(e);
        if (e.operator === "~") {
          const v = this.intScalar(e.argument);
          return this.arith("^", v, { ...v, op: wrap(-1n, v.type) }, e);
        }
        if (e.operator === "+") return this.expr(e.argument);
        if (e.operator === "!" || e.operator === "&&" || e.operator === "||") return this.materialize(e);
        break;
      case "ConditionalExpression": return this.conditional(e);
      case "AssignmentExpression": return this.assign(e);
      case "UpdateExpression": return this.update(e);
      case "TSAsExpression":
      case "TSTypeAssertion": {
        // `as any` / `as unknown`: TypeScript's business only.
        if (e.typeAnnotation.type === "TSAnyKeyword" || e.typeAnnotation.type === "TSUnknownKeyword") return this.expr(e.expression);
        const kernelCast = this.kernelPointerCast(e);
        if (kernelCast) return kernelCast;
        const t = this.input.types.resolve(e.typeAnnotation);
        if (!t) throw new Unsupported("type");
        const v = this.expr(e.expression);
        if (!isScalar(t)) this.fail(e, Code.TypeMismatch, `only casts to integer types are supported`);
        return this.convert(this.asScalar(v, e.expression), t as ScalarType, e, true);
      }
    }
    const hints: Record<string, string> = {
      ClassExpression: "declare classes outside the handler; handlers run in the kernel",
      ArrowFunctionExpression: "functions cannot be created in the kernel; declare a function outside the class",
      FunctionExpression: "functions cannot be created in the kernel; declare a function outside the class",
      AwaitExpression: "handlers run to completion in the kernel; they cannot await",
      TemplateLiteral: "format strings in user space, where the event arrives",
      ArrayExpression: "arrays are not supported in handlers yet",
      ObjectExpression: "an object literal can only be submitted to a map or assigned to a typed variable",
      NewExpression: "objects cannot be allocated in the kernel",
    };
    this.fail(e, Code.Unsupported, `${describeNode(e)} is not supported in a handler`, ...(hints[e.type] ? [hints[e.type]] : []));
  }

  identifier(e: Node): Value {
    const b = this.lookup(e.name) ?? this.moduleConstant(e.name);
    if (!b) {
      if (e.name === "undefined" || e.name === "null") this.fail(e, Code.Unsupported, `${e.name} has no value in a handler`, "use 0");
      if (this.input.constants.has(e.name)) {
        this.fail(e, Code.NotConstant, `"${e.name}" is not a constant number, so handlers cannot use it`, "handlers run in the kernel: they see only top-level consts whose value is known when compiling, and the tracer's own integer fields (this.x)");
      }
      if (e.name === "console") {
        this.fail(e, Code.Unsupported, `console cannot be used in a handler: it runs in the kernel, which has no console`,
          "send the values to JavaScript in an event (this.events.submit({ ... }) on a RingBuf field) and print them there",
          "in a one-liner (tsbpf -e), print(...) and printf(...) do that for you");
      }
      const names = this.scopes.flatMap((s) => [...s.keys()]);
      this.fail(e, Code.UnknownIdentifier, `unknown name "${e.name}"`, ...didYouMean(e.name, [...names, ...Object.keys(BUILTINS)]));
    }
    if (b.kind === "ctx") return { kind: "ctx" };
    if (b.kind === "alias") return b.value;
    if (b.kind === "arg") return this.contextField(b.field);
    if (b.kind === "poisoned") throw new Unsupported(e.name);
    if (b.kind === "mem") return { kind: "mem", type: b.type, base: "fp", off: b.off };
    return { kind: "scalar", type: b.type, op: b.op };
  }

  member(e: Node): Value {
    if (e.computed) return this.index(e);
    const name: string = e.property.name;
    if (e.object.type === "ThisExpression") {
      if (this.input.tracer.params.has(name)) return this.param(name);
      const map = this.input.tracer.maps.get(name);
      if (!map) this.fail(e.property, Code.UnknownField, `"${name}" is not a map of ${this.input.tracer.name}`,
        ...didYouMean(name, this.input.tracer.maps.keys()), "only maps declared as fields (counts = new HashMap<u32, u64>()) can be used in handlers");
      return { kind: "map", map };
    }
    const obj = this.expr(e.object);
    if (obj.kind === "ctx") {
      const field = this.input.probe.fields.find((f) => f.name === name);
      if (!field) this.fail(e.property, Code.UnknownField, `${this.input.probe.describe} has no field "${name}"`,
        ...didYouMean(name, this.input.probe.fields.map((f) => f.name)),
        `its fields are: ${this.input.probe.fields.filter((f) => !f.name.startsWith("common_")).map((f) => f.name).join(", ")}`);
      return this.contextField(field);
    }
    if (obj.kind === "scalar" && obj.type.kind === "ptr") return kernelMember(this, deref(this, obj, e.object), name, e.property);
    if (obj.kind === "kmem") return kernelMember(this, obj, name, e.property);
    if (obj.kind === "mem" && obj.type.kind === "struct") {
      const f = obj.type.fields.find((x) => x.name === name);
      if (!f) this.fail(e.property, Code.UnknownField, `${obj.type.name} has no field "${name}"`, ...didYouMean(name, obj.type.fields.map((x) => x.name)));
      return this.memValue(f.type, obj.base, obj.off + f.offset);
    }
    const address = obj.kind === "scalar" && obj.type.kind === "int" && obj.type.bits === 64;
    this.fail(e, Code.UnknownField, `"${name}" cannot be read from ${describeValue(obj)}`,
      ...(address ? ["an address held as a number: say what it points to and where, kernel<task_struct>(x) or user<sockaddr_in>(x)"] : []));
  }

  /** A top-level `const` of the script whose value is a constant number. */
  moduleConstant(name: string): Binding | undefined {
    const init = this.input.constants.get(name);
    if (!init || this.#resolvingConstants.has(name)) return undefined;
    this.#resolvingConstants.add(name);
    const saved = this.scopes.splice(0, this.scopes.length, new Map());
    try {
      // Like a local const: the value's type (i64 for a plain number), folded into every use.
      checkLiteral(this, init); // a literal too large is reported at its definition, not as "not a constant"
      if (this.constant(init) === undefined) return undefined;
      const mark = this.b.code.length;
      const v = this.expr(init);
      this.b.code.length = mark;
      if (v.kind !== "scalar" || isReg(v.op)) return undefined;
      return { kind: "scalar", type: v.type, op: v.op, mutable: false, name };
    } finally {
      this.scopes.splice(0, this.scopes.length, ...saved);
      this.#resolvingConstants.delete(name);
    }
  }
  #resolvingConstants = new Set<string>();

  /** A tracer's integer field: a load from the frozen parameter map, which the verifier knows as a constant. */
  param(name: string): Value {
    const layout = layoutStruct("params", [...this.input.tracer.params].map(([n, type]) => ({ name: n, type })));
    const f = layout.fields.find((x) => x.name === name)!;
    const addr = this.b.reg();
    this.b.emit({ op: "map", dst: addr, map: PARAMS_MAP, valueOffset: f.offset });
    return this.memValue(f.type, addr, 0);
  }

  /** `p as tcp_sock`: a pointer (or address) seen as pointing to another kernel struct, found in BTF by name. */
  kernelPointerCast(e: Node): Value | undefined {
    const ann = e.typeAnnotation;
    if (ann.type !== "TSTypeReference" || ann.typeName.type !== "Identifier") return undefined;
    // An interface of the script named like the kernel struct (declared for the editor) still means the kernel's.
    const own = this.input.types.resolveQuietly(ann);
    if (own && own.kind !== "struct") return undefined;
    const name: string = ann.typeName.name;
    const btf = this.input.target.btf();
    const id = btfStruct(btf, name);
    if (id === undefined || (own && this.trialScalar(e.expression)?.type.kind !== "ptr")) return undefined;
    const v = this.scalar(e.expression);
    if (v.type.kind === "bool") this.fail(e, Code.TypeMismatch, `a bool cannot point to ${name}`);
    // A cast keeps the pointer's address space; an integer has none (user<T>(x)/kernel<T>(x) give one).
    const space = v.type.kind === "ptr" ? v.type.space : "either";
    return { kind: "scalar", type: { kind: "ptr", space, cType: `${btf.typeName(id)} *`, btfId: id }, op: v.op };
  }

  /** `x[i]` with a constant index: a raw tracepoint's arguments, or a kernel array. */
  index(e: Node): Value {
    const obj = this.expr(e.object);
    const i = this.scalar(e.property);
    if (obj.kind === "scalar" && isUserPointerArray(obj.type)) return this.userPointerAt(obj, i);
    if (isReg(i.op)) this.fail(e.property, Code.NotConstant, `the index must be a constant here`);
    const index = Number(i.op);
    if (obj.kind === "ctx" && this.input.probe.argArray) {
      if (index < 0 || index >= this.input.probe.argArray) this.fail(e.property, Code.TypeMismatch, `${this.input.probe.describe} has arguments 0 to ${this.input.probe.argArray - 1}`);
      return { kind: "scalar", type: u64, op: this.b.load(this.ctx, index * 8, 8) };
    }
    if (obj.kind === "ctxfield" && obj.field.kind === "array") {
      // An inline array of the tracepoint record, e.g. `__u8 saddr[4]`.
      const count = Number(/\[(\d+)\]/.exec(obj.field.cType)?.[1] ?? obj.field.size);
      const elem = obj.field.size / count;
      if (index < 0 || index >= count || ![1, 2, 4, 8].includes(elem)) this.fail(e.property, Code.TypeMismatch, `${obj.field.name} has elements 0 to ${count - 1}`);
      const raw = this.b.load(this.ctx, obj.field.offset + index * elem, elem as 1 | 2 | 4 | 8);
      const t = intType(elem * 8, obj.field.signed);
      return { kind: "scalar", type: t, op: t.signed && elem < 8 ? this.signExtend(raw, elem * 8) : raw };
    }
    if (obj.kind === "scalar" && obj.type.kind === "ptr") return kernelIndex(this, deref(this, obj, e.object), index, e);
    if (obj.kind === "kmem") return kernelIndex(this, obj, index, e);
    this.fail(e, Code.Unsupported, `${describeValue(obj)} cannot be indexed`);
  }

  /**
   * `argv[i]` on a user-space array of pointers (`const char *const *argv`): the i-th pointer,
   * read with bpf_probe_read_user, 0 where it cannot be read. Any index: the helper checks the address.
   */
  userPointerAt(array: Extract<Value, { kind: "scalar" }>, i: Extract<Value, { kind: "scalar" }>): Value {
    const t = array.type as PtrType;
    const index = this.convert(i, u64, this.input.node).op;
    const addr = typeof index === "bigint" ? this.b.alu("add", array.op, index * 8n) : this.b.alu("add", array.op, this.b.alu("lsh", index, 3n));
    const slot = this.b.allocStack(8, 8);
    this.b.emit({ op: "store", base: "fp", off: slot, size: 8, value: 0n });
    this.b.emit({ op: "call", helper: Helper.probe_read_user, args: [this.b.frame(slot), 8n, addr] });
    const elem = t.cType.replace(/\s*\*\s*$/, "").replace(/\s*const$/, "");
    return { kind: "scalar", type: { kind: "ptr", space: "user", cType: elem }, op: this.b.load("fp", slot, 8) };
  }

  contextField(f: ContextField): Value {
    if (f.kind === "operand") return operandValue(this, f);
    if (f.btfId !== undefined) {
      // A raw argument slot: a u64 holding the argument converted by the kernel.
      const raw = this.b.load(this.ctx, f.offset, 8);
      const t = kernelScalarType(this.input.target.btf(), f.btfId, f.space === "user" ? "user" : "kernel");
      if (!t) this.fail(this.input.node, Code.Unsupported, `argument "${f.name}" (${f.cType}) is passed by value and cannot be read`);
      if (t.kind === "int") return this.convert({ type: u64, op: raw }, t, this.input.node);
      // A char pointer argument not tagged __user may be a user-space string (a path, say): read it with the helper that takes either.
      return { kind: "scalar", type: t.kind === "ptr" && t.space === "kernel" && /\bchar \*$/.test(t.cType) ? { ...t, space: f.space } : t, op: raw };
    }
    if (f.kind === "data_loc" || f.kind === "array") return { kind: "ctxfield", field: f };
    const size = f.size as 1 | 2 | 4 | 8;
    const raw = this.b.load(this.ctx, f.offset, size);
    if (f.kind === "ptr") return { kind: "scalar", type: { kind: "ptr", space: f.space, cType: f.cType }, op: raw };
    const t = intType(size * 8, f.signed);
    return { kind: "scalar", type: t, op: size < 8 && f.signed ? this.signExtend(raw, size * 8) : raw };
  }

  memValue(t: Type, base: Base, off: number): Value {
    if (!isScalar(t)) return { kind: "mem", type: t, base, off };
    const raw = this.b.load(base, off, sizeOf(t) as 1 | 2 | 4 | 8);
    if (t.kind === "int" && t.signed && t.bits < 64) return { kind: "scalar", type: t, op: this.signExtend(raw, t.bits) };
    return { kind: "scalar", type: t, op: raw };
  }

  call(e: Node): Value {
    const callee = e.callee;
    if (isStartsWith(e)) return this.materialize(e);
    if (callee.type === "MemberExpression" && !callee.computed) {
      // this.helper(...): a plain method of the tracer class, inlined like a function.
      const method = callee.object.type === "ThisExpression" ? this.input.tracer.methods.get(callee.property.name) : undefined;
      if (method) return callFunction(this, method, e);
      const obj = this.expr(callee.object);
      if (obj.kind === "map") return mapMethod(this, obj.map, callee.property.name, e);
      this.fail(callee.property, Code.BadCall, `"${callee.property.name}" cannot be called on ${describeValue(obj)}`);
    }
    if (callee.type !== "Identifier") this.fail(callee, Code.BadCall, `only built-in helpers and map methods can be called in a handler`);
    const fn = this.input.functions.get(callee.name);
    if (fn) return callFunction(this, fn, e);
    const helper = BUILTINS[callee.name];
    if (!helper) this.fail(callee, Code.UnknownIdentifier, `unknown function "${callee.name}"`, ...didYouMean(callee.name, Object.keys(BUILTINS)));
    if (helper.aggregate) this.fail(e, Code.TypeMismatch, `${callee.name}() gives a string: store it in a Str<N> field or variable`);
    return helper.scalar!(this, e);
  }

  isAggregateCall(e: Node): boolean {
    return e.type === "CallExpression" && e.callee.type === "Identifier" && !!BUILTINS[e.callee.name]?.aggregate;
  }

  aggregateType(e: Node): Type {
    return BUILTINS[e.callee.name].aggregate!.defaultType(this, e);
  }

  /** Writes the value of `e` into memory of type `t` at base+off. */
  into(e: Node, t: Type, base: Base, off: number): void {
    if (isScalar(t)) {
      const v = this.convert(this.scalar(e), t as ScalarType, e);
      this.b.emit({ op: "store", base, off, size: sizeOf(t) as 1 | 2 | 4 | 8, value: v.op });
      return;
    }
    if (e.type === "ParenthesizedExpression") return this.into(e.expression, t, base, off);
    if (t.kind === "struct" && e.type === "ObjectExpression") return this.objectInto(e, t, base, off);
    if (t.kind === "struct" && t.tuple && e.type === "ArrayExpression") {
      if (e.elements.length !== t.fields.length) this.fail(e, Code.TypeMismatch, `${t.name} has ${t.fields.length} elements, got ${e.elements.length}`);
      e.elements.forEach((el: Node | null, i: number) => {
        if (!el || el.type === "SpreadElement") this.fail(el ?? e, Code.Unsupported, `each element of ${t.name} needs a value`);
        this.into(el, t.fields[i].type, base, off + t.fields[i].offset);
      });
      return;
    }
    if (this.isAggregateCall(e)) return BUILTINS[e.callee.name].aggregate!.into(this, e, t, base, off);
    const v = this.expr(e);
    if (v.kind === "string" && t.kind === "str") return this.stringInto(v.value, t.len, base, off, e);
    if (v.kind === "mem" && typeName(v.type) === typeName(t)) return this.copy(v, base, off);
    if (v.kind === "kmem") return readInto(this, v, t, base, off, e);
    this.fail(e, Code.TypeMismatch, `expected ${typeName(t)} here, got ${describeValue(v)}`);
  }

  objectInto(e: Node, t: StructType, base: Base, off: number): void {
    const seen = new Set<string>();
    for (const p of e.properties) {
      if (p.type !== "ObjectProperty" || p.computed) this.fail(p, Code.Unsupported, `only plain "name: value" properties are supported`);
      const name = p.key.type === "Identifier" ? p.key.name : p.key.value;
      const f = t.fields.find((x) => x.name === name);
      if (!f) {
        this.diags.error(Code.UnknownField, posOf(p.key), `${t.name} has no field "${name}"`, ...didYouMean(name, t.fields.map((x) => x.name)));
        continue;
      }
      seen.add(name);
      this.b.loc = posOf(p);
      try {
        this.into(p.value, f.type, base, off + f.offset);
      } catch (err) {
        if (!(err instanceof Unsupported)) throw err;
      }
    }
    const missing = t.fields.filter((f) => !seen.has(f.name)).map((f) => f.name);
    if (missing.length) this.fail(e, Code.TypeMismatch, `${t.name} needs ${missing.map((m) => `"${m}"`).join(", ")}`, "every field of an event must be given a value");
  }

  stringInto(s: string, len: number, base: Base, off: number, e: Node): void {
    const bytes = new TextEncoder().encode(s);
    if (bytes.length >= len) this.fail(e, Code.TypeMismatch, `"${s}" needs ${bytes.length + 1} bytes with its NUL; the field has ${len}`);
    const padded = new Uint8Array(len);
    padded.set(bytes);
    this.storeBytes(padded, base, off);
  }

  storeBytes(bytes: Uint8Array, base: Base, off: number): void {
    const v = new DataView(bytes.buffer);
    for (let i = 0; i < bytes.length;) {
      const step = alignedStep(off + i, bytes.length - i, 4);
      const value = step === 4 ? v.getInt32(i, true) : step === 2 ? v.getInt16(i, true) : bytes[i];
      this.b.emit({ op: "store", base, off: off + i, size: step, value: BigInt(value) });
      i += step;
    }
  }

  zero(base: Base, off: number, size: number): void {
    this.storeBytes(new Uint8Array(size), base, off);
  }

  copy(v: Extract<Value, { kind: "mem" }>, base: Base, off: number): void {
    const size = sizeOf(v.type);
    for (let i = 0; i < size;) {
      const step = alignedStep((off + i) | (v.off + i), size - i, 8); // aligned for both sides
      this.b.emit({ op: "store", base, off: off + i, size: step, value: this.b.load(v.base, v.off + i, step) });
      i += step;
    }
  }

  /** The address base+off in a register. */
  address(base: Base, off: number): VReg {
    if (base === "fp") return this.b.frame(off);
    return off === 0 ? base : this.b.alu("add", base, BigInt(off));
  }

  // ---------------------------------------------------------------- arithmetic

  scalar(e: Node): Extract<Value, { kind: "scalar" }> {
    return this.asScalar(this.expr(e), e);
  }

  asScalar(v: Value, e: Node): Extract<Value, { kind: "scalar" }> {
    if (v.kind === "scalar") return v;
    this.fail(e, Code.TypeMismatch, `expected a number here, got ${describeValue(v)}`);
  }

  intScalar(e: Node): Extract<Value, { kind: "scalar" }> & { type: IntType } {
    return this.asInt(this.scalar(e), e);
  }

  asInt(v: Extract<Value, { kind: "scalar" }>, e: Node): Extract<Value, { kind: "scalar" }> & { type: IntType } {
    if (v.type.kind === "bool") return { ...v, type: intType(8, false) } as never;
    if (v.type.kind === "ptr") {
      // A uprobe's registers and a uretprobe's value are addresses until the script says otherwise.
      this.fail(e, Code.TypeMismatch, `arithmetic needs numbers, got ${typeName(v.type)}`, "to use the value as a number, say so: `x as u64` (or i32, u32, ...)", "to read what it points to: str(x), or a struct field through it");
    }
    if (v.type.kind !== "int") this.fail(e, Code.TypeMismatch, `arithmetic needs numbers, got ${typeName(v.type)}`, "read the pointer with str() or a kernel read first");
    return v as never;
  }

  binary(e: Node): Value {
    if (COMPARE_OPS.has(e.operator)) return this.materialize(e);
    const op = e.operator as BinaryOp;
    if (!ARITH_OPS.has(op)) this.fail(e, Code.Unsupported, `operator "${e.operator}" is not supported in a handler`);
    return this.arith(op, this.intScalar(e.left), this.intScalar(e.right), e);
  }

  /** Literals take the type of the other operand, so `x + 1` keeps x's type. */
  unifyLiterals<A extends { type: ScalarType; op: Operand; literal?: boolean }>(a: A, b: A): [A, A] {
    if (a.literal && !b.literal && b.type.kind === "int") return [{ ...a, type: b.type, literal: false, op: wrap(a.op as bigint, b.type) }, b];
    if (b.literal && !a.literal && a.type.kind === "int") return [a, { ...b, type: a.type, literal: false, op: wrap(b.op as bigint, a.type) }];
    return [a, b];
  }

  arith(op: BinaryOp, a0: { type: ScalarType; op: Operand; literal?: boolean }, b0: { type: ScalarType; op: Operand; literal?: boolean }, e: Node): Extract<Value, { kind: "scalar" }> {
    const [a, b] = this.unifyLiterals(a0, b0);
    const shift = op === "<<" || op === ">>" || op === ">>>";
    const t = shift ? (a.type as IntType) : commonType(a.type as IntType, b.type as IntType);
    const literal = !!(a0.literal && b0.literal);
    const x = this.convert(a, t, e), y = shift ? b : this.convert(b, t, e);
    if (!isReg(x.op) && !isReg(y.op)) {
      return { kind: "scalar", type: t, op: evalBinary(op, t, x.op, shift ? BigInt.asUintN(64, y.op as bigint) : y.op as bigint), literal };
    }
    if ((op === "/" || op === "%") && y.op === 0n) {
      // The verifier refuses a division by the constant zero; the language defines its result.
      return { kind: "scalar", type: t, op: op === "/" ? 0n : x.op };
    }
    let amount = y.op;
    if (shift) amount = isReg(amount) ? this.b.alu("and", amount, BigInt(t.bits - 1)) : BigInt.asUintN(64, amount) & BigInt(t.bits - 1);
    let r: Operand;
    switch (op) {
      case "+": r = this.b.alu("add", x.op, y.op); break;
      case "-": r = this.b.alu("sub", x.op, y.op); break;
      case "*": r = this.b.alu("mul", x.op, y.op); break;
      case "&": return { kind: "scalar", type: t, op: this.b.alu("and", x.op, y.op) };
      case "|": return { kind: "scalar", type: t, op: this.b.alu("or", x.op, y.op) };
      case "^": return { kind: "scalar", type: t, op: this.b.alu("xor", x.op, y.op) };
      case "<<": r = this.b.alu("lsh", x.op, amount); break;
      case ">>": return { kind: "scalar", type: t, op: this.b.alu(t.signed ? "arsh" : "rsh", x.op, amount) };
      case ">>>": {
        const u = t.signed && t.bits < 64 ? this.b.alu("and", x.op, (1n << BigInt(t.bits)) - 1n) : x.op;
        r = this.b.alu("rsh", u, amount);
        break;
      }
      case "/": case "%":
        r = t.signed ? this.signedDivide(op, x.op, y.op) : this.b.alu(op === "/" ? "div" : "mod", x.op, y.op);
        if (!t.signed) return { kind: "scalar", type: t, op: r };
        break;
    }
    return { kind: "scalar", type: t, op: this.normalize(r, t) };
  }

  /** Signed division from unsigned: divide the magnitudes, then restore the sign (BPF before v4 has no sdiv). */
  signedDivide(op: "/" | "%", a: Operand, b: Operand): VReg {
    const sa = this.b.alu("arsh", a, 63n), sb = this.b.alu("arsh", b, 63n);
    const absA = this.b.alu("sub", this.b.alu("xor", a, sa), sa);
    const absB = this.b.alu("sub", this.b.alu("xor", b, sb), sb);
    const q = this.b.alu(op === "/" ? "div" : "mod", absA, absB);
    const sign = op === "/" ? this.b.alu("xor", sa, sb) : sa;
    return this.b.alu("sub", this.b.alu("xor", q, sign), sign);
  }

  negate(e: Node): Value {
    const s = this.asScalar(this.expr(e.argument), e.argument);
    if (s.literal && !isReg(s.op)) return { ...s, op: -(s.op as bigint) };
    const v = this.asInt(s, e.argument);
    return this.arith("-", { type: v.type, op: 0n }, v, e);
  }

  /** Converts a scalar to type `t`: wraps to t's width, sign- or zero-extending (like a C cast). */
  convert(v: { type: ScalarType; op: Operand; literal?: boolean }, t: ScalarType, e: Node, explicit = false): Extract<Value, { kind: "scalar" }> {
    if (t.kind === "ptr" || v.type.kind === "ptr") {
      if (t.kind === v.type.kind || explicit || (t.kind === "int" && t.bits === 64)) return { kind: "scalar", type: t, op: v.op };
      this.fail(e, Code.TypeMismatch, `a pointer (${typeName(v.type)}) cannot be used as ${typeName(t)}`, "cast it explicitly: p as u64");
    }
    if (t.kind === "bool") {
      if (v.type.kind === "bool") return { kind: "scalar", type: t, op: v.op };
      if (!isReg(v.op)) return { kind: "scalar", type: t, op: v.op !== 0n ? 1n : 0n };
      return this.materializeCond((label) => this.b.emit({ op: "br", cond: "jne", a: v.op, b: 0n, target: label }));
    }
    if (!isReg(v.op)) return { kind: "scalar", type: t, op: wrap(v.op, t) };
    const from = v.type.kind === "bool" ? intType(8, false) : v.type;
    const same = from.bits === t.bits && from.signed === t.signed;
    // Widening keeps the exact value already in the register, unless a signed value becomes unsigned.
    const widening = from.bits < t.bits && !(from.signed && !t.signed);
    if (same || widening || t.bits === 64) return { kind: "scalar", type: t, op: v.op };
    return { kind: "scalar", type: t, op: this.normalize(v.op, t) };
  }

  /** Re-establishes the register invariant for `t`: zero-extended if unsigned, sign-extended if signed. */
  normalize(op: Operand, t: IntType): Operand {
    if (!isReg(op)) return wrap(op, t);
    if (t.bits === 64) return op;
    if (t.signed) return this.signExtend(op, t.bits);
    if (t.bits === 32) return this.zext32(op);
    return this.b.alu("and", op, (1n << BigInt(t.bits)) - 1n);
  }

  zext32(op: VReg): VReg {
    return this.b.alu("rsh", this.b.alu("lsh", op, 32n), 32n);
  }

  signExtend(op: VReg, bits: number): VReg {
    const s = BigInt(64 - bits);
    return this.b.alu("arsh", this.b.alu("lsh", op, s), s);
  }

  /** A condition's value as 0 or 1. */
  materialize(e: Node): Extract<Value, { kind: "scalar" }> {
    return this.materializeCond((label) => this.branch(e, true, label));
  }

  materializeCond(branchTrue: (label: number) => void): Extract<Value, { kind: "scalar" }> {
    const r = this.b.mov(1n);
    const done = this.b.label();
    branchTrue(done);
    this.b.emit({ op: "mov", dst: r, src: 0n });
    this.b.place(done);
    return { kind: "scalar", type: bool, op: r };
  }

  /** `c ? a : b`: both arms converted to their common type, each in its own arm. */
  conditional(e: Node): Value {
    // The common type needs both arms' types, known once both are lowered: the first arm's
    // conversion is then moved to the end of its code. (Trial-lowering each arm first, to learn
    // its type, took time exponential in the depth of nested conditionals.)
    const elseLabel = this.b.label(), done = this.b.label();
    const r = this.b.reg();
    this.branch(e.test, false, elseLabel);
    const valueA = this.scalar(e.consequent);
    const endOfA = this.b.code.length;
    this.b.emit({ op: "jmp", target: done });
    this.b.place(elseLabel);
    const valueB = this.scalar(e.alternate);
    const probe = (v: typeof valueA) => ({ type: v.type, op: isReg(v.op) ? 0 : v.op, literal: v.literal });
    let probeA = probe(valueA), probeB = probe(valueB);
    // A bool beside an integer is the u8 0 or 1, as in arithmetic (`c ? 300 : x < y` is a u8).
    if (probeA.type.kind === "bool" && probeB.type.kind === "int") probeA = { ...probeA, type: u8 };
    if (probeB.type.kind === "bool" && probeA.type.kind === "int") probeB = { ...probeB, type: u8 };
    const [ta, tb] = this.unifyLiterals(probeA, probeB);
    const t: ScalarType = ta.type.kind === "int" && tb.type.kind === "int" ? commonType(ta.type, tb.type) : ta.type;
    const move = (v: typeof valueA, node: Node) => {
      const typed = v.literal && t.kind === "int" ? { ...v, type: t, op: wrap(v.op as bigint, t), literal: false } : v;
      this.b.emit({ op: "mov", dst: r, src: t.kind === "int" ? this.convert(typed, t, node).op : typed.op });
    };
    move(valueB, e.alternate);
    const moveB = this.b.code.length;
    move(valueA, e.consequent);
    this.b.code.splice(endOfA, 0, ...this.b.code.splice(moveB));
    this.b.place(done);
    return { kind: "scalar", type: t, op: r };
  }

  /** An expression's scalar type and constness, found by lowering it and throwing the code away. */
  trialScalar(e: Node): { type: ScalarType; op: Operand; literal?: boolean } | undefined {
    return this.trial(() => {
      const v = this.expr(e);
      return v.kind === "scalar" ? { type: v.type, op: isReg(v.op) ? 0 : v.op, literal: v.literal } : undefined;
    });
  }

  /** Runs `f` (lowering something), then throws away the code, diagnostics and stack it took. */
  trial<T>(f: () => T | undefined): T | undefined {
    const mark = this.b.code.length, errors = this.diags.items.length, failed = this.#failed;
    const stack = this.b.stackSize, slots = this.b.slots.length, scratch = this.kernelScratch, uses = this.stackUse.length;
    try {
      return f();
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      return undefined;
    } finally {
      this.b.code.length = mark;
      this.diags.items.length = errors;
      this.#failed = failed;
      this.b.stackSize = stack;
      this.b.slots.length = slots;
      this.kernelScratch = scratch;
      this.stackUse.length = uses;
    }
  }


  assign(e: Node): Value {
    if (e.left.type !== "Identifier") this.fail(e.left, Code.Unsupported, `only local variables can be assigned in a handler`);
    const b = this.lookup(e.left.name);
    if (!b) this.fail(e.left, Code.UnknownIdentifier, `unknown name "${e.left.name}"`);
    if (b.kind !== "scalar" || !b.mutable || !isReg(b.op)) this.fail(e.left, Code.TypeMismatch, `"${e.left.name}" cannot be assigned`, b.kind === "scalar" && !b.mutable ? "declare it with let" : "");
    let v: Extract<Value, { kind: "scalar" }>;
    if (e.operator === "=") v = this.scalar(e.right);
    else {
      const op = e.operator.slice(0, -1) as BinaryOp;
      if (!ARITH_OPS.has(op)) this.fail(e, Code.Unsupported, `operator "${e.operator}" is not supported`);
      v = this.arith(op, { type: b.type, op: b.op }, this.intScalar(e.right), e);
    }
    const c = this.convert(v, b.type, e);
    this.b.emit({ op: "mov", dst: b.op as VReg, src: c.op });
    return { kind: "scalar", type: b.type, op: b.op };
  }

  update(e: Node): Value {
    if (e.argument.type !== "Identifier") this.fail(e.argument, Code.Unsupported, `only local variables can be incremented in a handler`);
    const b = this.lookup(e.argument.name);
    if (!b || b.kind !== "scalar" || !b.mutable || !isReg(b.op)) this.fail(e.argument, Code.TypeMismatch, `"${e.argument.name}" cannot be assigned`);
    const old = e.prefix ? undefined : this.b.mov(b.op);
    const v = this.arith(e.operator === "++" ? "+" : "-", { type: b.type, op: b.op }, { type: b.type, op: 1n }, e);
    this.b.emit({ op: "mov", dst: b.op as VReg, src: v.op });
    return { kind: "scalar", type: b.type, op: old ?? b.op };
  }
}

/** The widest access (at most `max` bytes) that is aligned at `offset` and fits in `left` bytes: the verifier refuses misaligned stack access. */
function alignedStep(offset: number, left: number, max: 8 | 4): 1 | 2 | 4 | 8 {
  for (const step of [8, 4, 2] as const) {
    if (step <= max && step <= left && offset % step === 0) return step;
  }
  return 1;
}

/** `s.startsWith("literal")`. */
function isStartsWith(e: Node): boolean {
  return e.type === "CallExpression" && e.callee.type === "MemberExpression" && !e.callee.computed &&
    e.callee.property.name === "startsWith" && e.arguments.length === 1 && isStringLiteral(e.arguments[0]);
}

const COMPARE_OPS = new Set(["==", "!=", "===", "!==", "<", "<=", ">", ">="]);
const ARITH_OPS = new Set<string>(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>"]);
const NEGATE: Record<CompareOp, CompareOp> = { "==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">" };

function condFor(op: CompareOp, signed: boolean): CondName {
  switch (op) {
    case "==": return "jeq";
    case "!=": return "jne";
    case "<": return signed ? "jslt" : "jlt";
    case "<=": return signed ? "jsle" : "jle";
    case ">": return signed ? "jsgt" : "jgt";
    case ">=": return signed ? "jsge" : "jge";
  }
}

function describeNode(e: Node): string {
  const names: Record<string, string> = {
    ClassExpression: "a class expression", ArrowFunctionExpression: "an arrow function", FunctionExpression: "a function expression",
    AwaitExpression: "await", TemplateLiteral: "a template string", ArrayExpression: "an array literal", ObjectExpression: "an object literal here",
    NewExpression: "new", NullLiteral: "null", RegExpLiteral: "a regular expression", SpreadElement: "spread", YieldExpression: "yield",
    SequenceExpression: "the comma operator", TaggedTemplateExpression: "a tagged template", OptionalMemberExpression: "optional chaining",
    OptionalCallExpression: "optional chaining",
  };
  return names[e.type] ?? `"${e.type}"`;
}

export function describeValue(v: Value): string {
  switch (v.kind) {
    case "scalar": return typeName(v.type);
    case "mem": return typeName(v.type);
    case "ctx": return "the probe's arguments";
    case "map": return `map "${v.map.name}"`;
    case "string": return "a string literal";
    case "ctxfield": return `field "${v.field.name}" (${v.field.cType})`;
    case "kmem": return `${v.space} memory`;
    case "void": return "nothing (void)";
  }
}

export type { SourcePos };

/** A pointer to pointers in user memory (`char **`, `const char *const *`): indexable, as `argv[i]`. */
function isUserPointerArray(t: ScalarType): t is PtrType {
  return t.kind === "ptr" && t.space !== "kernel" && t.btfId === undefined && /\*[^*]*\*\s*$/.test(t.cType);
}
