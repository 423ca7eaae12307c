// Scanning a bpftrace program's text for the translation (cli/oneliner/bpftrace_syntax.ts):
// brackets, strings and arguments, and the error that stops a translation where it is.

/** What stops the translation; `near`, the text it is about (a builtin's name, a probe spec), to point at. */
export class Untranslatable extends Error {
  /** Where to look for `near` from: the start of the probe block it is in. */
  from?: number;
  constructor(message: string, readonly near?: string) {
    super(message);
  }
}

/** The index of the bracket that closes the one at `open` (strings skipped). */
export function closing(text: string, open: number, left = "{", right = "}"): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i);
    else if (c === left) depth++;
    else if (c === right && --depth === 0) return i;
  }
  throw new Untranslatable(`a ${left} has no closing ${right}`);
}

/** A call's arguments, split at the commas outside brackets and strings. */
export function splitArguments(text: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = stringEnd(text, i);
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === "," && depth === 0) (out.push(text.slice(start, i)), (start = i + 1));
  }
  out.push(text.slice(start));
  return out.map((x) => x.trim());
}

export function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}

export function untranslatable(what: string, near?: string): never {
  throw new Untranslatable(what, near);
}
