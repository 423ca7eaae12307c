// The compiler: TypeScript source in, serialisable tracer specs out. The passes, in order:
//   parse    → a TypeScript AST in Babel's shape (lean/, or Babel)          parse.ts
//   collect  → tracer classes, their maps and handlers; user interfaces   collect.ts
//   lower    → per handler: IR over virtual registers, statement by statement   lower.ts, lower/, builtins.ts
//              (check.ts, the type checker, says what an expression is before it is lowered)
//   cleanup  → unreachable code, jumps to jumps or to the next instruction  cleanup.ts
//   reuse    → what the entry block computes (pid, task...) not done again   entry_values.ts
//   fold     → constant and copy propagation, constant folding               fold.ts
//   narrow   → extensions nobody reads dropped, 32-bit ALU and JMP32 forms    narrow.ts
//   dce      → instructions whose results nothing reads removed              dce.ts
//   stack    → stack slots whose lives do not overlap share bytes             stack_slots.ts
//   allocate → physical registers and spill slots                         regalloc.ts
//   emit     → BPF instructions, map relocations, source lines            emit.ts
import { Code, CompileError, DiagnosticBag } from "../spec/diagnostics.ts";
import { parseSource, tooDeep } from "./parse.ts";
import { measureNesting } from "./nesting.ts";
import { collect, type TracerClass, type Module } from "./collect.ts";
import { Lowering, Unsupported } from "./lower.ts";
import { allocate } from "./regalloc.ts";
import { cleanup } from "./cleanup.ts";
import { reuseEntryValues } from "./entry_values.ts";
import { fold } from "./fold.ts";
import { dce } from "./dce.ts";
import { CrowdedCode } from "./flow.ts";
import { shareStack } from "./stack_slots.ts";
import { narrow } from "./narrow.ts";
import { emit, leastInsns, ProgramTooLarge } from "./emit.ts";
import { MAX_INSNS, MAX_STACK } from "./ir.ts";
import { type CompileTarget, isProbeLookupError } from "../spec/target.ts";
import { jumpCall, KERNEL_FUNCTION_PROBES, overrideCall } from "./override.ts";
import { CGROUP_MAP, DROPPED_MAP, LOST_MAP, MAX_STACK_DEPTH, type MapSpec, PARAMS_MAP, type ProgramSpec, SCRATCH_MAP, STACKS_MAP, toBase64, type TracerSpec } from "../spec/tracer_spec.ts";
import { layoutStruct, u32, u64, u8 } from "../spec/layout.ts";
import { probeFact, ringBufferFact, syscallArgumentFact } from "./assumptions.ts";
import { compileTailCallTargets, type Jump } from "./tail_calls.ts";
import { type Node, posOf } from "./parse.ts";
import type { SourcePos } from "../spec/diagnostics.ts";
import type { ProbeContext, ProbeRef } from "../spec/target.ts";

export { CompileError, renderDiagnostic, type Diagnostic, Code } from "../spec/diagnostics.ts";
export { type TracerSpec, type ProgramSpec, type MapSpec, fromBase64 } from "../spec/tracer_spec.ts";
export type { CompileTarget, ProbeContext, ContextField, ProbeRef } from "../spec/target.ts";
export { ProbeLookupError } from "../spec/target.ts";
export { parseSource, prepareParse } from "./parse.ts";

export interface CompileOptions {
  /** Compile only this class (by name); by default every tracer class in the file. */
  className?: string;
  /** With className: when no class has that name (a bundler renamed it), compile every class. */
  orEveryClass?: boolean;
  /** Limit every handler to the tasks of one cgroup, given at load time (start({ cgroup })). */
  cgroupFilter?: boolean;
  /** Histograms also keep the sum of their values (a Prometheus histogram's _sum). */
  histogramSums?: boolean;
  /** IR instructions a handler may lower to before it is refused as too large (tests lower it; default MAX_LOWERED). */
  loweringBudget?: number;
}

const CROWDED_HINT = "keep fewer values alive at once: combine them as they are computed (e.g. a running sum), or write them into a map or a ring buffer event instead of separate variables";

export function compile(source: string, file: string, target: CompileTarget, options: CompileOptions = {}): TracerSpec[] {
  const diags = new DiagnosticBag(file, source);
  try {
    return compileParsed(source, file, target, options, diags);
  } catch (e) {
    // What nesting.ts lets through still fits the stack; should a pass recurse deeper, say where.
    if (!(e instanceof RangeError)) throw e;
    tooDeep(diags, measureNesting(source).deepest);
    diags.throwIfAny();
    throw e;
  }
}

