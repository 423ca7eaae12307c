// Pass 1: parse the script's own source with a real TypeScript parser.
import { parse } from "@babel/parser";
import { Code, type DiagnosticBag, type SourcePos } from "../spec/diagnostics.ts";
import { MAX_NESTING, measureNesting } from "./nesting.ts";

// deno-lint-ignore no-explicit-any
export type Node = any;

export function parseSource(source: string, diags: DiagnosticBag): Node {
  const nesting = measureNesting(source);
  if (nesting.tooDeep) {
    tooDeep(diags, nesting.tooDeep);
    diags.throwIfAny();
  }
  try {
    const ast = parse(source, {
      sourceType: "module",
      plugins: ["typescript", "decorators"],
      errorRecovery: true,
    } as never);
    for (const e of (ast as Node).errors ?? []) {
      diags.error(Code.Syntax, { line: e.loc.line, column: e.loc.column + 1, length: 1 }, cleanMessage(e.message));
    }
    return ast;
  } catch (e) {
    if (e instanceof RangeError) {
      tooDeep(diags, nesting.deepest);
      diags.throwIfAny();
    }
    const err = e as { loc?: { line: number; column: number }; message: string };
    diags.error(Code.Syntax, { line: err.loc?.line ?? 1, column: (err.loc?.column ?? 0) + 1, length: 1 }, cleanMessage(err.message));
    diags.throwIfAny();
    throw e;
  }
}

/**
 * Reports source that nests past what the parser and the compiler's passes can recurse through
 * on every runtime (see nesting.ts), at `pos`: where it went over, or its deepest point.
 */
export function tooDeep(diags: DiagnosticBag, pos: SourcePos): void {
  diags.error(Code.Unsupported, pos,
    `this nests too deeply to compile: brackets, blocks and chained operators here go past the compiler's budget (${MAX_NESTING}: about 220 nested brackets, or 2000 operators in one expression)`,
    "give parts of a long expression names with const, one per statement",
    "move deeply nested blocks into functions, or turn a long else-if chain into a switch");
}

function cleanMessage(m: string): string {
  return m.replace(/\s*\(\d+:\d+\)\s*$/, "");
}

/** The source range of a node, as a diagnostic position. */
export function posOf(node: Node): SourcePos {
  const s = node.loc.start, e = node.loc.end;
  return { line: s.line, column: s.column + 1, length: e.line === s.line ? Math.max(1, e.column - s.column) : 1 };
}
