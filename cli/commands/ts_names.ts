// TypeScript names for C names: C keeps struct tags, typedefs and enum constants in separate
// namespaces (and vmlinux merges many files, so one name can mean several types), while
// TypeScript has one namespace for types and one for values, and reserves words C allows.

/** Words that cannot name a declaration (reserved words, strict-mode words, predefined types). */
const RESERVED = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null",
  "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with",
  "implements", "interface", "let", "package", "private", "protected", "public", "static", "yield", "await",
  "any", "unknown", "never", "number", "bigint", "boolean", "string", "symbol", "object", "undefined", "intrinsic",
  "arguments", "eval", "NaN", "Infinity", "globalThis",
]);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A property key: bare when it can be, quoted otherwise (reserved words are fine as keys). */
export function propertyKey(name: string): string {
  return isIdentifier(name) ? name : JSON.stringify(name);
}

/**
 * Hands out unique declaration names, deterministically: the first claimant of a name gets it,
 * later ones `name$2`, `name$3`, ...; reserved words and the names the generated file itself
 * declares get a trailing `_` first. Characters C allows in BTF names but TS does not (".isra.0")
 * become `$`.
 */
export class Namer {
  readonly #taken = new Set<string>();
  readonly #extraReserved: Set<string>;

  constructor(extraReserved: Iterable<string> = []) {
    this.#extraReserved = new Set(extraReserved);
  }

  /** Marks a name as used without claiming it through the mangling rules. */
  reserve(name: string): void {
    this.#taken.add(name);
  }

  has(name: string): boolean {
    return this.#taken.has(name);
  }

  claim(desired: string): string {
    let base = desired.replace(/[^A-Za-z0-9_$]/g, "$") || "anon";
    if (/^[0-9]/.test(base)) base = `_${base}`;
    if (RESERVED.has(base) || this.#extraReserved.has(base)) base = `${base}_`;
    let name = base;
    for (let n = 2; this.#taken.has(name); n++) name = `${base}$${n}`;
    this.#taken.add(name);
    return name;
  }
}

/** A parameter name: reserved words get a leading `_`, empty or invalid ones become argN, repeats get their index. */
export function parameterName(name: string, index: number, seen: Set<string>): string {
  let p = isIdentifier(name) ? name : `arg${index}`;
  if (RESERVED.has(p)) p = `_${p}`;
  if (seen.has(p)) p = `${p}${index}`;
  seen.add(p);
  return p;
}
