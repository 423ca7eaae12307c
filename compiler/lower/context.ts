// The contract between the lowering pass (../lower.ts) and its pieces (statements, expressions,
// conditions, arithmetic, memory, calls, and the helpers beside them: builtins, map methods,
// kernel access, strings, loops, inlining). Each piece is written against `Lower`, not against
// the class, so none of them imports another: no import cycle around lowering.
import type { DiagnosticBag, SourcePos } from "../../spec/diagnostics.ts";
import type { Base, IrBuilder, Operand, VReg } from "../ir.ts";
import type { Node } from "../parse.ts";
import type { MapField, ScriptFunction, TracerClass, TypeTable } from "../collect.ts";
import type { CompileTarget, ContextField, ProbeContext } from "../../spec/target.ts";
import { type BoolType, type IntType, type PtrType, type StructType, type Type, typeName } from "../../spec/layout.ts";
import type { BinaryOp } from "../semantics.ts";

export type ScalarType = IntType | BoolType | PtrType;

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

export type Binding =
  | { kind: "scalar"; type: ScalarType; op: Operand; mutable: boolean; name: string }
  | { kind: "mem"; type: Type; off: number; mutable: boolean; name: string }
  | { kind: "ctx" }
  /** A const naming something that is not a number: kernel memory, a context string field. */
  | { kind: "alias"; value: Value }
  /** A handler parameter the probe passes by position (a kprobe's function argument). */
  | { kind: "arg"; field: ContextField }
  /** A variable whose declaration failed: uses are silent, so one mistake gives one error. */
  | { kind: "poisoned" };

/** Thrown after a statement's error is reported: abandons the statement. */
export class Unsupported extends Error {}

export interface HandlerInput {
  node: Node;
  tracer: TracerClass;
  types: TypeTable;
  probe: ProbeContext;
  programIndex: number;
  functions: Map<string, ScriptFunction>;
  constants: Map<string, Node>;
  /** Top-level let and var names (named in errors: handlers cannot reach them). */
  variables?: Set<string>;
  /** Kernel facts the code relies on (compiler/assumptions.ts), collected for the whole tracer. */
  assumptions: Set<string>;
  target: CompileTarget;
  diags: DiagnosticBag;
  /** Build every perf buffer event in the scratch map (the stack overflowed when they were built there). */
  perfEventsInScratch?: boolean;
  /** Run the handler only for tasks in the cgroup of CGROUP_MAP's slot 0 (or below it). */
  cgroupFilter?: boolean;
  /** The program is jumped to from another (a ProgramArray's): its caller filtered already. */
  tailCallTarget?: boolean;
  /** Histograms keep the sum of their values too, in the bucket HISTOGRAM_SUM_BUCKET. */
  histogramSums?: boolean;
  /** IR instructions lowering may produce before it gives up on the handler (default MAX_LOWERED). */
  loweringBudget?: number;
}

/** Where break and continue jump (../control_flow.ts). */
export interface LoopLabels {
  breakLabel: number;
  continueLabel?: number;
}

/** A function being inlined (../inline.ts): where its return jumps, and the register of its value. */
export interface InlineFrame {
  name: string;
  end: number;
  result: VReg;
  type?: ScalarType;
  returnsValue: boolean;
}

/** One handler being lowered: its state, and every step its pieces call on each other. */
export interface Lower {
  readonly input: HandlerInput;
  readonly b: IrBuilder;
  readonly diags: DiagnosticBag;
  readonly scopes: Map<string, Binding>[];
  readonly stackUse: { name: string; bytes: number }[];
  /** The register holding the probe's context. */
  ctx: VReg;
  /** A stack slot that kernel reads land in before they are loaded into a register. */
  kernelScratch?: number;
  /** A perf buffer event was built on the stack (if the stack overflows, build them in the scratch map). */
  perfEventOnStack: boolean;
  /** Bytes of the largest perf buffer event built in the scratch map (0: none). */
  perfScratchBytes: number;
  /** Whether kstack()/ustack() were used: the tracer then needs a stack-trace map. */
  usesStacks: boolean;
  /** Whether a map update may be refused (a full map): the tracer then counts the refusals. */
  countsDrops: boolean;
  /** The ProgramArrays the handler jumps through (`jump(i)`), with where it first does. */
  readonly tailCalls: Map<string, SourcePos>;
  /** A packet program with a `return` that may not let the packet pass (see ProgramSpec.mayDrop). */
  mayDrop: boolean;
  /** Innermost last: where break and continue go. */
  readonly loops: LoopLabels[];
  /** Functions being inlined, innermost last: where their return goes. */
  readonly inlined: InlineFrame[];
  /** Module constants being resolved (a const defined by itself is not a constant). */
  readonly resolvingConstants: Set<string>;

  /** A syscall wildcard attached once: the syscalls the handler runs in (compiler/syscall_fields.ts). */
  syscallsRun?: number[];
  /** The syscall arguments the handler reads by the number (compiler/syscall_fields.ts): facts the code relies on. */
  readonly argumentsRead: Set<ContextField>;

