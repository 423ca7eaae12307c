// A one-liner's syscalls:sys_enter_* / sys_exit_* wildcard kept as one probe, attached once
// through raw_syscalls (probes/tracepoint_syscalls.ts), instead of one handler per match (each
// match an attachment that takes ≈ 50 ms to stop): when its handler reads no field that differs
// between the matches. One that does (args.filename: openat's is at another place than open's,
// and most syscalls have none) stays one probe too when the probe can find it by the syscall's
// number (KernelQuery.syscallWildcardFields); otherwise it is a handler per match.
import type { Node } from "../../compiler/parse.ts";
import { rawSyscalls } from "../../probes/tracepoint_syscalls.ts";

/** The fields the kernel gives every syscalls:* record alike (trace_syscalls.c): the common header, the number, and for sys_exit_* ret. */
const SHARED = ["common_type", "common_flags", "common_preempt_count", "common_pid", "__syscall_nr"];

/**
 * The fields the handler `fn` of a syscall wildcard matching `targets` may read when the wildcard
 * is kept whole (`readable`: the wildcard's fields as its probe gives them; without it, those the
 * kernel gives every syscall's record alike) (the compiler reads them from the matches' formats and checks they agree), or
 * undefined when it is not kept whole: too few matches for raw_syscalls, or a handler that reads
 * another field, or uses its record otherwise than as `args.name`.
 */
export function wholeSyscallWildcard(targets: string[], fn: Node, readable?: string[]): string[] | undefined {
  const raw = targets.length > 1 ? rawSyscalls(targets) : undefined;
  // Entries and exits together are two probes here (syscallSides), each side its own fields.
  if (raw?.events.length !== 1) return undefined;
  const fields = readable ?? (raw.events[0].endsWith("sys_exit") ? [...SHARED, "ret"] : SHARED);
  if (!fn.params.length) return fields;
  const param = fn.params[0];
  if (fn.params.length > 1 || param.type !== "Identifier") return undefined;
  return readsOnly(fn.body, param.name, new Set(fields)) ? fields : undefined;
}

/** Whether every use of `name` in `node` is `name.field` of one of `fields` (a name shadowing it counts as a use). */
function readsOnly(node: unknown, name: string, fields: Set<string>): boolean {
  if (Array.isArray(node)) return node.every((n) => readsOnly(n, name, fields));
  if (!node || typeof node !== "object") return true;
  const n = node as Node;
  if (n.type === "MemberExpression" && !n.computed && n.object.type === "Identifier" && n.object.name === name) {
    return n.property.type === "Identifier" && fields.has(n.property.name);
  }
  // A property's name (x.args) is not the parameter.
  if (n.type === "MemberExpression" && !n.computed) return readsOnly(n.object, name, fields);
  if (n.type === "Identifier") return n.name !== name;
  return Object.entries(n).every(([k, v]) => k === "loc" || typeof v !== "object" || readsOnly(v, name, fields));
}

/**
 * A wildcard matching every syscalls:sys_enter_* and every sys_exit_* (syscalls:*), as those two
 * wildcards and their matches; undefined for any other set of matches.
 */
export function syscallSides(targets: string[], expand: (pattern: string) => string[]): { pattern: string; targets: string[] }[] | undefined {
  if (!targets.every((t) => t.startsWith("syscalls:sys_e"))) return undefined;
  const sides = ["syscalls:sys_enter_*", "syscalls:sys_exit_*"].map((pattern) => ({ pattern, targets: expand(pattern) }));
  const all = new Set(targets);
  const covered = sides.every((s) => s.targets.length && s.targets.every((t) => all.has(t)));
  return covered && sides[0].targets.length + sides[1].targets.length === all.size ? sides : undefined;
}
