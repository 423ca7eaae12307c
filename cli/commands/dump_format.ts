// The text of `tsbpf dump`: each compiled program's instructions as llvm-objdump and bpftool print
// them, with the TypeScript line each one came from. Shared by `dump script.ts` and `dump -e`.
import type { ProgramSpec, TracerSpec } from "../../spec/tracer_spec.ts";
import { fromBase64 } from "../../spec/tracer_spec.ts";
import { kernelBtf } from "../../runtime/kernel_btf.ts";
import { disassemble } from "../../spec/bpf/disasm.ts";
import { helperLabel, kernelHelper } from "../../spec/bpf/helpers.ts";

/**
 * What marks the instructions compiled from a place in the source: `label:line: text`, or for a
 * one-liner, its own place and text (the generated script's line means nothing to its user).
 */
export type Marker = (line: number, column: number) => string;

/** The dump of compiled tracers; `label` names the source in the line markers. */
export function formatDump(specs: TracerSpec[], source: string, label: string, marker?: Marker): string[] {
  const lines = source.split("\n");
  const text = marker ?? ((n: number) => `${label}:${n}: ${(lines[n - 1] ?? "").trim()}`);
  const out: string[] = [];
  for (const spec of specs) {
    for (const p of spec.programs) {
      if (out.length) out.push("");
      out.push(...formatProgram(spec, p, text));
    }
  }
  return out;
}

function formatProgram(spec: TracerSpec, p: ProgramSpec, marker: Marker): string[] {
  const bytes = fromBase64(p.insns);
  const count = bytes.length / 8;
  const probe = `${p.tailCallTarget ? "tail-call target (not attached) of " : ""}${p.probe.kind} ${p.probe.target}`;
  const out = [`${spec.className}.${p.name}: ${probe} (${count} instructions, ${p.stackSize} bytes of stack)`];
  const mapAt = new Map(p.relocs.map((r) => [r.insn, r.map]));
  const marks = new Map<number, string>();
  for (const l of p.lines) marks.set(l.insn, marker(l.line, l.column));
  let lastMark: string | undefined;
  const width = String(count).length;
  for (const ins of disassemble(bytes, { helperName, mapAt })) {
    const mark = marks.get(ins.pc);
    if (mark !== undefined && mark !== lastMark) {
      out.push(`; ${mark}`);
      lastMark = mark;
    }
    out.push(`${String(ins.pc).padStart(width + 2)}: ${ins.text}`);
  }
  return out;
}

let helpers: Map<number, string> | undefined;

/**
 * Helper names from tsbpf's table (spec/bpf/helpers.ts), and for ids it lacks, from the kernel's
 * own `enum bpf_func_id` (BPF_FUNC_map_lookup_elem = 1, ...).
 */
function helperName(id: number): string | undefined {
  if (kernelHelper(id)) return helperLabel(id);
  if (!helpers) {
    helpers = new Map();
    try {
      const e = kernelBtf().find("bpf_func_id", "enum");
      for (const v of e?.values ?? []) if (v.name.startsWith("BPF_FUNC_")) helpers.set(v.value, `bpf_${v.name.slice(9)}`);
    } catch {
      // No BTF: numbers only.
    }
  }
  return helpers.get(id);
}
