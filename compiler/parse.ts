// Pass 1: parse the script's own source with a real TypeScript parser.
import { parse } from "@babel/parser";
import { Code, type DiagnosticBag, type SourcePos } from "./diagnostics.ts";

// deno-lint-ignore no-explicit-any
export type Node = any;

export function parseSource(source: string, diags: DiagnosticBag): Node {
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
    const err = e as { loc?: { line: number; column: number }; message: string };
    diags.error(Code.Syntax, { line: err.loc?.line ?? 1, column: (err.loc?.column ?? 0) + 1, length: 1 }, cleanMessage(err.message));
    diags.throwIfAny();
    throw e;
  }
}

function cleanMessage(m: string): string {
  return m.replace(/\s*\(\d+:\d+\)\s*$/, "");
}

/** The source range of a node, as a diagnostic position. */
export function posOf(node: Node): SourcePos {
  const s = node.loc.start, e = node.loc.end;
  return { line: s.line, column: s.column + 1, length: e.line === s.line ? Math.max(1, e.column - s.column) : 1 };
}
