// The text of `tsbpf dump`: each compiled program's instructions as llvm-objdump and bpftool print
// them, with the TypeScript line each one came from. Shared by `dump script.ts` and `dump -e`.
import type { ProgramSpec, TracerSpec } from "../../spec/tracer_spec.ts";
import { fromBase64 } from "../../spec/tracer_spec.ts";
import { kernelBtf } from "../../runtime/kernel_btf.ts";
import { disassemble } from "../../spec/bpf/disasm.ts";
import { helperLabel, kernelHelper } from "../../spec/bpf/helpers.ts";

/** The dump of compiled tracers; `label` names the source in the line markers. */
export function formatDump(specs: TracerSpec[], source: string, label: string, sourceLine?: (line: number) => string | undefined): string[] {
  const lines = source.split("\n");
  const text = sourceLine ?? ((n: number) => lines[n - 1]);
  const out: string[] = [];
  for (const spec of specs) {
    for (const p of spec.programs) {
      if (out.length) out.push("");
      out.push(...formatProgram(spec, p, label, text));
    }
  }
  return out;
}

function formatProgram(spec: TracerSpec, p: ProgramSpec, label: string, text: (line: number) => string | undefined): string[] {
  const bytes = fromBase64(p.insns);
  const count = bytes.length / 8;
  const probe = `${p.tailCallTarget ? "tail-call target (not attached) of " : ""}${p.probe.kind} ${p.probe.target}`;
  const out = [`${spec.className}.${p.name}: ${probe} (${count} instructions, ${p.stackSize} bytes of stack)`];
  const mapAt = new Map(p.relocs.map((r) => [r.insn, r.map]));
  const marks = new Map<number, number>();
  for (const l of p.lines) marks.set(l.insn, l.line);
  let lastLine = -1;
  const width = String(count).length;
  for (const ins of disassemble(bytes, { helperName, mapAt })) {
    const line = marks.get(ins.pc);
    if (line !== undefined && line !== lastLine) {
      out.push(`; ${label}:${line}: ${(text(line) ?? "").trim()}`);
      lastLine = line;
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
