// Pass 1: parse the script's own source. The lean parser (lean/) reads what tracer scripts
// contain and builds Babel's tree for it; on anything else, and on every syntax error, Babel
// parses the source, so what the compiler reads and the errors a user sees are Babel's either
// way. Babel is loaded only when needed: by compile.ts's callers through prepareParse(), or
// up front with useFallbackParser() (mod.ts does, for callers that cannot wait). Where Babel is
// found is the caller's to check (runtime/package_place.ts, a layer above): prepareParse() runs
// the caller's check right before the import, and never when the lean parser reads the source.
import type { parse as babelParse } from "@babel/parser";
import { Code, type DiagnosticBag, type SourcePos } from "../spec/diagnostics.ts";
import { MAX_NESTING, measureNesting } from "./nesting.ts";
import { leanParse } from "./lean/mod.ts";

// deno-lint-ignore no-explicit-any
export type Node = any;

let fallback: typeof babelParse | undefined;
/** The lean parser's tree of the source prepareParse() read, used once by the next parse of that source. */
let prepared: { source: string; ast: Node } | undefined;
let leanDisabled = false;

/** Makes Babel the parser of what the lean parser gives up on, loaded already (babel_parser.ts). */
export function useFallbackParser(parse: typeof babelParse): void {
  fallback = parse;
}

/**
 * Readies parseSource() for `source`: reads it with the lean parser now, or loads Babel if it
 * gives up, after `beforeBabel` (which throws to refuse: the check of where @babel/parser is).
 */
export async function prepareParse(source: string, beforeBabel: () => void): Promise<void> {
  const ast = leanDisabled ? undefined : leanParse(source);
  if (ast) prepared = { source, ast };
  else if (!fallback) {
    beforeBabel();
    fallback = (await import("./babel_parser.ts")).babelParse;
  }
}

/** Parses with Babel alone (tests comparing the two parsers); the lean parser is used again after `false`. */
export function onlyFallbackParser(only: boolean): void {
  leanDisabled = only;
  prepared = undefined;
}

export function parseSource(source: string, diags: DiagnosticBag): Node {
  const nesting = measureNesting(source);
  if (nesting.tooDeep) {
    tooDeep(diags, nesting.tooDeep);
    diags.throwIfAny();
  }
  if (prepared?.source === source) {
    const { ast } = prepared;
    prepared = undefined;
    return ast;
  }
  const lean = leanDisabled ? undefined : leanParse(source);
  if (lean) return lean;
  if (!fallback) throw new Error("Internal error: the lean parser gave up and Babel is not loaded (call prepareParse(source) before compiling, or import compiler/mod.ts)");
  try {
    const ast = fallback(source, {
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
