// The kernel's own probes for `tsbpf list`: tracepoints (tracefs), raw tracepoints and kernel
// functions (both from BTF), and the arguments each passes to a handler.
import { kernelBtf } from "../../runtime/kernel_btf.ts";
import { listTracepoints, tracepointFormat } from "../../probes/tracepoint.ts";
import { rawTracepointProbe } from "../../probes/raw_tracepoint.ts";
import type { Btf } from "../../btf/reader.ts";

export function tracepointNames(): string[] {
  return listTracepoints().sort();
}

/** The format file's fields without the common_* header every tracepoint shares (as bpftrace -lv). */
export function tracepointArgs(name: string): string[] {
  return tracepointFormat(name).fields.filter((f) => !f.name.startsWith("common_")).map((f) => cDecl(f.cType, f.name));
}

/** Raw tracepoints: the `btf_trace_<name>` typedefs the kernel's BTF has for each. */
export function rawTracepointNames(): string[] {
  return namesOfKind(kernelBtf(), "typedef").filter((n) => n.startsWith("btf_trace_")).map((n) => n.slice(10)).sort();
}

export function rawTracepointArgs(name: string): string[] {
  return rawTracepointProbe.context(name).fields.map((f) => cDecl(f.cType, f.name));
}

/** Kernel functions with a BTF prototype: what @kprobe, @kretprobe, @fentry and @fexit can name. */
export function kernelFunctionNames(): string[] {
  return [...new Set(namesOfKind(kernelBtf(), "func"))].sort();
}

/** A kernel function's parameters, then its return value (as bpftrace -lv shows kfuncs). */
export function kernelFunctionArgs(name: string): string[] {
  const btf = kernelBtf();
  const proto = btf.funcProto(name);
  if (!proto) return [];
  const out = proto.params.map((p, i) => cDecl(btf.typeName(p.type), p.name || `arg${i}`));
  if (proto.variadic) out.push("...");
  if (proto.returnType !== 0) out.push(cDecl(btf.typeName(proto.returnType), "retval"));
  return out;
}

function namesOfKind(btf: Btf, kind: "func" | "typedef"): string[] {
  const names: string[] = [];
  for (let id = 1; id < btf.typeCount; id++) if (btf.kindOf(id) === kind) names.push(btf.nameOf(id));
  return names;
}

/** `type name`, with an array's dimensions after the name as C writes them: `char comm[16]`. */
function cDecl(cType: string, name: string): string {
  const dims = /(\[[^\]]*\])+$/.exec(cType);
  return dims ? `${cType.slice(0, dims.index).trimEnd()} ${name}${dims[0]}` : `${cType} ${name}`;
}
