// Pass 3: lower one handler's body to IR, checking types as it goes. The class holds the state
// of one handler; the work is done by the pieces in lower/ (statements, expressions, conditions,
// arithmetic, memory, calls), each written against the contract lower/context.ts.
import { Code, type DiagnosticBag, type SourcePos } from "../spec/diagnostics.ts";
import { posOf, type Node } from "./parse.ts";
import { IrBuilder, MAX_INSNS, MAX_LOWERED, type Base, type Operand, type VReg } from "./ir.ts";
import { sizeOf, type IntType, type StructType, type Type } from "../spec/layout.ts";
import type { BinaryOp } from "./semantics.ts";
import type { ContextField } from "../spec/target.ts";
import { type Binding, type HandlerInput, type InlineFrame, type Lower, type LoopLabels, type ScalarType, Unsupported, type Value } from "./lower/context.ts";
import * as statements from "./lower/statements.ts";
import * as conditions from "./lower/conditions.ts";
import * as expressions from "./lower/expressions.ts";
import * as arithmetic from "./lower/arithmetic.ts";
import * as calls from "./lower/calls.ts";
import * as memory from "./lower/memory.ts";

export { type HandlerInput, type ScalarType, Unsupported, type Value } from "./lower/context.ts";

export class Lowering implements Lower {
  readonly b = new IrBuilder();
  readonly scopes: Map<string, Binding>[] = [new Map()];
  readonly stackUse: { name: string; bytes: number }[] = [];
  ctx!: VReg;
  kernelScratch?: number;
  perfEventOnStack = false;
  perfScratchBytes = 0;
  usesStacks = false;
  countsDrops = false;
  readonly tailCalls = new Map<string, SourcePos>();
  mayDrop = false;
  readonly loops: LoopLabels[] = [];
  readonly inlined: InlineFrame[] = [];
  readonly resolvingConstants = new Set<string>();
  syscallsRun?: number[];
  readonly argumentsRead = new Set<ContextField>();
  #failed = false;

  constructor(readonly input: HandlerInput) {}

  get diags(): DiagnosticBag {
    return this.input.diags;
  }

  get failed(): boolean {
    return this.#failed;
  }

  #tooLarge = false;
  get tooLarge(): boolean {
    return this.#tooLarge;
  }

