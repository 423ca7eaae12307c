// A syscall wildcard attached once to raw_syscalls (probes/tracepoint_syscalls.ts) whose handler
// reads an argument that sits at another place in different syscalls, or that only some have
// (args.filename: open's first argument, openat's second, read has none). The handler runs only in
// the syscalls that have every such argument it reads, and each read takes the argument's slot by
// the syscall's number.
import type { Node } from "./parse.ts";
import type { Lower, Value } from "./lower/context.ts";
import type { ContextField } from "../spec/target.ts";
import { SYSCALL_NR_OFFSET } from "./builtins.ts";

/**
 * The syscalls the handler `fn` runs in: the probe's, less those lacking an argument it reads as
 * `param.name`. The probe's own list when it reads none.
 */
export function syscallsRun(l: Lower, fn: Node): number[] {
  const numbers = l.input.probe.syscalls!;
  const param = fn.params[0]?.type === "Identifier" ? fn.params[0].name as string : undefined;
  const placed = new Map(l.input.probe.fields.filter((f) => f.places).map((f) => [f.name, f]));
  if (!param || !placed.size) return numbers;
  const read = new Set<string>();
  argumentsRead(fn.body, param, placed, read);
  if (!read.size) return numbers;
  const run = new Set(numbers);
  for (const name of read) {
    const has = new Set(placed.get(name)!.places!.flatMap((p) => p.syscalls));
    for (const n of run) if (!has.has(n)) run.delete(n);
  }
  return numbers.filter((n) => run.has(n));
}

/** The names of `placed` read as `param.name` in `node`. */
function argumentsRead(node: unknown, param: string, placed: Map<string, ContextField>, read: Set<string>): void {
  if (Array.isArray(node)) return node.forEach((n) => argumentsRead(n, param, placed, read));
  if (!node || typeof node !== "object") return;
  const n = node as Node;
  if (n.type === "MemberExpression" && !n.computed && n.object.type === "Identifier" && n.object.name === param && placed.has(n.property.name)) {
    read.add(n.property.name);
    return;
  }
  for (const [k, v] of Object.entries(n)) if (k !== "loc" && v && typeof v === "object") argumentsRead(v, param, placed, read);
}

/**
 * The argument `f` (with places) in the syscall the handler runs in: a binary search over the
 * numbers, each leaf reading one slot (the verifier takes only constant context offsets).
 * `read` reads a field at one place. Undefined when a syscall the handler runs in lacks it
 * (the handler reads it otherwise than as `param.name`, which syscallsRun did not see).
 */
export function placedField(l: Lower, f: ContextField, read: (f: ContextField) => Value): Value | undefined {
  const run = new Set(l.syscallsRun ?? []);
  const entries = f.places!.flatMap((p) => p.syscalls.filter((n) => run.has(n)).map((n) => [n, p.offset] as const)).sort((a, b) => a[0] - b[0]);
  if (!run.size || entries.length !== run.size) return undefined;
  l.argumentsRead.add(f);
  // Runs of consecutive run-numbers with one place: the search compares only with where each begins.
  const segments: { from: number; offset: number }[] = [];
  for (const [n, offset] of entries) if (segments.at(-1)?.offset !== offset) segments.push({ from: n, offset });
  const at = (offset: number) => read({ ...f, offset, places: undefined });
  if (segments.length === 1) return at(segments[0].offset);
  const nr = l.b.load(l.ctx, SYSCALL_NR_OFFSET, 8);
  const result = l.b.reg(), done = l.b.label();
  let value: Value | undefined;
  const search = (from: number, to: number): void => {
    if (to - from === 1) {
      value = at(segments[from].offset);
      if (value.kind !== "scalar") throw new Error(`internal: syscall argument ${f.name} is not a scalar`);
      l.b.emit({ op: "mov", dst: result, src: value.op });
      l.b.emit({ op: "jmp", target: done });
      return;
    }
    const mid = (from + to) >> 1, upper = l.b.label();
    l.b.emit({ op: "br", cond: "jge", a: nr, b: BigInt(segments[mid].from), target: upper });
    search(from, mid);
    l.b.place(upper);
    search(mid, to);
  };
  search(0, segments.length);
  l.b.place(done);
  return { ...(value as Extract<Value, { kind: "scalar" }>), op: result };
}
