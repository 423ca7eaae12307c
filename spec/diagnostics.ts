// Diagnostics: every user error carries a stable code, a source range and a hint.
import { UserFacingError } from "./user_facing.ts";

/** A place in a script: 1-based line and column, and how many characters it spans. */
export interface SourcePos {
  /** The line, from 1. */
  line: number; // 1-based
  /** The column, from 1. */
  column: number; // 1-based
  /** How many characters it spans. */
  length: number;
}

/** One error found in a script: where, its stable code, what is wrong and what to do. */
export interface Diagnostic extends SourcePos {
  /** The error's stable code ("TSB1005"). */
  code: string;
  /** What is wrong. */
  message: string;
  /** The script's path (or URL). */
  file: string;
  /** What to do about it. */
  hints: string[];
}

/** The catalogue of codes; tests assert on these, so they never change meaning. */
export const Code = {
  Syntax: "TSB1001",
  Unsupported: "TSB1002",
  UnknownIdentifier: "TSB1003",
  UnknownField: "TSB1004",
  TypeMismatch: "TSB1005",
  BadDecorator: "TSB1006",
  UnknownProbe: "TSB1007",
  BadMap: "TSB1008",
  UnknownType: "TSB1009",
  StackOverflow: "TSB1010",
  BadCall: "TSB1011",
  NotConstant: "TSB1012",
  NoTracer: "TSB1013",
  DuplicateTracer: "TSB1014",
  ProgramTooLarge: "TSB1015",
  Verifier: "TSB2001",
} as const;

/** A compile failed; `diagnostics` lists every error found, in source order. */
export class CompileError extends UserFacingError {
  /** The errors found in `source`, rendered into the message with the source lines they point at. */
  constructor(readonly diagnostics: Diagnostic[], readonly source: string) {
    super(diagnostics.map((d) => renderDiagnostic(d, source)).join("\n\n"));
    this.name = "CompileError";
  }
}

/** `file:line:col: error[CODE]: message`, the source line, an underline, then the hints. */
export function renderDiagnostic(d: Diagnostic, source: string): string {
  return renderDiagnosticLine(d, isPosition(d.line) ? source.split("\n")[d.line - 1] : undefined);
}

/**
 * renderDiagnostic with the text of the diagnostic's line given (undefined: unknown). Any position
 * prints: a line or column that is missing, zero, negative, not whole or past the text is left out
 * rather than drawn (a transpiler's message may say line -1, or a column past the end).
 */
export function renderDiagnosticLine(d: Diagnostic, lineText: string | undefined): string {
  const line = isPosition(d.line) ? d.line : undefined;
  const column = line !== undefined && isPosition(d.column) ? d.column : undefined;
  const where = line === undefined ? d.file : column === undefined ? `${d.file}:${line}` : `${d.file}:${line}:${column}`;
  const out = [`${where ? `${where}: ` : ""}error[${d.code}]: ${d.message}`];
  const gutter = " ".repeat(String(line ?? "").length);
  if (line !== undefined && lineText !== undefined) {
    out.push(`${gutter} |`, `${line} | ${expandTabs(lineText)}`);
    if (column !== undefined && column <= lineText.length + 1) {
      const length = Math.max(1, Math.min(Number.isSafeInteger(d.length) ? d.length : 1, lineText.length - column + 1));
      // The caret goes under the characters as printed: a tab before or inside them is wider than one.
      const before = expandTabs(lineText.slice(0, column - 1)).length;
      const under = expandTabs(lineText.slice(0, column - 1 + length)).length - before;
      out.push(`${gutter} | ${" ".repeat(before)}${"^".repeat(Math.max(1, under))}`);
    }
  }
  for (const h of d.hints) out.push(`${gutter} = hint: ${h}`);
  return out.join("\n");
}

/**
 * `text` with each tab made spaces up to the next multiple of 4, as editors show it: printed raw
 * (or escaped as \x09 by the terminal-safe output), a tab left the caret under another column.
 */
function expandTabs(text: string): string {
  if (!text.includes("\t")) return text;
  let out = "";
  for (const c of text) out += c === "\t" ? " ".repeat(4 - (out.length % 4)) : c;
  return out;
}

/** A 1-based line or column that can be shown. */
function isPosition(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1;
}

/** Collects diagnostics during a pass; `fail()` aborts the pass once it has any. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string, readonly source: string) {}
  error(code: string, pos: SourcePos, message: string, ...hints: string[]): void {
    // A function inlined into several handlers fails the same way in each: said once.
    if (this.items.some((d) => d.line === pos.line && d.column === pos.column && d.code === code && d.message === message)) return;
    this.items.push({ code, message, file: this.file, hints, ...pos });
  }
  get hasErrors(): boolean {
    return this.items.length > 0;
  }
  throwIfAny(): void {
    if (this.items.length) {
      this.items.sort((a, b) => a.line - b.line || a.column - b.column);
      throw new CompileError(this.items, this.source);
    }
  }
}

/** The closest candidates to a misspelt name, for "did you mean". */
export function closest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: [number, string][] = [];
  const limit = Math.max(2, Math.floor(name.length / 3));
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    // One name inside the other counts when the inner one is a word, not a letter or two ("a" is in "rand").
    if (d <= limit || (name.length >= 3 && c.includes(name)) || (c.length >= 3 && name.includes(c))) scored.push([d, c]);
  }
  return scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])).slice(0, max).map((s) => s[1]);
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

export function didYouMean(name: string, candidates: Iterable<string>): string[] {
  const near = closest(name, candidates);
  return near.length ? [`did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`] : [];
}
