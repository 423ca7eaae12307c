// join(argv[, delimiter]) in a one-liner's handler (bpftrace's join): the strings of a NULL-ended
// array of pointers, execve's argv, printed on one line. A print site of its own: the kernel
// counts the pointers up to the NULL (at most JOIN_MOST) and sends that many strings' worth with
// the count; user space prints only the counted ones (what lies past the NULL is not argv: the
// environment, for execve).
import type { Node } from "../../compiler/parse.ts";
import type { SourceWriter } from "./source_map.ts";
import type { PrintSite, TransformState } from "./transform_state.ts";

/** The most strings join() prints, and the bytes read of each (bpftrace's join also stops at 16). */
export const JOIN_MOST = 16;
export const JOIN_STR_LEN = 256;

/** Writes join(array[, delimiter]) as a statement; `operand` writes an expression of the one-liner. */
export function emitJoin(t: TransformState, used: Set<string>, w: SourceWriter, call: Node, args: Node[], operand: (n: Node) => void): void {
  const delimiter = args[1];
  if (args.length < 1 || args.length > 2 || (delimiter && delimiter.type !== "StringLiteral")) {
    return t.error(call, `join() takes an array of string pointers and, optionally, a delimiter string literal`, `e.g. tracepoint("syscalls:sys_enter_execve", a => join(a.argv)), join(a.argv, ",")`);
  }
  const array = args[0];
  const fields = Array.from({ length: JOIN_MOST }, (_, i) => ({ name: `v${i}`, type: `Str<${JOIN_STR_LEN}>` }));
  const n = t.prints.length;
  const spec = { kind: "join" as const, delimiter: delimiter?.value ?? " ", count: "n", fields: fields.map((f) => f.name) };
  const site: PrintSite = { field: `_p${n}`, type: `Print${n}`, fields: [{ name: "n", type: "u32" }, ...fields], spec, call: call.start };
  t.prints.push(site);
  used.add("ktime");
  used.add("str");
  const element = (index: string) => (w.write("("), operand(array), w.write(`)[${index}]`));
  w.write(`{ let _jn: u32 = 0; for (let _ji = 0; _ji < ${JOIN_MOST}; _ji++) { if (!`);
  element("_ji");
  w.write(`) break; _jn++; } this.${site.field}.submit({ _t: ktime(), n: _jn`);
  fields.forEach((f, i) => {
    w.write(`, ${f.name}: str(`);
    element(String(i));
    w.write(`, ${JOIN_STR_LEN})`);
  });
  w.write(" }); }");
}
