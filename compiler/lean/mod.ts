// The lean parser: a tokenizer and recursive-descent parser for the TypeScript that tracer
// scripts are written in, built because Babel's import and first parse in a cold JIT were most
// of a cold start (bench/NOTES.md). It builds Babel's tree, node for node and field for field
// (tests/unit/lean_parser.test.ts compares them); on anything it does not handle, or any syntax
// error, it returns undefined and Babel parses the source, so errors stay Babel's.
import { GiveUp } from "./give_up.ts";
import { type Node, Parser } from "./parser.ts";
import type { Grammar } from "./grammar.ts";
import { cloneIdentifier, parseAtom, parseLiteral, propertyName } from "./expression_atoms.ts";
import { parseClass } from "./classes.ts";
import { callArguments, checkTarget, parseExpression, parseMaybeAssign, parseMaybeUnary, parseNew, parseSubscripts } from "./expressions.ts";
import { arrowFunction, functionRest, parseFunction, parseParams } from "./functions.ts";
import { parseExport, parseImport } from "./modules.ts";
import { parseBindingAtom } from "./patterns.ts";
import { parenOrArrow } from "./parentheses.ts";
import { parseStatement, parseStatementList } from "./statements.ts";
import { parseInterface, parseType, parseTypeAlias, parseTypeAnnotation, parseTypeArguments } from "./types.ts";

const GRAMMAR: Grammar = {
  arrowFunction, callArguments, checkTarget, cloneIdentifier, functionRest, parseAtom, parseBindingAtom, parseClass, parseExport,
  parseExpression, parseFunction, parseImport, parseInterface, parseLiteral, parseMaybeAssign, parseMaybeUnary, parseNew, parseParams,
  parenOrArrow, parseStatement, parseStatementList, parseSubscripts, parseType, parseTypeAlias, parseTypeAnnotation, parseTypeArguments, propertyName,
};

/** Babel's File node for `source`, or undefined where Babel must parse it. */
export function leanParse(source: string): Node | undefined {
  try {
    return parseFile(source);
  } catch (e) {
    // Input nesting past what nesting.ts lets through may exhaust the stack: Babel then says so.
    if (e instanceof GiveUp || e instanceof RangeError) return undefined;
    throw e;
  }
}

/** Why the lean parser gives up on `source` (for tests and measurements), or undefined if it does not. */
export function leanGivesUp(source: string): string | undefined {
  try {
    parseFile(source);
    return undefined;
  } catch (e) {
    if (e instanceof GiveUp || e instanceof RangeError) return e.message;
    throw e;
  }
}

/**
 * Line breaks other than \n (Babel counts \r, \r\n, U+2028 and U+2029 as one each, and ends
 * line comments at them) and what a script (not a module) would read as an HTML comment.
 */
const UNUSUAL_TEXT = ["\r", "\u2028", "\u2029", "<!--", "-->"];

function parseFile(source: string): Node {
  // includes(), not a regular expression: a cold start would pay its compile for one use.
  if (UNUSUAL_TEXT.some((text) => source.includes(text))) throw new GiveUp("unusual line breaks or HTML comment markers");
  const p = new Parser(source, GRAMMAR);
  const file = p.startNode({ line: 1, column: 0, index: 0 });
  file.errors = [];
  const program = p.startNode(file.loc.start);
  p.s.next();
  p.enterScope(true);
  program.sourceType = "module";
  program.interpreter = null;
  program.body = parseStatementList(p, "eof", true);
  program.directives = [];
  p.addExtra(program, "topLevelAwait", p.topLevelAwait);
  p.s.next();
  p.finish(program, "Program");
  file.program = program;
  file.comments = p.s.comments;
  return p.finish(file, "File");
}
