// Handler sources for compiler tests: one tracer class, one raw-tracepoint handler per body.
// Pure (no kernel), shared by the unit tests (fake target) and the kernel tests (harness.ts).
export const PRELUDE = `import { rawTracepoint, Tracer, RingBuf, pid, tid, uid, gid, ppid, comm, ktime, cpu, curtask, str } from "tsbpf";
import type { u8, u16, u32, u64, i8, i16, i32, i64, bool, Str } from "tsbpf";
`;

/** A tracer class with one raw-tracepoint handler per body, named h0, h1, ... */
export function handlersSource(bodies: string[], extra = "", probe = "sys_enter"): string {
  const methods = bodies.map((b, i) => `  @rawTracepoint("${probe}")\n  h${i}(args: any) {\n${b}\n  }`).join("\n");
  return `${PRELUDE}${extra}\nclass T extends Tracer {\n${methods}\n}\n`;
}