  /** Whether the handler was abandoned for lowering into more code than any program can hold. */
  readonly tooLarge: boolean;
  /** Abandons the handler (reporting at `node`) once its code is past the budget: before lowering more of it. */
  checkSize(node: Node): void;
  /** Reports an error at `node` and abandons the current statement. */
  fail(node: Node, code: string, message: string, ...hints: string[]): never;
  /** Records a fact about the kernel that the generated code relies on. */
  assume(fact: string): void;
  bind(name: string, b: Binding): void;
  lookup(name: string): Binding | undefined;
  stackSlot(name: string, t: Type): number;

  lowerHandler(): IrBuilder;
  block(stmts: Node[], scoped?: boolean): void;
  statement(s: Node): void;
  unsupportedStatement(s: Node): never;
  returnStatement(s: Node): void;
  declaration(s: Node): void;
  ifStatement(s: Node): void;
  /** Jumps to `label` when `e` is truthy (`when` = true) or falsy (`when` = false); otherwise falls through. */
  branch(e: Node, when: boolean, label: number): void;
  compareBranch(e: Node, when: boolean, label: number): void;
  expr(e: Node): Value;
  identifier(e: Node): Value;
  member(e: Node): Value;
  /** A top-level `const` of the script whose value is a constant number. */
  moduleConstant(name: string): Binding | undefined;
  /** A tracer's integer field: a load from the frozen parameter map, which the verifier knows as a constant. */
  param(name: string): Value;
  /** `p as tcp_sock`: a pointer (or address) seen as pointing to another kernel struct, found in BTF by name. */
  kernelPointerCast(e: Node): Value | undefined;
  /** `x[i]` with a constant index: a raw tracepoint's arguments, or a kernel array. */
  index(e: Node): Value;
  /**
   * `argv[i]` on a user-space array of pointers (`const char *const *argv`): the i-th pointer,
   * read with bpf_probe_read_user, 0 where it cannot be read. Any index: the helper checks the address.
   */
  userPointerAt(array: Extract<Value, { kind: "scalar" }>, i: Extract<Value, { kind: "scalar" }>): Value;
  contextField(f: ContextField): Value;
  memValue(t: Type, base: Base, off: number): Value;
  call(e: Node): Value;
  isAggregateCall(e: Node): boolean;
  aggregateType(e: Node): Type;
  /** Writes the value of `e` into memory of type `t` at base+off. */
  into(e: Node, t: Type, base: Base, off: number): void;
  objectInto(e: Node, t: StructType, base: Base, off: number): void;
  stringInto(s: string, len: number, base: Base, off: number, e: Node): void;
  storeBytes(bytes: Uint8Array, base: Base, off: number): void;
  zero(base: Base, off: number, size: number): void;
  copy(v: Extract<Value, { kind: "mem" }>, base: Base, off: number): void;
  /** The address base+off in a register. */
  address(base: Base, off: number): VReg;
  scalar(e: Node): Extract<Value, { kind: "scalar" }>;
  asScalar(v: Value, e: Node): Extract<Value, { kind: "scalar" }>;
  intScalar(e: Node): Extract<Value, { kind: "scalar" }> & { type: IntType };
  asInt(v: Extract<Value, { kind: "scalar" }>, e: Node): Extract<Value, { kind: "scalar" }> & { type: IntType };
  binary(e: Node): Value;
  /** Literals take the type of the other operand, so `x + 1` keeps x's type. */
  unifyLiterals<A extends { type: ScalarType; op: Operand; literal?: boolean }>(a: A, b: A): [A, A];
  arith(op: BinaryOp, a0: { type: ScalarType; op: Operand; literal?: boolean }, b0: { type: ScalarType; op: Operand; literal?: boolean }, e: Node): Extract<Value, { kind: "scalar" }>;
  /** Signed division from unsigned: divide the magnitudes, then restore the sign (BPF before v4 has no sdiv). */
  signedDivide(op: "/" | "%", a: Operand, b: Operand): VReg;
  negate(e: Node): Value;
  /** Converts a scalar to type `t`: wraps to t's width, sign- or zero-extending (like a C cast). */
  convert(v: { type: ScalarType; op: Operand; literal?: boolean }, t: ScalarType, e: Node, explicit?: boolean): Extract<Value, { kind: "scalar" }>;
  /** Re-establishes the register invariant for `t`: zero-extended if unsigned, sign-extended if signed. */
  normalize(op: Operand, t: IntType): Operand;
  zext32(op: VReg): VReg;
  signExtend(op: VReg, bits: number): VReg;
  /** A condition's value as 0 or 1. */
  materialize(e: Node): Extract<Value, { kind: "scalar" }>;
  materializeCond(branchTrue: (label: number) => void): Extract<Value, { kind: "scalar" }>;
  /** `c ? a : b`: both arms converted to their common type, each in its own arm. */
  conditional(e: Node): Value;
  assign(e: Node): Value;
  update(e: Node): Value;
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