  checkSize(node: Node): void {
    if (this.#tooLarge) throw new Unsupported("too large");
    const budget = this.input.loweringBudget ?? MAX_LOWERED;
    if (this.b.code.length <= budget) return;
    this.#tooLarge = true;
    this.fail(node, Code.ProgramTooLarge, `the handler expands to more than ${budget.toLocaleString("en-US")} instructions before optimisation, far more than the kernel loads in one program (${MAX_INSNS.toLocaleString("en-US")})`,
      "split the work among several handlers, or use a loop or a map lookup instead of many similar statements or calls");
  }

  fail(node: Node, code: string, message: string, ...hints: string[]): never {
    this.diags.error(code, posOf(node), message, ...hints);
    this.#failed = true;
    throw new Unsupported(message);
  }

  assume(fact: string): void {
    this.input.assumptions.add(fact);
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

  // ---------------------------------------------------------------- the pieces, in lower/

  lowerHandler(): IrBuilder {
    return statements.lowerHandler(this);
  }

  block(stmts: Node[], scoped = true): void {
    return statements.block(this, stmts, scoped);
  }

  statement(s: Node): void {
    return statements.statement(this, s);
  }

  unsupportedStatement(s: Node): never {
    return statements.unsupportedStatement(this, s);
  }

  returnStatement(s: Node): void {
    return statements.returnStatement(this, s);
  }

  declaration(s: Node): void {
    return statements.declaration(this, s);
  }

  ifStatement(s: Node): void {
    return statements.ifStatement(this, s);
  }

  branch(e: Node, when: boolean, label: number): void {
    return conditions.branch(this, e, when, label);
  }

  compareBranch(e: Node, when: boolean, label: number): void {
    return conditions.compareBranch(this, e, when, label);
  }

  expr(e: Node): Value {
    return expressions.expr(this, e);
  }

  identifier(e: Node): Value {
    return expressions.identifier(this, e);
  }

  member(e: Node): Value {
    return expressions.member(this, e);
  }

  moduleConstant(name: string): Binding | undefined {
    return expressions.moduleConstant(this, name);
  }

  param(name: string): Value {
    return expressions.param(this, name);
  }

  kernelPointerCast(e: Node): Value | undefined {
    return expressions.kernelPointerCast(this, e);
  }

  index(e: Node): Value {
    return expressions.index(this, e);
  }

  userPointerAt(array: Extract<Value, { kind: "scalar" }>, i: Extract<Value, { kind: "scalar" }>): Value {
    return expressions.userPointerAt(this, array, i);
  }

  contextField(f: ContextField): Value {
    return expressions.contextField(this, f);
  }

  memValue(t: Type, base: Base, off: number): Value {
    return expressions.memValue(this, t, base, off);
  }

  call(e: Node): Value {
    return calls.call(this, e);
  }

  isAggregateCall(e: Node): boolean {
    return calls.isAggregateCall(this, e);
  }

  aggregateType(e: Node): Type {
    return calls.aggregateType(this, e);
  }

  into(e: Node, t: Type, base: Base, off: number): void {
    return memory.into(this, e, t, base, off);
  }

  objectInto(e: Node, t: StructType, base: Base, off: number): void {
    return memory.objectInto(this, e, t, base, off);
  }

  stringInto(s: string, len: number, base: Base, off: number, e: Node): void {
    return memory.stringInto(this, s, len, base, off, e);
  }

  storeBytes(bytes: Uint8Array, base: Base, off: number): void {
    return memory.storeBytes(this, bytes, base, off);
  }

  zero(base: Base, off: number, size: number): void {
    return memory.zero(this, base, off, size);
  }

  copy(v: Extract<Value, { kind: "mem" }>, base: Base, off: number): void {
    return memory.copy(this, v, base, off);
  }

  address(base: Base, off: number): VReg {
    return memory.address(this, base, off);
  }

  scalar(e: Node): Extract<Value, { kind: "scalar" }> {
    return arithmetic.scalar(this, e);
  }

  asScalar(v: Value, e: Node): Extract<Value, { kind: "scalar" }> {
    return arithmetic.asScalar(this, v, e);
  }

  intScalar(e: Node): Extract<Value, { kind: "scalar" }> & { type: IntType } {
    return arithmetic.intScalar(this, e);
  }

  asInt(v: Extract<Value, { kind: "scalar" }>, e: Node): Extract<Value, { kind: "scalar" }> & { type: IntType } {
    return arithmetic.asInt(this, v, e);
  }

  binary(e: Node): Value {
    return arithmetic.binary(this, e);
  }

  unifyLiterals<A extends { type: ScalarType; op: Operand; literal?: boolean }>(a: A, b: A): [A, A] {
    return arithmetic.unifyLiterals(this, a, b);
  }

  arith(op: BinaryOp, a0: { type: ScalarType; op: Operand; literal?: boolean }, b0: { type: ScalarType; op: Operand; literal?: boolean }, e: Node): Extract<Value, { kind: "scalar" }> {
    return arithmetic.arith(this, op, a0, b0, e);
  }

  signedDivide(op: "/" | "%", a: Operand, b: Operand): VReg {
    return arithmetic.signedDivide(this, op, a, b);
  }

  negate(e: Node): Value {
    return arithmetic.negate(this, e);
  }

  convert(v: { type: ScalarType; op: Operand; literal?: boolean }, t: ScalarType, e: Node, explicit = false): Extract<Value, { kind: "scalar" }> {
    return arithmetic.convert(this, v, t, e, explicit);
  }

  normalize(op: Operand, t: IntType): Operand {
    return arithmetic.normalize(this, op, t);
  }

  zext32(op: VReg): VReg {
    return arithmetic.zext32(this, op);
  }

  signExtend(op: VReg, bits: number): VReg {
    return arithmetic.signExtend(this, op, bits);
  }

  materialize(e: Node): Extract<Value, { kind: "scalar" }> {
    return conditions.materialize(this, e);
  }

  materializeCond(branchTrue: (label: number) => void): Extract<Value, { kind: "scalar" }> {
    return conditions.materializeCond(this, branchTrue);
  }

  conditional(e: Node): Value {
    return expressions.conditional(this, e);
  }

  assign(e: Node): Value {
    return expressions.assign(this, e);
  }

  update(e: Node): Value {
    return expressions.update(this, e);
  }
}
