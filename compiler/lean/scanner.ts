// The lean parser's tokenizer: one token at a time, driven by the parser (which knows where a `/`
// starts a regular expression and where a `}` resumes a template). Anything it does not know
// for sure (non-ASCII names, legacy octal, odd escapes, a line break it would have to judge) makes
// it give up, and Babel parses the source instead.
import { GiveUp, Mismatch } from "./give_up.ts";

export interface Position {
  line: number;
  column: number;
  index: number;
}

export interface Comment {
  type: "CommentBlock" | "CommentLine";
  value: string;
  start: number;
  end: number;
  loc: { start: Position; end: Position };
}

export type TokenKind = "name" | "num" | "bigint" | "string" | "template" | "punct" | "private" | "regex" | "eof";

/** Everything the parser may rewind to (speculative parses of arrows and type arguments). */
export interface ScanState {
  pos: number;
  line: number;
  lineStart: number;
  kind: TokenKind;
  value: string;
  literal: unknown;
  start: number;
  end: number;
  startLine: number;
  startColumn: number;
  newlineBefore: boolean;
  lastEnd: number;
  lastEndLine: number;
  lastEndColumn: number;
  startLoc: Position;
  lastEndLoc: Position;
  comments: number;
}

/** Punctuators by their first character, longest first (a single character is always one). */
const PUNCTUATORS = new Map<string, string[]>();
for (const p of [">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
  "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "**", "<<", ">>"]) {
  PUNCTUATORS.set(p[0], [...(PUNCTUATORS.get(p[0]) ?? []), p]);
}
const SINGLE = new Set("{}()[];,<>+-*/%&|^!~?:=.@");
const NAME_START = /[A-Za-z_$]/;
const NAME_REST = /[\w$]/y;
const NAME = /[A-Za-z_$][\w$]*/y;
/** Bounds the work of speculative parses: past this many tokens per source character, give up. */
const TOKEN_BUDGET = 4;

export class Scanner {
  pos = 0;
  line = 1;
  lineStart = 0;
  kind: TokenKind = "eof";
  /** The token's text for names and punctuators; its raw text for literals. */
  value = "";
  /** A literal's value (string, number, bigint digits, template chunk's cooked text). */
  literal: unknown = undefined;
  start = 0;
  end = 0;
  startLine = 1;
  startColumn = 0;
  newlineBefore = false;
  lastEnd = 0;
  lastEndLine = 1;
  lastEndColumn = 0;
  /**
   * Where the current token starts and where the one before it ended, made once per token (as
   * Babel does) and shared by the nodes starting or ending there: fields, not methods, because a
   * parse reads them about as often as it reads a token, and on Bun a method called that often is
   * compiled by the JIT on a cold start, up to its second tier (bench/NOTES.md, session 14).
   */
  startLoc: Position = { line: 1, column: 0, index: 0 };
  lastEndLoc: Position = { line: 1, column: 0, index: 0 };
  readonly comments: Comment[] = [];
  #scanned = 0;
  readonly #budget: number;

  constructor(readonly src: string) {
    this.#budget = TOKEN_BUDGET * src.length + 1000;
  }

  save(): ScanState {
    return { pos: this.pos, line: this.line, lineStart: this.lineStart, kind: this.kind, value: this.value, literal: this.literal,
      start: this.start, end: this.end, startLine: this.startLine, startColumn: this.startColumn, newlineBefore: this.newlineBefore,
      lastEnd: this.lastEnd, lastEndLine: this.lastEndLine, lastEndColumn: this.lastEndColumn, startLoc: this.startLoc, lastEndLoc: this.lastEndLoc,
      comments: this.comments.length };
  }

  restore(s: ScanState): void {
    ({ pos: this.pos, line: this.line, lineStart: this.lineStart, kind: this.kind, value: this.value, literal: this.literal,
      start: this.start, end: this.end, startLine: this.startLine, startColumn: this.startColumn, newlineBefore: this.newlineBefore,
      lastEnd: this.lastEnd, lastEndLine: this.lastEndLine, lastEndColumn: this.lastEndColumn, startLoc: this.startLoc, lastEndLoc: this.lastEndLoc } = s);
    this.comments.length = s.comments;
  }

  /** Moves to the next token. */
  next(): void {
    if (++this.#scanned > this.#budget) throw new GiveUp("too much backtracking");
    this.lastEnd = this.end;
    this.lastEndLine = this.line;
    this.lastEndColumn = this.end - this.lineStart;
    this.lastEndLoc = { line: this.lastEndLine, column: this.lastEndColumn, index: this.lastEnd };
    this.newlineBefore = false;
    this.#skipSpace();
    this.start = this.pos;
    this.startLine = this.line;
    this.startColumn = this.pos - this.lineStart;
    this.startLoc = { line: this.startLine, column: this.startColumn, index: this.start };
    this.#read();
    this.end = this.pos;
  }

  #skipSpace(): void {
    const src = this.src;
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      if (c === 32 || c === 9) this.pos++;
      else if (c === 10) {
        this.pos++;
        this.#newline();
      } else if (c === 13) {
        // \r\n and lone \r count as line breaks in Babel's positions; keep it simple: give up on \r.
        throw new GiveUp("carriage return");
      } else if (c === 47 && src.charCodeAt(this.pos + 1) === 47) {
        const start = this.pos, startPos = this.#here();
        let end = src.indexOf("\n", start);
        if (end < 0) end = src.length;
        this.pos = end;
        this.#comment("CommentLine", src.slice(start + 2, end), start, startPos);
      } else if (c === 47 && src.charCodeAt(this.pos + 1) === 42) {
        const start = this.pos, startPos = this.#here();
        const end = src.indexOf("*/", start + 2);
        if (end < 0) throw new Mismatch("unterminated comment");
        for (let i = start + 2; i < end; i++) {
          if (src.charCodeAt(i) === 10) {
            this.pos = i + 1;
            this.#newline();
          }
        }
        this.pos = end + 2;
        this.#comment("CommentBlock", src.slice(start + 2, end), start, startPos);
      } else if (c > 126 || c === 11 || c === 12) throw new GiveUp("unusual white space or character");
      else break;
    }
  }

  #newline(): void {
    this.line++;
    this.lineStart = this.pos;
    this.newlineBefore = true;
  }

  #here(): Position {
    return { line: this.line, column: this.pos - this.lineStart, index: this.pos };
  }

  #comment(type: Comment["type"], value: string, start: number, startPos: Position): void {
    this.comments.push({ type, value, start, end: this.pos, loc: { start: startPos, end: this.#here() } });
  }

  #read(): void {
    const src = this.src;
    if (this.pos >= src.length) {
      this.kind = "eof";
      this.value = "";
      return;
    }
    const c = src[this.pos];
    if (NAME_START.test(c)) {
      NAME.lastIndex = this.pos;
      NAME.test(src);
      this.value = src.slice(this.pos, NAME.lastIndex);
      this.pos = NAME.lastIndex;
      this.kind = "name";
      if (src[this.pos] === "\\") throw new GiveUp("escape in a name");
      return;
    }
    if (c >= "0" && c <= "9" || (c === "." && src[this.pos + 1] >= "0" && src[this.pos + 1] <= "9")) return this.#number();
    if (c === '"' || c === "'") return this.#string(c);
    if (c === "`") {
      this.pos++;
      this.kind = "template";
      this.value = "`";
      return;
    }
    if (c === "#") {
      if (this.pos === 0 && src[1] === "!") throw new GiveUp("interpreter directive");
      this.pos++;
      if (!NAME_START.test(src[this.pos] ?? "")) throw new GiveUp("# without a name");
      NAME.lastIndex = this.pos;
      NAME.test(src);
      this.value = src.slice(this.pos, NAME.lastIndex);
      this.pos = NAME.lastIndex;
      this.kind = "private";
      return;
    }
    for (const p of PUNCTUATORS.get(c) ?? []) {
      if (src.startsWith(p, this.pos)) {
        // `?.` followed by a digit is `?` then a number.
        if (p === "?." && src[this.pos + 2] >= "0" && src[this.pos + 2] <= "9") break;
        this.pos += p.length;
        this.kind = "punct";
        this.value = p;
        return;
      }
    }
    if (SINGLE.has(c)) {
      this.pos++;
      this.kind = "punct";
      this.value = c;
      return;
    }
    throw new GiveUp(`character ${JSON.stringify(c)}`);
  }

  #number(): void {
    const src = this.src, start = this.pos;
    let digits: RegExp;
    const prefix = src[start] === "0" ? src[start + 1]?.toLowerCase() : undefined;
    if (prefix === "x") digits = /[0-9a-fA-F_]/;
    else if (prefix === "o") digits = /[0-7_]/;
    else if (prefix === "b") digits = /[01_]/;
    else if (src[start] === "0" && src[start + 1] >= "0" && src[start + 1] <= "9") throw new GiveUp("legacy octal");
    else digits = /[0-9_]/;
    let i = start;
    if (prefix === "x" || prefix === "o" || prefix === "b") {
      i += 2;
      while (i < src.length && digits.test(src[i])) i++;
      if (i === start + 2) throw new Mismatch("no digits");
    } else {
      while (i < src.length && digits.test(src[i])) i++;
      if (src[i] === "." && src[i + 1] !== "_") {
        i++;
        while (i < src.length && digits.test(src[i])) i++;
      }
      if (src[i] === "e" || src[i] === "E") {
        i++;
        if (src[i] === "+" || src[i] === "-") i++;
        const at = i;
        while (i < src.length && digits.test(src[i])) i++;
        if (i === at) throw new Mismatch("no exponent digits");
      }
    }
    const raw0 = src.slice(start, i);
    if (/^0_/.test(raw0)) throw new GiveUp("separator after a leading 0");
    if (/_(?![0-9a-fA-F])|(?<![0-9a-fA-F])_|^0x_|^0o_|^0b_/i.test(raw0) || /_$/.test(raw0) || /__/.test(raw0)) throw new GiveUp("numeric separator");
    if (src[i] === "n") {
      if (/[.eE]/.test(raw0) && prefix !== "x") throw new GiveUp("bigint with a fraction");
      if (raw0.length > 1 && raw0[0] === "0" && prefix === undefined) throw new GiveUp("bigint with a leading zero");
      i++;
      this.kind = "bigint";
      this.literal = BigInt(raw0.replace(/_/g, ""));
    } else {
      this.kind = "num";
      this.literal = Number(raw0.replace(/_/g, ""));
      // Babel sums the digits of 0x/0o/0b literals in floating point: past 2^53 it may round otherwise.
      if (prefix !== undefined && /[xob]/.test(prefix) && (this.literal as number) > Number.MAX_SAFE_INTEGER) throw new GiveUp("large non-decimal literal");
    }
    NAME_REST.lastIndex = i;
    if (i < src.length && (NAME_REST.test(src) || src[i] === "\\" || src.charCodeAt(i) > 126)) throw new Mismatch("name right after a number");
    this.pos = i;
    this.value = src.slice(start, i);
  }

  #string(quote: string): void {
    const src = this.src, start = this.pos;
    let i = start + 1, out = "";
    for (;;) {
      if (i >= src.length) throw new Mismatch("unterminated string");
      const c = src[i];
      if (c === quote) break;
      if (c === "\n" || c === "\r") throw new Mismatch("line break in a string");
      if (c === "\\") {
        const [text, next] = this.#escape(i, false);
        out += text;
        i = next;
        continue;
      }
      out += c;
      i++;
    }
    this.pos = i + 1;
    this.kind = "string";
    this.value = src.slice(start, this.pos);
    this.literal = out;
  }

  /** One escape sequence at `i` (the backslash): its text and where the source goes on. */
  #escape(i: number, template: boolean): [string, number] {
    const src = this.src, c = src[i + 1];
    switch (c) {
      case "n": return ["\n", i + 2];
      case "t": return ["\t", i + 2];
      case "r": return ["\r", i + 2];
      case "b": return ["\b", i + 2];
      case "f": return ["\f", i + 2];
      case "v": return ["\v", i + 2];
      case "\\": case "'": case '"': case "`": case "$": return [c, i + 2];
      case "0":
        if (src[i + 2] >= "0" && src[i + 2] <= "9") throw new GiveUp("octal escape");
        return ["\0", i + 2];
      case "x": {
        const hex = src.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new GiveUp("bad \\x escape");
        return [String.fromCharCode(parseInt(hex, 16)), i + 4];
      }
      case "u": {
        if (src[i + 2] === "{") {
          const end = src.indexOf("}", i + 3), hex = src.slice(i + 3, end);
          if (end < 0 || !/^[0-9a-fA-F]{1,6}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) throw new GiveUp("bad \\u{} escape");
          return [String.fromCodePoint(parseInt(hex, 16)), end + 1];
        }
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new GiveUp("bad \\u escape");
        return [String.fromCharCode(parseInt(hex, 16)), i + 6];
      }
      case "\n":
        if (!template) {
          this.line++;
          this.lineStart = i + 2;
        }
        return ["", i + 2];
    }
    if (c === undefined || c === "\r" || (c >= "1" && c <= "9") || c.charCodeAt(0) > 126) throw new GiveUp("unusual escape");
    return [c, i + 2];
  }

  /**
   * Reads template text after a ` or a substitution's }: `this.literal` its cooked text, `this.value`
   * its raw text, and whether the template ends here (`) or a substitution starts (${).
   */
  templateChunk(): { raw: string; cooked: string; tail: boolean; start: Position; end: Position } {
    const src = this.src, start = this.pos, startPos = this.#here();
    let i = start, cooked = "";
    for (;;) {
      if (i >= src.length) throw new Mismatch("unterminated template");
      const c = src[i];
      if (c === "`" || (c === "$" && src[i + 1] === "{")) break;
      if (c === "\\") {
        if (src[i + 1] === "\n") {
          this.line++;
          this.lineStart = i + 2;
        }
        const [text, next] = this.#escape(i, true);
        cooked += text;
        i = next;
        continue;
      }
      if (c === "\r") throw new GiveUp("carriage return");
      if (c === "\n") {
        this.line++;
        this.lineStart = i + 1;
      }
      cooked += c;
      i++;
    }
    this.pos = i;
    const endPos = this.#here();
    const tail = src[i] === "`";
    this.pos = tail ? i + 1 : i + 2;
    this.end = this.pos;
    this.kind = "punct";
    this.value = tail ? "`" : "${";
    return { raw: src.slice(start, i), cooked, tail, start: startPos, end: endPos };
  }

  /** Re-reads the current `/` or `/=` token as a regular expression. */
  regex(): { pattern: string; flags: string } {
    const src = this.src;
    let i = this.start + 1, inClass = false;
    for (;; i++) {
      const c = src[i];
      if (c === undefined || c === "\n" || c === "\r") throw new Mismatch("unterminated regular expression");
      if (c === "\\") i++;
      else if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "/" && !inClass) break;
    }
    const pattern = src.slice(this.start + 1, i);
    NAME.lastIndex = i + 1;
    const flags = NAME.test(src) ? src.slice(i + 1, NAME.lastIndex) : "";
    if (!/^[dgimsuyv]*$/.test(flags) || new Set(flags).size !== flags.length || (flags.includes("u") && flags.includes("v"))) throw new GiveUp("regular expression flags");
    if (/[^\x20-\x7e]/.test(pattern)) throw new GiveUp("unusual regular expression");
    this.pos = i + 1 + flags.length;
    this.end = this.pos;
    this.kind = "regex";
    this.value = src.slice(this.start, this.pos);
    return { pattern, flags };
  }

  /** Splits a `>>`, `>=`... token in a type into `>` and the rest (`Map<u32, Array<u8>>`). */
  splitGreater(): void {
    this.pos = this.start + 1;
    this.end = this.pos;
    this.value = ">";
  }
}
