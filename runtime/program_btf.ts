// The BTF that names each loaded handler and maps its instructions to TypeScript lines, so
// `bpftool prog` lists `onExec` and `bpftool prog dump xlated` shows the source next to the code.
import { BtfBuilder, encodeFuncInfo, encodeLineInfo } from "../btf/writer.ts";
import type { ProgramSpec, TracerSpec } from "../spec/tracer_spec.ts";

export interface ProgramDebugInfo {
  funcInfo: Uint8Array;
  lineInfo: Uint8Array;
  lineCount: number;
}

export interface TracerBtf {
  bytes: Uint8Array;
  programs: Map<string, ProgramDebugInfo>;
}

export function buildTracerBtf(spec: TracerSpec, source: string): TracerBtf {
  const b = new BtfBuilder();
  const int = b.addInt("int", 4, { signed: true });
  const voidPtr = b.addPtr(0);
  const proto = b.addFuncProto(int, [{ name: "ctx", type: voidPtr }]);
  const sourceLines = source.split("\n");
  const file = b.addString(spec.file);
  const programs = new Map<string, ProgramDebugInfo>();
  for (const p of spec.programs) {
    const func = b.addFunc(p.name, proto, "static");
    const records = lineRecords(p).map((l) => ({
      insnOff: l.insn, fileNameOff: file, lineOff: b.addString((sourceLines[l.line - 1] ?? "").trim()),
      line: l.line, column: l.column,
    }));
    programs.set(p.name, { funcInfo: encodeFuncInfo([{ insnOff: 0, typeId: func }]), lineInfo: encodeLineInfo(records), lineCount: records.length });
  }
  return { bytes: b.bytes(), programs };
}

/** One record per instruction offset (the last wins), the first at instruction 0 as the kernel requires. */
function lineRecords(p: ProgramSpec): { insn: number; line: number; column: number }[] {
  const byInsn = new Map<number, { insn: number; line: number; column: number }>();
  byInsn.set(0, { insn: 0, line: p.line, column: p.column });
  for (const l of p.lines) byInsn.set(l.insn, l);
  return [...byInsn.values()].sort((a, b) => a.insn - b.insn).map((l) => ({ ...l, column: Math.min(l.column, 1023) }));
}
