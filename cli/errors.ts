// How the command line reports failures: a user's mistake, a missing privilege or a missing
// kernel feature is one clear message and a non-zero status; a stack trace only with --verbose
// (or for what is really a bug in tsbpf, where the stack is the useful part).
import { OWN_ROOT } from "../runtime/own_files.ts";
import { buildMessages, exitProcess, isPermissionError } from "../runtime/ffi/host.ts";
import { Code, type Diagnostic, renderDiagnosticLine } from "../spec/diagnostics.ts";
import { isUserFacing, UserFacingError } from "../spec/user_facing.ts";
import { printableLines } from "../runtime/output.ts";
import { describeUndefinedDecorator } from "./undefined_decorator.ts";

/** A bad command line: unknown option, missing argument, a value that does not parse. Status 2. */
export class UsageError extends UserFacingError {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Something the user must change (a file that does not exist, a probe pattern that matches
 * nothing). Status 1, or what a shell would say (-c: 127 command not found, 126 not executable).
 */
export class CliError extends UserFacingError {
  constructor(message: string, readonly status = 1) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * Whether the message already says what is wrong and what to do: tsbpf's user-facing errors
 * (spec/user_facing.ts: marked, so a second copy of tsbpf's modules is recognised too), and
 * Deno's refusals.
 */
export function isExplained(e: unknown): boolean {
  return isUserFacing(e) || isPermissionError(e);
}

/**
 * The lines to print for an error: its message, and a hint where the message alone is not enough.
 * Shown printable: a message may quote a script's text (a probe name, an import, a source line)
 * or a server's answer, and a script from a link is not yet reviewed when its errors are shown.
 */
export function describeError(e: unknown, verbose: boolean): string {
  return printableLines(explainError(e, verbose));
}

function explainError(e: unknown, verbose: boolean): string {
  const build = describeBuildError(e);
  if (build) return build;
  if (!(e instanceof Error)) return `tsbpf: ${String(e)}`;
  if (verbose && e.stack) return e.stack.includes(e.message) ? e.stack : `${e.message}\n${e.stack}`;
  if (e instanceof UsageError) return `tsbpf${e.command ? ` ${e.command}` : ""}: ${e.message} (see: tsbpf ${e.command ? `${e.command} ` : ""}--help)`;
  if (isPermissionError(e)) {
    return `tsbpf: ${firstLine(e.message)}; Deno needs that permission for this command (the tsbpf command runs Deno with -A)`;
  }
  if (isExplained(e)) {
    // Compile and verifier errors are several lines by design (the source line, a caret, hints).
    const multiLine = e.name === "CompileError" || e.name === "VerifierError";
    return multiLine ? e.message : `tsbpf: ${e.message}`;
  }
  return `tsbpf: internal error: ${firstLine(e.message)} (run with --verbose for the stack trace, and please report it)`;
}

/**
 * For an error thrown by a script `tsbpf run` runs: explained errors as above; the script's own
 * bugs as one line with where they happened (the first frame outside tsbpf), not as tsbpf's.
 */
export function describeScriptError(e: unknown, verbose: boolean): string {
  if (!(e instanceof Error) || verbose || describeBuildError(e)) return describeError(e, verbose);
  const frames = (e.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l));
  const where = frames.map(frameLocation).find((p) => p && !isOwnFrame(p));
  if (isExplained(e)) return placedExplanation(e, where);
  const decorator = describeUndefinedDecorator(e, where);
  if (decorator) return printableLines(decorator);
  return printableLines(`${e.name}: ${firstLine(e.message)}${where ? ` at ${where}` : ""} (run tsbpf with --verbose for the stack trace)`);
}

/**
 * An explained error as describeError gives it, with the script's line that called into tsbpf
 * (a map read after stop(), a key out of range): run by bun or deno directly its stack shows that
 * line. Not for errors that carry their place already (compile errors, a field refused at start()).
 */
function placedExplanation(e: Error, where: string | undefined): string {
  const text = describeError(e, false);
  if (!where || e.name === "CompileError" || e.name === "VerifierError" || /^\S+:\d+:\d+/.test(e.message)) return text;
  const [first, ...rest] = text.split("\n");
  return [`${first} (at ${printableLines(where)})`, ...rest].join("\n");
}

/** "path:line:col" of a stack frame (a file: URL as its path; a module imported from a URL by its URL). */
function frameLocation(line: string): string | undefined {
  const where = /(?:\(|at )((?:file|https?):\/\/[^()\s]+:\d+:\d+|\/[^()\s]+:\d+:\d+)\)?$/.exec(line)?.[1];
  return where?.startsWith("file://") ? decodeURIComponent(where.slice("file://".length)) : where;
}

function isOwnFrame(where: string): boolean {
  const url = where.startsWith("/") ? `file://${encodeURI(where)}` : where;
  return url.startsWith(OWN_ROOT);
}

function firstLine(s: string): string {
  return s.split("\n")[0];
}

export function exitStatus(e: unknown): number {
  return e instanceof UsageError ? 2 : e instanceof CliError ? e.status : 1;
}

/** Prints `e` as described above and exits. */
export function fail(e: unknown, verbose: boolean): never {
  console.error(describeError(e, verbose));
  exitProcess(exitStatus(e));
}

/**
 * A script that does not parse: Bun throws a BuildMessage (several in an AggregateError) that
 * carries the position but no stack. Its diagnostics, as the compiler's (undefined for any
 * other error; a message without a position has line 0).
 */
export function buildDiagnostics(e: unknown): { diagnostic: Diagnostic; lineText: string }[] | undefined {
  return buildMessages(e)?.map((m) => {
    const p = m.position;
    const hints = (m.notes ?? []).map((n) => {
      const at = n.position ? ` (${n.position.file}:${n.position.line}:${n.position.column})` : "";
      return `${n.message ?? n.text ?? ""}${at}`;
    });
    const where = p ? { file: p.file, line: p.line, column: p.column, length: Math.max(1, p.length) } : { file: "", line: 0, column: 0, length: 0 };
    return { diagnostic: { code: Code.Syntax, message: m.message, hints, ...where }, lineText: p?.lineText ?? "" };
  });
}

/** Bun's build errors rendered as the compiler renders its diagnostics (file:line:col, the line, a caret). */
export function describeBuildError(e: unknown): string | undefined {
  // Bun's position may be anything (line -1 or 0 when it has none): rendered from the line text it
  // gives, never from a source rebuilt to the reported line.
  return buildDiagnostics(e)?.map(({ diagnostic: d, lineText }) => {
    return d.file || d.line > 0 ? renderDiagnosticLine(d, lineText) : `tsbpf: ${d.message}`;
  }).join("\n\n");
}
