// Messages and hints from the compiler and the probes speak the script's syntax (`@kprobe("f")`,
// `this.<map>`); shown for a one-liner they must speak the one-liner's (`kprobe("f", ...)`,
// `$.name`). One translation here, applied where a one-liner's errors are re-pointed
// (oneliner_runtime.ts, remap), covers every hint, present and future, that uses those forms.
import { PROBE_DECORATORS } from "../../compiler/probe_decorators.ts";
import { INSTEAD } from "./bpftrace_names.ts";
import { AGGREGATIONS } from "./maps.ts";
import { type Diagnostic, didYouMean } from "../../spec/diagnostics.ts";

/** What a one-liner's probe function may call besides the compiler's helpers: the transform rewrites these. */
const ONE_LINER_CALLS = [...Object.keys(AGGREGATIONS), "print", "printf", "join", "exit", "probe", "elapsed"];

const KINDS = Object.keys(PROBE_DECORATORS).join("|");
/** `@kprobe("f")`, `@profile(99)`: a decorator call (arguments without nested parentheses). */
const DECORATOR_CALL = new RegExp(`@(${KINDS})\\(([^()]*)\\)`, "g");
/** `@tracepoint` alone, or `@profile's`. */
const DECORATOR_NAME = new RegExp(`@(${KINDS})\\b`, "g");

/** `text` with the script's decorator and `this.` forms in one-liner syntax. */
export function toOneLinerSyntax(text: string): string {
  return text
    .replace(DECORATOR_CALL, (_, kind: string, args: string) => `${kind}(${args.trim() ? `${args}, ` : ""}...)`)
    .replace(DECORATOR_NAME, (_, kind: string) => `${kind}()`)
    .replace(/\bthis\.<map>/g, "$$.name");
}

/** An error's message and hints translated in place (it is about to be shown, and thrown no further). */
export function translateError<E extends Error>(e: E): E {
  e.message = toOneLinerSyntax(e.message);
  const withHints = e as E & { hints?: unknown };
  if (Array.isArray(withHints.hints)) withHints.hints = withHints.hints.map((h) => (typeof h === "string" ? toOneLinerSyntax(h) : h));
  return e;
}

/**
 * A diagnostic's hints: for a call the compiler does not know that is a bpftrace builtin tsbpf
 * has no form of (`system("ls")`), what to write instead, in place of near names ("cpu" for cat).
 */
export function oneLinerHints(message: string, hints: string[]): string[] {
  const name = /^unknown (?:function|name) "(\w+)"$/.exec(message)?.[1];
  if (name && Object.hasOwn(INSTEAD, name)) return [`bpftrace's "${name}": ${INSTEAD[name]}`];
  // The compiler knows its helpers only (`comm`, `str`): a misspelt one-liner call (`conut`) is near one of these.
  const near = name && !hints.some((h) => h.startsWith("did you mean")) ? didYouMean(name, ONE_LINER_CALLS) : [];
  return [...near, ...hints.map(toOneLinerSyntax)];
}

const MISSING_FIELD = /^tracepoint (\S+) has no field "([^"]+)"$/;

/**
 * The diagnostics with one error for a field many matches of a wildcard lack: the one-liner gives
 * each match a handler of its own, and each would say so at the same place (345 errors for
 * args.filename in syscalls:sys_enter_*). The first match's error stands for them, with how many.
 */
export function mergeMissingFields(diagnostics: Diagnostic[]): Diagnostic[] {
  const groups = new Map<string, Diagnostic[]>();
  const out: (Diagnostic | Diagnostic[])[] = [];
  for (const d of diagnostics) {
    const m = MISSING_FIELD.exec(d.message);
    if (!m) {
      out.push(d);
      continue;
    }
    const key = `${d.file}:${d.line}:${d.column}:${d.code}:${m[2]}`;
    const group = groups.get(key);
    if (group) group.push(d);
    else {
      const made = [d];
      groups.set(key, made);
      out.push(made);
    }
  }
  return out.map((g) => (Array.isArray(g) ? (g.length === 1 ? g[0] : mergedMissing(g)) : g));
}

function mergedMissing(group: Diagnostic[]): Diagnostic {
  const names = group.map((d) => MISSING_FIELD.exec(d.message)![1]);
  const field = MISSING_FIELD.exec(group[0].message)![2];
  // The names' shared beginning, as the wildcard to list: syscalls:sys_enter_accept, ..._writev → syscalls:sys_enter_*.
  let prefix = names[0];
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return {
    ...group[0],
    message: `tracepoint ${names[0]} and ${names.length - 1} more of the wildcard's matches have no field "${field}"`,
    hints: [
      ...group[0].hints.filter((h) => !h.startsWith("its fields are:")),
      `each match has a handler of its own, which reads that tracepoint's fields: tsbpf list -v '${prefix}*' shows each one's fields; name the tracepoints that have "${field}"`,
    ],
  };
}
