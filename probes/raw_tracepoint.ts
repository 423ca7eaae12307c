// @rawTracepoint("sched_switch"): a tracepoint's raw arguments, without the format-file record.
// Cheaper than @tracepoint; the arguments are named and typed from the kernel's BTF
// (`btf_trace_<name>`), read as u64 slots of the context.
//
// @tpBtf("sched_switch"): the same arguments, as a BTF-typed tracing program (tp_btf, 5.5+):
// the verifier knows each argument's kernel type. It is a decorator of its own rather than
// what @rawTracepoint silently becomes where the kernel allows: a raw_tp program also loads
// where BPF_PROG_TYPE_TRACING is refused, and BPF_PROG_TEST_RUN runs it (not a tp_btf one).
import { type ContextField, ProbeLookupError, type ProbeContext } from "../spec/target.ts";
import { closest } from "../spec/diagnostics.ts";
import { AttachType, ProgType, rawTracepointOpen } from "../runtime/bpf.ts";
import { hasTpBtf } from "../runtime/features.ts";
import { verbose } from "../runtime/verbose.ts";
import type { OwnedFd } from "../runtime/fd.ts";
import { kernelBtf } from "../runtime/kernel_btf.ts";
import { rawTracepointName } from "./names.ts";

const MAX_ARGS = 12;

function argumentFields(name: string): ContextField[] | undefined {
  const btf = kernelBtf();
  const [typedef] = btf.findByName(`btf_trace_${name}`, "typedef");
  if (typedef === undefined) return undefined;
  const ptr = btf.type(btf.resolve(typedef));
  const proto = ptr.kind === "ptr" ? btf.type(btf.resolve(ptr.type)) : undefined;
  if (!proto || proto.kind !== "func_proto") return undefined;
  // The typedef's parameters have no names; the tracepoint's BPF stub has them. Events defined
  // from a class (DEFINE_EVENT) share the class's stub: find it by the parameters' types.
  const named = btf.funcProto(`__bpf_trace_${name}`);
  const names = named && named.params.length === proto.params.length
    ? named.params.map((p) => p.name)
    : namesBySignature(proto.params.map((p) => p.type)) ?? [];
  // The first parameter is the tracepoint's private data, not an argument.
  const fields = proto.params.slice(1).map((p, i) => {
    const t = btf.type(btf.resolve(p.type));
    const isPtr = t.kind === "ptr";
    return {
      name: names[i + 1] || p.name || `arg${i}`, offset: i * 8, size: 8, signed: t.kind === "int" && t.signed,
      kind: isPtr ? "ptr" : "int", cType: btf.typeName(p.type), space: "kernel", btfId: p.type,
    } satisfies ContextField;
  });
  // bpftrace's names (arg0, arg1, ...) work too, beside the BTF names.
  return [...fields, ...fields.filter((f, i) => f.name !== `arg${i}`).map((f) => ({ ...f, name: `arg${fields.indexOf(f)}` }))];
}

/** Parameter names by signature (see namesBySignature), once per signature a process asks for. */
const bySignature = new Map<string, string[] | undefined>();

/**
 * Parameter names of the __bpf_trace_* stubs whose parameters have these types, if they all
 * agree. Only the stubs with as many parameters are compared (type names never contain a
 * ", " outside brackets, so signatures of another length cannot be equal): a cold start used to
 * decode and render every stub of the kernel (~800), 100-200 ms.
 */
function namesBySignature(types: number[]): string[] | undefined {
  const btf = kernelBtf();
  const signature = types.map((t) => btf.typeName(t)).join(", ");
  if (bySignature.has(signature)) return bySignature.get(signature);
  const names = new Set<string>(), seen = new Set<string>();
  for (const id of btf.withNamePrefix("__bpf_trace_", "func")) {
    const name = btf.nameOf(id);
    // A name's first function is the one funcProto(name) gives.
    if (seen.has(name)) continue;
    seen.add(name);
    // A prototype's slots are its parameters, and a trailing "..." if it has one.
    const slots = btf.paramSlots(id);
    if (slots !== types.length && slots !== types.length + 1) continue;
    const p = btf.funcProtoOf(id);
    if (p.params.length !== types.length) continue;
    if (p.params.map((x) => btf.typeName(x.type)).join(", ") === signature) names.add(p.params.map((x) => x.name).join(","));
  }
  const found = names.size === 1 ? [...names][0].split(",") : undefined;
  bySignature.set(signature, found);
  return found;
}

function rawTracepointNames(): string[] {
  const btf = kernelBtf();
  const names: string[] = [];
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kindOf(id) === "typedef") {
      const n = btf.nameOf(id);
      if (n.startsWith("btf_trace_")) names.push(n.slice(10));
    }
  }
  return names;
}

function lookup(target: string): ContextField[] {
  rawTracepointName(target);
  const fields = argumentFields(target);
  if (!fields) {
    const near = closest(target, rawTracepointNames());
    throw new ProbeLookupError(`unknown raw tracepoint "${target}"`, near.length ? [`did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`] : []);
  }
  return fields;
}

export const rawTracepointProbe = {
  kind: "rawTracepoint",
  context(target: string): ProbeContext {
    const fields = lookup(target);
    verbose(`raw tracepoint ${target}: compiled as raw_tp (arguments typed from BTF, read with probe reads; @tpBtf("${target}") for a tp_btf program, which this kernel ${hasTpBtf() ? "loads" : "refuses"})`);
    return { progType: ProgType.RAW_TRACEPOINT, fields, argArray: MAX_ARGS, describe: `raw tracepoint ${target}` };
  },
  attach(progFd: number, target: string): OwnedFd[] {
    return [rawTracepointOpen(progFd, rawTracepointName(target))];
  },
};

export const tpBtfProbe = {
  kind: "tpBtf",
  context(target: string): ProbeContext {
    const fields = lookup(target);
    if (!hasTpBtf()) {
      throw new ProbeLookupError(`this kernel cannot load tp_btf programs (BPF_PROG_TYPE_TRACING: Linux 5.5+ with BTF, and not refused by policy)`,
        [`use @rawTracepoint("${target}"): the same arguments, read with probe reads`]);
    }
    const [typedef] = kernelBtf().findByName(`btf_trace_${target}`, "typedef");
    verbose(`tp_btf ${target}: compiled as tp_btf (BPF_PROG_TYPE_TRACING attached to btf_trace_${target}: the verifier knows the arguments' types)`);
    return {
      progType: ProgType.TRACING, expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: typedef, fields,
      argArray: Math.max(1, ...fields.map((f) => f.offset / 8 + 1)), describe: `tp_btf ${target}`,
    };
  },
  /** BTF ids differ between kernels: found again by name where the program loads. */
  attachBtfId: (target: string) => kernelBtf().findByName(`btf_trace_${target}`, "typedef")[0],
  /** The program names its tracepoint at load (attach_btf_id): opened without a name. */
  attach(progFd: number, target: string): OwnedFd[] {
    return [rawTracepointOpen(progFd, "", `tp_btf ${target}`)];
  },
};
