// The programs a tracer's handlers reach by tail calls: each method in a ProgramArray that a
// handler jumps through is compiled as a program of its own, with the probe (and so the program
// type and context) of the handler that jumps to it, since the kernel runs a tail-called program
// on its caller's context and takes only programs of the caller's type into its program array.
// Targets may jump further; each is compiled once.
import { Code, type DiagnosticBag, type SourcePos } from "../spec/diagnostics.ts";
import type { ProbeContext, ProbeRef } from "../spec/target.ts";
import type { Node } from "./parse.ts";
import { posOf } from "./parse.ts";
import type { TracerClass } from "./collect.ts";

export interface Jump {
  array: string;
  probe: ProbeRef;
  context: ProbeContext;
  at: SourcePos;
}

type CompileProgram = (name: string, node: Node, probeRef: ProbeRef, probe: ProbeContext, pos: SourcePos, tailCallTarget: boolean) => void;

const probeText = (p: ProbeRef) => `${p.kind}("${p.target}")`;

/** Compiles the targets of every ProgramArray jumped through (`jumps` grows as targets jump further). */
export function compileTailCallTargets(tracer: TracerClass, jumps: Jump[], diags: DiagnosticBag, compileProgram: CompileProgram): void {
  const compiled = new Map<string, ProbeRef>();
  const handlers = new Set(tracer.handlers.map((h) => h.name));
  for (let i = 0; i < jumps.length; i++) {
    const jump = jumps[i];
    const array = tracer.maps.get(jump.array)!;
    for (const slot of array.slots ?? []) {
      const seen = compiled.get(slot.program);
      if (seen) {
        if (seen.kind !== jump.probe.kind || seen.target !== jump.probe.target) {
          diags.error(Code.BadCall, jump.at, `${slot.program}() is jumped to from handlers of ${probeText(seen)} and of ${probeText(jump.probe)}`,
            "a tail-called program runs on its caller's context and must be of its caller's program type: jump to it from handlers of one probe, or give each probe its own ProgramArray");
        }
        continue;
      }
      const method = tracer.methods.get(slot.program);
      if (!method) {
        const why = handlers.has(slot.program) ? "a decorated handler (attached to its own probe)" : "not a method of this tracer";
        diags.error(Code.BadMap, array.pos, `slot ${slot.index} of ${array.name} holds ${slot.program}, which is ${why}`,
          "a ProgramArray holds plain methods of the tracer (no decorator): they run with the context of the handler that jumps to them");
        compiled.set(slot.program, jump.probe);
        continue;
      }
      compiled.set(slot.program, jump.probe);
      compileProgram(slot.program, method.node, jump.probe, jump.context, posOf(method.node.key), true);
    }
  }
  // A handler that failed to compile recorded no jumps: say nothing more about its arrays.
  if (diags.hasErrors) return;
  const jumped = new Set(jumps.map((j) => j.array));
  for (const m of tracer.maps.values()) {
    if (m.kind === "prog_array" && !jumped.has(m.name)) {
      diags.error(Code.BadMap, m.pos, `no handler jumps through ${m.name}: its programs would never run`,
        `call this.${m.name}.jump(index) in a handler, or remove the field`);
    }
  }
}
