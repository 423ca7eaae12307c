// What compiled code assumes about the kernel it was compiled for: every struct member offset
// it reads and every probe context it was given. A spec whose assumptions all hold on another
// kernel runs there unchanged; otherwise its handlers are compiled again (CO-RE by checking).
import type { Btf } from "../btf/reader.ts";
import type { ProbeContext, ProbeRef } from "../spec/target.ts";

/** `member struct task_struct.real_parent @2144:0 struct task_struct * (8)` */
export function memberFact(btf: Btf, structId: number, name: string): string | undefined {
  const m = btf.member(structId, name);
  if (!m) return undefined;
  return `member ${btf.typeName(structId)}.${name} @${m.bitOffset}:${m.bitSize} ${btf.typeName(m.type)} (${btf.sizeOf(btf.resolve(m.type))})`;
}

/** `no member struct cfs_rq.nr_running`: code chose another field because this one is absent (`a.b ?? c`). */
export function absentMemberFact(btf: Btf, structId: number, name: string): string {
  return `no member ${btf.typeName(structId)}.${name}`;
}

/** The probe's context as the compiled code relies on it: layout and types, not BTF ids (they differ per kernel). */
export function probeFact(ref: ProbeRef, ctx: ProbeContext): string {
  const field = (f: ProbeContext["fields"][number]) => [f.name, f.offset, f.size, f.signed, f.kind, f.cType, f.space].join(":");
  const layout = {
    progType: ctx.progType, attach: ctx.expectedAttachType ?? 0, argArray: ctx.argArray ?? 0,
    // A syscall wildcard's arguments (hundreds): each one a handler reads is a fact of its own (syscallArgumentFact).
    fields: ctx.fields.filter((f) => !f.places).map(field), params: ctx.params?.map(field) ?? [],
    // A syscall wildcard attached once: its code tests these numbers.
    ...(ctx.syscalls ? { syscalls: ctx.syscalls } : {}),
  };
  return `probe ${ref.kind} ${ref.target} ${JSON.stringify(layout)}`;
}

/** `syscall argument tracepoint syscalls:sys_enter_* filename […]`: a syscall wildcard's argument the code finds by the number (compiler/syscall_fields.ts). */
export function syscallArgumentFact(ref: ProbeRef, f: ProbeContext["fields"][number]): string {
  return `syscall argument ${ref.kind} ${ref.target} ${f.name} ${JSON.stringify([f.size, f.signed, f.kind, f.cType, f.space, f.places])}`;
}

/** Which PID namespace pid() and tid() were compiled to answer in (runtime/namespaces.ts spells it the same). */
export function pidNamespaceFact(ns: { dev: bigint; ino: bigint } | undefined): string {
  return ns ? `pidns ${ns.dev}:${ns.ino}` : "pidns initial";
}

/** Whether the kernel has BPF ring buffers: RingBuf fields were compiled as ring buffers or as perf buffers. */
export function ringBufferFact(ringBuffers: boolean): string {
  return `feature ringbuf ${ringBuffers ? "yes" : "no"}`;
}

/** The struct or union a fact names, found again in another kernel's BTF. */
export function structByName(btf: Btf, typeName: string): number | undefined {
  const m = /^(struct|union) (\w+)$/.exec(typeName);
  return m ? btf.findByName(m[2], m[1] as "struct" | "union")[0] : undefined;
}
