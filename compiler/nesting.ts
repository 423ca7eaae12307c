// How deeply the source nests, measured on its tokens before the parser sees it. The parser
// (Babel) and the compiler's passes recurse once per level of nesting; the JavaScript stack gives
// out at a depth that differs between runtimes (Deno's parser fails near 600 nested brackets or
// 6000 chained operators, Bun's about ten times deeper) and with whatever called the compiler.
// Rather than a "Maximum call stack size exceeded" at 1:1 on one runtime and a program on the
// other, a source that nests beyond a fixed budget is refused on both, at the token where it
// goes over.
//
// The measure: each open bracket costs BRACKET; each operator in the expression or statement
// being read costs 1 (a `?` or an `if` more, as the parser and the compiler spend more on them),
// until a `,` or `;` (but for an `else` after it), a block's `}` followed by anything but `else` or an operator, or a new line
// that starts a new statement; what the enclosing brackets had spent still counts inside them.
// The costs follow the parser's own stack use per construct.
import type { SourcePos } from "../spec/diagnostics.ts";

const BRACKET = 9;
/** About a third of what Deno's parser survives: 220 nested brackets, or 2000 chained operators. */
export const MAX_NESTING = 2000;
const COST: Record<string, number> = { "?": 3, if: 2, else: 0 };
const OPERATOR_WORDS = new Set(["as", "typeof", "new", "await", "void", "delete", "in", "instanceof", "keyof", "satisfies", "if", "else"]);
/** Words after which a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set(["return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "await", "yield"]);
// The measure reads characters through a table of their classes, with no regular expression and
// no function call per character: it runs once per compile, on a cold start, where a regular
// expression costs its compile on first use and a function called per character its JIT compile.
const ALPHA = 1, DIGIT = 2, DOLLAR = 4, QUOTE = 8, CONTINUING = 16;
/** The classes of ASCII characters; every character past ASCII may be in a name (ALPHA). */
const CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if ((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || ch === "_") CHARS[c] = ALPHA;
  else if (ch >= "0" && ch <= "9") CHARS[c] = DIGIT;
  else if (ch === "$") CHARS[c] = DOLLAR;
  else if (ch === "'" || ch === '"' || ch === "`") CHARS[c] = QUOTE;
  else if ("-+*/%&|^<>=!?:.~".includes(ch)) CHARS[c] = CONTINUING;
}
const PUNCTUATORS_3 = new Set(["...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??="]);
const PUNCTUATORS_2 = new Set(["=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "**", "<<", ">>"]);
/** Tokens that end nothing: a new line before them continues the expression. */
const CONTINUING_WORDS = new Set(["as", "else", "satisfies", "instanceof", "in"]);

export interface Nesting {
  /** Where the budget was first exceeded, if it was. */
  tooDeep?: SourcePos;
  /** The deepest point of the source (where a parser would give out first). */
  deepest: SourcePos;
  depth: number;
}

export function measureNesting(source: string): Nesting {
  let i = 0, line = 1, lineStart = 0;
  const n = source.length;
  let outer = 0, chain = 0;
  const stack: { outer: number; chain: number; template: boolean }[] = [];
  let deepest: SourcePos = { line: 1, column: 1, length: 1 }, depth = 0;
  let tooDeep: SourcePos | undefined;
  let prev = "", prevContinues = false;
  let newline = false, afterBlock = false;
  /**
   * The chain just after the last `if`, and what it was when a `;` reset the chain: an `else`
   * right after resumes the chain there (`if (a) x; else if (b) y; ...` nests like braces).
   */
  let afterIf = -1, beforeSemicolon = -1;
  const pos = (at: number, len: number): SourcePos => ({ line, column: at - lineStart + 1, length: Math.max(1, len) });
  const spend = (cost: number, at: number, len: number) => {
    chain += cost;
    if (outer + chain > depth) {
      depth = outer + chain;
      deepest = pos(at, len);
      if (depth > MAX_NESTING && !tooDeep) tooDeep = deepest;
    }
  };
  const open = (template: boolean, at: number) => {
    stack.push({ outer, chain, template });
    outer += chain + BRACKET;
    chain = 0;
    spend(0, at, 1);
  };
  const close = () => {
    const top = stack.pop();
    if (!top) return; // unbalanced: the parser reports it
    ({ outer, chain } = top);
    return top;
  };
  /** Skips template text from i (after ` or a closing }) to the next ${ or the closing `. */
  const templateText = () => {
    while (i < n) {
      const c = source[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        open(true, i);
        i += 2;
        return;
      } else {
        if (c === "\n") {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
    }
  };

  while (i < n && !tooDeep) {
    const c = source[i];
    if (c === "\n") {
      line++;
      lineStart = ++i;
      newline = true;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      for (; i < stop; i++) if (source[i] === "\n") { line++; lineStart = i + 1; }
      continue;
    }
    // A token starts here. A new line before it starts a new statement unless either side continues the expression.
    const at = i, code = source.charCodeAt(i);
    let tok: string;
    if (c === '"' || c === "'") {
      for (i++; i < n && source[i] !== c && source[i] !== "\n"; i++) if (source[i] === "\\") i++;
      i++;
      tok = "a";
    } else if (c === "`") {
      i++;
      templateText();
      tok = "a";
    } else if (code >= 128 || CHARS[code] & (ALPHA | DOLLAR)) {
      for (i++; i < n; i++) {
        const next = source.charCodeAt(i);
        if (next < 128 && !(CHARS[next] & (ALPHA | DIGIT | DOLLAR))) break;
      }
      tok = source.slice(at, i);
    } else if ((c >= "0" && c <= "9") || (c === "." && source[i + 1] >= "0" && source[i + 1] <= "9")) {
      for (; i < n; i++) {
        const next = source.charCodeAt(i);
        if (next >= 128 || !(CHARS[next] & (ALPHA | DIGIT) || source[i] === ".")) break;
      }
      tok = "0";
    } else if (c === "/" && regexAllowed(prev)) {
      for (i++; i < n && source[i] !== "/" && source[i] !== "\n"; i++) {
        if (source[i] === "\\") i++;
        else if (source[i] === "[") while (i < n && source[i] !== "]" && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
      }
      i++;
      for (; i < n; i++) {
        const next = source.charCodeAt(i);
        if (next >= 128 || !(CHARS[next] & (ALPHA | DIGIT))) break;
      }
      tok = "a";
    } else if (source.startsWith(">>>=", i)) {
      tok = ">>>=";
      i += 4;
    } else {
      // The longest punctuator there, or the one character.
      tok = source.slice(i, i + 3);
      if (!PUNCTUATORS_3.has(tok)) {
        tok = source.slice(i, i + 2);
        if (!PUNCTUATORS_2.has(tok)) tok = c;
      }
      i += tok.length;
    }
    const first = tok.charCodeAt(0), kind = first < 128 ? CHARS[first] : ALPHA;
    const continues = (kind & CONTINUING) !== 0 || CONTINUING_WORDS.has(tok);
    if (tok === "else" && beforeSemicolon >= 0) chain = beforeSemicolon;
    else if ((newline && !prevContinues && !continues) || (afterBlock && !continues)) chain = 0;
    newline = afterBlock = false;
    beforeSemicolon = -1;
    if (tok === "(" || tok === "[" || tok === "{") open(false, at);
    else if (tok === ")" || tok === "]") close();
    else if (tok === "}") {
      const closed = close();
      if (closed?.template) templateText();
      else afterBlock = true;
    } else if (tok === ";") {
      beforeSemicolon = afterIf;
      chain = 0;
    } else if (tok === ",") chain = 0;
    else if (tok !== "." && tok !== "?." && tok !== ":" && (OPERATOR_WORDS.has(tok) || !(kind & (ALPHA | DIGIT | DOLLAR | QUOTE)))) spend(COST[tok] ?? 1, at, tok.length);
    if (tok === "if") afterIf = chain;
    prev = tok;
    prevContinues = continues;
  }
  return { tooDeep, deepest, depth };
}

function regexAllowed(prev: string): boolean {
  if (prev === "") return true;
  if (prev === ")" || prev === "]" || prev === "}" || prev === "a" || prev === "0") return false;
  const first = prev.charCodeAt(0);
  if (first < 128 && CHARS[first] & (ALPHA | DIGIT | DOLLAR)) return BEFORE_REGEX.has(prev);
  return true;
}
