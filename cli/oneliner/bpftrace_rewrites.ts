// bpftrace's values rewritten into tsbpf's before an expression is translated token by token
// (cli/oneliner/bpftrace_syntax.ts): str(p, n)'s length, casts, strncmp() == 0, and the tuples
// that have no translation.
import { closing, splitArguments, stringEnd, untranslatable } from "./bpftrace_text.ts";

/**
 * bpftrace's `str(p, n)` as tsbpf's: bpftrace 0.17 keeps n characters (`str(p, 8)` prints 8 of a
 * longer string, past its own cap of BPFTRACE_STRLEN - 1 = 63), tsbpf's length counts the NUL too:
 * n + 1. A length that is not a number has no tsbpf form (its str() reads a fixed size).
 */
export function strLengths(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      i = stringEnd(text, i);
      continue;
    }
    const call = /^str\s*\(/.exec(text.slice(i));
    if (!call || /[\w$.]/.test(text[i - 1] ?? "")) continue;
    const open = i + call[0].length - 1;
    const close = closing(text, open, "(", ")");
    const args = splitArguments(text.slice(open + 1, close)).map(strLengths);
    if (args.length === 2) {
      if (!/^\d+$/.test(args[1]) || Number(args[1]) < 1 || Number(args[1]) > 4095) {
        untranslatable(`str(${args.join(", ")}): tsbpf's str() reads a fixed number of bytes, up to the NUL: give the most to read as a number from 1 to 4095, e.g. str(${args[0]}, 64)`, "str");
      }
      args[1] = String(Number(args[1]) + 1);
    }
    out += `${text.slice(from, i)}str(${args.join(", ")})`;
    from = close + 1;
    i = close;
  }
  return out + text.slice(from);
}

/** bpftrace's integer casts, `(uint8)x`: tsbpf's `(x as u8)` (in a handler it wraps as C does). */
const CAST = /\(\s*(u?)int(8|16|32|64)\s*\)\s*/g;

export function casts(text: string, userSpace: string | undefined): string {
  for (let m = CAST.exec(text); m; m = CAST.exec(text)) {
    if (text[m.index - 1] !== undefined && /[\w$)\]]/.test(text.slice(0, m.index).trimEnd().at(-1) ?? "")) continue; // a call's (int8)
    const at = m.index + m[0].length, end = operandEnd(text, at);
    if (end === at) continue;
    const type = `${m[1] ? "u" : "i"}${m[2]}`;
    if (userSpace) untranslatable(`the cast (${m[1]}int${m[2]}) in ${userSpace}: tsbpf runs BEGIN, END and interval in user space, where numbers are JavaScript's; cast in a probe`, `${m[1]}int${m[2]}`);
    text = `${text.slice(0, m.index)}(${text.slice(at, end)} as ${type})${text.slice(end)}`;
    CAST.lastIndex = m.index;
  }
  return text;
}

/** Where the operand starting at `i` ends: a bracket, or a name or number with its ->fields, .fields, calls and indexes. */
function operandEnd(text: string, i: number): number {
  if (text[i] === "(") return closing(text, i, "(", ")") + 1;
  if (text[i] === "-" || text[i] === "~" || text[i] === "!") return operandEnd(text, i + 1) === i + 1 ? i : operandEnd(text, i + 1);
  const name = /^[@$]?\w+/.exec(text.slice(i));
  if (!name) return i;
  let end = i + name[0].length;
  for (;;) {
    const field = /^\s*(?:->|\.)\s*\w+/.exec(text.slice(end));
    if (field) end += field[0].length;
    else if (text[end] === "(") end = closing(text, end, "(", ")") + 1;
    else if (text[end] === "[") end = closing(text, end, "[", "]") + 1;
    else return end;
  }
}

/**
 * bpftrace's tuples, `(a, b)`: a bracket that is no call's, holding a comma. As TypeScript they
 * would be comma expressions, the last value alone (print(("a", 1)) printing 1), so they are named.
 */
export function rejectTuples(text: string): void {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') i = stringEnd(text, i);
    else if (text[i] === "(" && !/[\w$)\]]/.test(text.slice(0, i).trimEnd().at(-1) ?? "")) {
      const close = closing(text, i, "(", ")");
      const parts = splitArguments(text.slice(i + 1, close));
      if (parts.length > 1) untranslatable(`the tuple (${parts.join(", ")}): tsbpf has tuples only as map keys (@m[a, b] is $.m[a, b]); print the parts, e.g. printf("(%s, %d)\\n", a, b)`, "(");
    }
  }
}

/** A string operand of strncmp: a name, maybe called or with fields (comm, str(args.filename), args->comm). */
const OPERAND = String.raw`[A-Za-z_$@][\w$]*(?:\([^()]*\))?(?:(?:\.|->)\w+)*`;
const LITERAL = String.raw`"(?:[^"\\]|\\.)*"`;
const STRNCMP = new RegExp(String.raw`strncmp\(\s*(?:(${OPERAND})\s*,\s*(${LITERAL})|(${LITERAL})\s*,\s*(${OPERAND}))\s*,\s*(\d+)\s*\)\s*(==|!=)\s*0\b`, "g");

/**
 * bpftrace's `strncmp(s, "lit", n) == 0` (or != 0) as tsbpf compares strings: a prefix test,
 * s.startsWith("lit" cut to n bytes), or equality when n reaches past the literal's NUL.
 */
export function strncmpAsPrefix(text: string): string {
  return text.replace(STRNCMP, (_all, s1, lit1, lit2, s2, n, op) => {
    const operand = s1 ?? s2, literal: string = JSON.parse(lit1 ?? lit2);
    const bytes = new TextEncoder().encode(literal);
    const test = Number(n) > bytes.length ? `${operand} == ${JSON.stringify(literal)}` : `(${operand}).startsWith(${JSON.stringify(new TextDecoder().decode(bytes.slice(0, Number(n))))})`;
    return op === "==" ? `(${test})` : `!(${test})`;
  });
}
