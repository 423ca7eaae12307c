// `tsbpf dump script.ts`: compiles the script's tracers for this kernel (nothing is loaded)
// and prints every handler's instructions, each run under the TypeScript line it came from.
import { resolve } from "node:path";
import type { ProgramSpec, TracerSpec } from "../compiler/spec.ts";
import { fromBase64 } from "../compiler/spec.ts";
import { hostTarget } from "../runtime/compile_target.ts";
import { kernelBtf } from "../runtime/kernel_btf.ts";
import { readTextFile } from "../runtime/files.ts";
import { parseCommand } from "./args.ts";
import { CliError, UsageError } from "./errors.ts";
import { disassemble } from "./disasm.ts";
import { HELP } from "./help.ts";
import { helperLabel, kernelHelper } from "../spec/bpf/helpers.ts";

const OPTIONS = { eval: { type: "string", short: "e" }, help: { type: "boolean", short: "h" } } as const;

export async function dumpCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, "dump");
  if (values.help) return (console.log(HELP.dump), 0);
  if (values.eval !== undefined) {
    if (positionals.length) throw new UsageError("give a script or -e, not both", "dump");
    if (String(values.eval).trim() === "") throw new UsageError("-e needs a one-liner, got an empty program", "dump");
    const { dumpOneLiner } = await import("./run_oneliner.ts");
    return dumpOneLiner(String(values.eval));
  }
  if (positionals.length !== 1) throw new UsageError("needs one script: tsbpf dump script.ts", "dump");
  const file = resolve(positionals[0]);
  const source = readTextFile(file);
  if (source === undefined) throw new CliError(`No such script: ${positionals[0]}`);
  const { compile } = await import("../compiler/mod.ts");
  console.log(formatDump(compile(source, file, await hostTarget()), source, positionals[0]).join("\n"));
  return 0;
}

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
  const out = [`${spec.className}.${p.name}: ${p.probe.kind} ${p.probe.target} (${count} instructions, ${p.stackSize} bytes of stack)`];
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