function compileParsed(source: string, file: string, target: CompileTarget, options: CompileOptions, diags: DiagnosticBag): TracerSpec[] {
  const ast = parseSource(source, diags);
  diags.throwIfAny();
  const mod = collect(ast, diags);
  let tracers = mod.tracers;
  if (options.className) {
    const named = tracers.filter((t) => t.name === options.className);
    if (named.length || !options.orEveryClass) tracers = named;
  }
  if (!tracers.length && !diags.hasErrors) {
    diags.error(Code.NoTracer, { line: 1, column: 1, length: 1 },
      options.className ? `no tracer class "${options.className}" with decorated handlers in this file` : `no tracer class with decorated handlers in this file`,
      `declare class MyTracer extends Tracer { @tracepoint("syscalls:sys_enter_openat") onOpen(args) { ... } }`);
  }
  const specs = tracers.map((t) => compileTracer(t, mod, file, target, diags, options));
  diags.throwIfAny();
  return specs;
}

function compileTracer(tracer: TracerClass, mod: Module, file: string, target: CompileTarget, diags: DiagnosticBag, options: CompileOptions): TracerSpec {
  const { cgroupFilter = false, histogramSums = false } = options;
  const assumptions = new Set<string>();
  tracer = withEventBuffers(tracer, target, assumptions);
  const maps: MapSpec[] = [...tracer.maps.values()].map(({ pos: _, ...spec }) => spec);
  maps.push({ name: LOST_MAP, kind: "lost", key: u32, value: u64 });
  if (cgroupFilter) maps.push({ name: CGROUP_MAP, kind: "cgroup", key: u32, value: u32, size: 1 });
  if (tracer.params.size) {
    const value = layoutStruct("params", [...tracer.params].map(([name, type]) => ({ name, type })));
    maps.push({ name: PARAMS_MAP, kind: "params", key: u32, value });
  }
  const programs: ProgramSpec[] = [];
  let scratchBytes = 0, countsDrops = false;
  /** The ProgramArrays each compiled program jumps through, and with which probe (its targets get the same). */
  const jumps: Jump[] = [];
  /** Where the handler does not fit: the branch too long, or else the handler itself. */
  const tooLarge = (e: ProgramTooLarge, name: string, pos: SourcePos) => diags.error(Code.ProgramTooLarge, e.loc ?? pos, `handler "${name}": ${e.message}`, ...e.hints);
  const compileProgram = (name: string, node: Node, probeRef: ProbeRef, probe: ProbeContext, pos: SourcePos, tailCallTarget: boolean): void => {
    const programIndex = programs.length;
    const lower = (perfEventsInScratch: boolean) => {
      const lowering = new Lowering({ node, tracer, types: mod.types, functions: mod.functions, constants: mod.constants, variables: mod.variables, assumptions, probe, programIndex, target, diags, perfEventsInScratch, cgroupFilter: cgroupFilter && !tailCallTarget, tailCallTarget, histogramSums, loweringBudget: options.loweringBudget });
      let ir;
      try {
        ir = lowering.lowerHandler();
      } catch (e) {
        // A bad parameter list fails before the body's statements, which catch their own.
        if (!(e instanceof Unsupported)) throw e;
      }
      if (!ir || lowering.failed || diags.hasErrors) return { lowering };
      try {
        return { lowering, alloc: optimiseAndAllocate(ir) };
      } catch (e) {
        if (!(e instanceof CrowdedCode)) throw e;
        diags.error(Code.StackOverflow, e.loc ?? pos, `handler "${name}" keeps ${e.message}: each needs one of the 10 registers or an 8-byte stack slot, room for at most ${10 + MAX_STACK / 8}`, CROWDED_HINT);
        return { lowering };
      }
    };
    const optimiseAndAllocate = (ir: NonNullable<ReturnType<Lowering["lowerHandler"]>>) => {
      const folded = dce(fold(reuseEntryValues(cleanup(ir.code))));
      const narrowed = narrow(folded);
      // Folding again is for the copies and dead extensions narrowing leaves; it left none when it changed nothing.
      const stack = shareStack(cleanup(narrowed === folded ? folded : dce(fold(narrowed))), ir.slots, ir.stackSize);
      // Register allocation is the costliest pass: not for a program the kernel would refuse anyway.
      const least = leastInsns(stack.code);
      if (least > MAX_INSNS) {
        tooLarge(new ProgramTooLarge(`this handler compiles to more than ${MAX_INSNS.toLocaleString("en-US")} BPF instructions (at least ${least.toLocaleString("en-US")}), the most the kernel loads in one program`,
          undefined, ["split the work among several handlers, or use a loop or a map lookup instead of many similar statements"]), name, pos);
        return undefined;
      }
      return allocate(stack.code, stack.stackSize);
    };
    let { lowering, alloc } = lower(false);
    // Perf buffer events too big for what the handler leaves of the stack: build them in the scratch map.
    if (alloc && alloc.stackSize > MAX_STACK && lowering.perfEventOnStack) ({ lowering, alloc } = lower(true));
    if (lowering.usesStacks && !maps.some((m) => m.name === STACKS_MAP)) {
      maps.push({ name: STACKS_MAP, kind: "stacks", key: u32, value: { kind: "array", elem: u64, len: MAX_STACK_DEPTH } });
    }
    if (!alloc) return;
    scratchBytes = Math.max(scratchBytes, lowering.perfScratchBytes);
    countsDrops ||= lowering.countsDrops;
    for (const [array, at] of lowering.tailCalls) jumps.push({ array, probe: probeRef, context: probe, at });
    if (alloc.crowded) {
      const { loc, peak, limit } = alloc.crowded;
      diags.error(Code.StackOverflow, loc ?? pos, `handler "${name}" keeps up to ${peak} values live at once, more than fit from here on: each needs one of the 10 registers or an 8-byte stack slot, room for at most ${limit} with what the handler leaves of the kernel's ${MAX_STACK} bytes`,
        CROWDED_HINT);
      return;
    }
    if (alloc.stackSize > MAX_STACK) {
      const uses = lowering.stackUse.map((u) => `${u.name}: ${u.bytes} bytes`).join(", ");
      diags.error(Code.StackOverflow, pos, `handler "${name}" needs ${alloc.stackSize} bytes of stack; the kernel allows ${MAX_STACK}`,
        `stack use: ${uses || "temporaries"}`, "shrink Str<N> variables, or write large values straight into a ring buffer event");
      return;
    }
    let out;
    try {
      // The code allocated was cleaned up: again only if removed moves may have left a jump to tidy.
      out = emit(alloc.untidy ? cleanup(alloc.code) : alloc.code, alloc);
    } catch (e) {
      if (!(e instanceof ProgramTooLarge)) throw e;
      tooLarge(e, name, pos);
      return;
    }
    for (const f of lowering.argumentsRead) assumptions.add(syscallArgumentFact(probeRef, f));
    programs.push({
      name,
      probe: probeRef,
      progType: probe.progType,
      expectedAttachType: probe.expectedAttachType,
      attachBtfId: probe.attachBtfId,
      insns: toBase64(out.insns),
      relocs: out.relocs,
      lines: out.lines,
      stackSize: alloc.stackSize,
      ...(lowering.syscallsRun && lowering.syscallsRun !== probe.syscalls && { syscallsRun: lowering.syscallsRun.length }),
      ...(probe.verdict && { mayDrop: lowering.mayDrop }),
      line: pos.line,
      column: pos.column,
      ...(tailCallTarget ? { tailCallTarget: true as const } : {}),
    });
  };
  tracer.handlers.forEach((h) => {
    let probe;
    // A kernel-function handler calling override() is compiled as a kprobe on a function the
    // kernel lets fail; one making tail calls, as a kprobe rather than fentry. (Other kinds keep
    // their run-time options; the call itself is refused or allowed where it is lowered.)
    const functionProbe = KERNEL_FUNCTION_PROBES.has(h.probe.kind);
    const overrides = functionProbe ? overrideCall(h.node, tracer, mod.functions) : undefined;
    const makesTailCalls = functionProbe && jumpCall(h.node, tracer, mod.functions) !== undefined;
    const options = { ...h.probe.options, ...(overrides && { override: true }), ...(makesTailCalls && { kprobe: true }) };
    try {
      probe = target.probeContext(overrides || makesTailCalls ? { ...h.probe, options } : h.probe);
      assumptions.add(probeFact(h.probe, probe));
    } catch (e) {
      if (!isProbeLookupError(e)) throw e;
      diags.error(Code.UnknownProbe, overrides && isProbeLookupError(e, "override") ? posOf(overrides) : h.decoratorPos, e.message, ...e.hints);
      return;
    }
    compileProgram(h.name, h.node, h.probe, probe, h.pos, false);
  });
  compileTailCallTargets(tracer, jumps, diags, compileProgram);
  if (countsDrops) maps.push({ name: DROPPED_MAP, kind: "dropped", key: u32, value: u64, size: tracer.maps.size });
  if (scratchBytes) maps.push({ name: SCRATCH_MAP, kind: "scratch", key: u32, value: { kind: "array", elem: u8, len: scratchBytes } });
  return { className: tracer.name, file, maps, programs, assumptions: [...assumptions].sort() };
}

/**
 * The tracer as this kernel will run it: where the kernel has no BPF ring buffers, its RingBuf
 * fields become perf buffers. The choice is recorded as an assumption, so that a bundle built
 * on one kind of kernel is compiled again on the other.
 */
function withEventBuffers(tracer: TracerClass, target: CompileTarget, assumptions: Set<string>): TracerClass {
  if (![...tracer.maps.values()].some((m) => m.kind === "ringbuf")) return tracer;
  const ringBuffers = target.ringBuffers?.() ?? true;
  assumptions.add(ringBufferFact(ringBuffers));
  if (ringBuffers) return tracer;
  const maps = new Map([...tracer.maps].map(([name, m]) => [name, m.kind === "ringbuf" ? { ...m, kind: "perfbuf" as const } : m]));
  return { ...tracer, maps };
}
