// The kernel's verifier said no: find the instruction it stopped at, map it back to the
// TypeScript line it came from, and say what the log means. Apart from VerifierError: only a
// refused load runs it (Bun's bytecode build keeps it out of the start, pack/bun_library.ts).
import type { ProgramSpec } from "../spec/tracer_spec.ts";
import { Code, type Diagnostic } from "../spec/diagnostics.ts";
import { writeLogFile } from "./log_file.ts";
import { VerifierError } from "./verifier_error.ts";

const HINTS: [RegExp, string][] = [
  [/invalid mem access 'map_value_or_null'|invalid mem access '.*_or_null'/, "a map lookup can return nothing: check the result before using it"],
  [/invalid access to map value|invalid access to memory|outside of the allowed memory range|out of bound/i, "an index or offset may be out of bounds: check it against the size first"],
  [/back-edge|infinite loop|loop is not bounded/i, "give the loop a bound the verifier can see (a constant number of iterations)"],
  [/sequence of \d+ jumps is too complex|too many states/i, "the verifier walks every iteration of a loop: lower the loop's bound or take branches out of its body"],
  [/invalid (indirect )?read from stack|invalid stack/i, "a stack variable is read before it is written: initialise it"],
  [/program is too large/i, "the handler is too long for the verifier: split it or simplify its branches"],
  [/unknown func|invalid func/i, "this helper is not available to this program type on this kernel"],
  [/R\d+ !read_ok/, "a value is used before it is set on some path"],
];

/** The instruction the verifier failed at: the last "N: (op) ..." line of the log. */
export function failingInstruction(log: string): number | undefined {
  let last: number | undefined;
  for (const m of log.matchAll(/^(\d+): \([0-9a-f]{2}\)/gm)) last = Number(m[1]);
  return last;
}

/** The line or two of the log that say why, without the statistics at the end. */
export function verifierReason(log: string): string {
  const lines = log.split("\n").map((l) => l.trim()).filter((l) => l && !/^processed \d+ insns|^verification time|^stack depth|^\d+: |^; |^mark_precise|^from \d+ to \d+|^R\d+_w?=|^last_idx|^regs=|^parent didn't/.test(l));
  return lines.slice(-2).join(": ") || "no reason given";
}

/** What the log's reason means, if a hint knows; matched without the statistics every log ends with. */
export function verifierHint(log: string): string | undefined {
  const said = log.split("\n").filter((l) => !STATISTICS.test(l)).join("\n");
  return HINTS.find(([re]) => re.test(said))?.[1];
}

const STATISTICS = /^\s*(processed \d+ insns|verification time|stack depth)/;

export function verifierError(p: ProgramSpec, file: string, source: string | undefined, errno: number, log: string): VerifierError {
  const reason = verifierReason(log);
  const insn = failingInstruction(log);
  let line = p.line, column = p.column;
  if (insn !== undefined) {
    const entry = [...p.lines].reverse().find((l) => l.insn <= insn);
    if (entry) ({ line, column } = entry);
  }
  const hint = verifierHint(log);
  const diagnostic: Diagnostic = {
    code: Code.Verifier,
    file,
    line,
    column,
    length: 1,
    message: `the kernel's verifier rejected handler "${p.name}"${insn !== undefined ? ` at instruction ${insn}` : ""}: ${reason}`,
    hints: [...(hint ? [hint] : []), ...logHint(p.name, log)],
  };
  return new VerifierError(p.name, errno, log, diagnostic, reason, source);
}

/** Where the whole log is: a file of its own, since the message shows only the line or two that matter. */
function logHint(program: string, log: string): string[] {
  if (!log) return [];
  const path = writeLogFile(`tsbpf-verifier-${program}`, log);
  // runtime/bpf.ts keeps only the end of a log too long for its buffer, and says so on its first line.
  const what = log.startsWith("(the verifier's log was ") ? "the end of the verifier log" : "the whole verifier log";
  return path ? [`${what} (${log.split("\n").length} lines) is in ${path}`] : [];
}
