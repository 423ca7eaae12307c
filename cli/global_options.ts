// The options every tsbpf command shares (-p, -c, -d, -e, --verbose), "options up to the first
// positional" for commands whose first positional is followed by someone else's arguments
// (`tsbpf run script.ts -x 5`), and the parsers of option values.
//
// node:util's parseArgs does the parsing, loaded only when the command line is not one of the
// plain forms simpleSplit reads: node:util costs Bun ≈ 3 ms and Deno ≈ 8 ms of a one-liner's
// start (Deno loads its Node layer for it), which is the whole budget of a warm `tsbpf -e`.
// tests/unit/cli_args.test.ts checks that both give the same answer.
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "./errors.ts";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Options accepted before any command, and again by `run`. */
export const GLOBAL_OPTIONS = {
  eval: { type: "string", short: "e" },
  pid: { type: "string", short: "p" },
  command: { type: "string", short: "c" },
  duration: { type: "string", short: "d" },
  cgroup: { type: "string" },
  metrics: { type: "string" },
  stats: { type: "boolean" },
  pin: { type: "string" },
  emit: { type: "boolean" },
  verbose: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies OptionSpec;

/** bpftrace's options that tsbpf spells otherwise, for the error about them. */
const BPFTRACE_OPTIONS: Record<string, string> = {
  "-l": "tsbpf list 'PATTERN', -v for the arguments",
  "-f": "--json for JSON lines",
  "-v": "--verbose",
  "-o": "redirect stdout: tsbpf ... > FILE",
  "-B": "output is line-buffered already",
};

export type Values = Record<string, string | boolean | undefined>;

export interface Split {
  values: Values;
  /** The first positional argument, if any. */
  first?: string;
  /** Everything after it, untouched. */
  rest: string[];
}

/**
 * Parses options until the first positional argument; what follows it is returned as is.
 * Unknown options and options missing their value are usage errors.
 */
export async function parseUntilPositional(args: string[], options: OptionSpec, command?: string): Promise<Split> {
  return simpleSplit(args, options) ?? await parseArgsSplit(args, options, command);
}

/** parseUntilPositional's split by node:util's parseArgs, loaded only for the forms simpleSplit leaves. */
export async function parseArgsSplit(args: string[], options: OptionSpec, command?: string): Promise<Split> {
  const { parseArgs } = await import("node:util");
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values: Values = {};
  for (const t of tokens) {
    if (t.kind === "positional") return { values, first: t.value, rest: args.slice(t.index + 1) };
    if (t.kind === "option-terminator") {
      const after = args.slice(t.index + 1);
      return { values, first: after[0], rest: after.slice(1) };
    }
    const spec = options[t.name];
    if (!spec) throw new UsageError(`unknown option ${t.rawName}${!command && BPFTRACE_OPTIONS[t.rawName] ? ` (bpftrace's; in tsbpf: ${BPFTRACE_OPTIONS[t.rawName]})` : ""}`, command);
    if (spec.type === "string") {
      if (t.value === undefined) throw new UsageError(`option ${t.rawName} needs a value`, command);
      values[t.name] = t.value;
    } else {
      if (t.inlineValue) throw new UsageError(`option ${t.rawName} takes no value`, command);
      values[t.name] = true;
    }
  }
  return { values, rest: [] };
}

/**
 * The same split as parseArgs gives, for command lines made only of `--name`, `--name value`,
 * `--name=value` and `-x` / `-x value` with known names, values that do not start with "-",
 * up to the first positional; undefined for anything else (parseArgs then decides).
 */
export function simpleSplit(args: string[], options: OptionSpec): Split | undefined {
  const short = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name]] : [])));
  const values: Values = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-") || arg === "-") return { values, first: arg, rest: args.slice(i + 1) };
    const long = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    const name = long ? long[1] : /^-([a-zA-Z])$/.exec(arg) ? short.get(arg[1]) : undefined;
    const spec = name === undefined || !Object.hasOwn(options, name) ? undefined : options[name];
    if (!spec) return undefined;
    if (spec.type === "boolean") {
      if (long?.[2] !== undefined) return undefined;
      values[name!] = true;
    } else if (long?.[2] !== undefined) {
      values[name!] = long[2];
    } else {
      const value = args[i + 1];
      if (value === undefined || value.startsWith("-")) return undefined;
      values[name!] = value;
      i++;
    }
  }
  return { values, rest: [] };
}

/** A process id: a positive integer. */
export function parsePid(text: string): number {
  if (!/^[1-9]\d*$/.test(text) || Number(text) > 0x3fffff) throw new UsageError(`-p needs a process id, got "${text}"`);
  return Number(text);
}

/** The longest -d: a year (without -d a tracer runs until it is stopped). */
export const MAX_DURATION_MS = 365 * 24 * 3_600_000;

/** "5" (seconds), "1.5s", "500ms", "2m", "3h" in milliseconds, or undefined when `text` is not a duration. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return Math.round(Number(m[1]) * scale);
}

/** A duration in milliseconds: "5" (seconds), "1.5s", "500ms", "2m", "3h"; from 1 ms to a year. */
export function parseDuration(text: string, option = "-d"): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UsageError(`${option} needs a duration like 5, 1.5s, 500ms, 2m or 3h, got "${text}"`);
  if (ms < 1) throw new UsageError(`${option} needs a duration of at least 1ms, got "${text}"`);
  if (ms > MAX_DURATION_MS) throw new UsageError(`${option} needs a duration of at most a year (8760h), got "${text}"`);
  return ms;
}

/**
 * Splits a command like a shell would for a simple command line: whitespace separates words,
 * single quotes keep everything, double quotes keep everything but backslash escapes, and a
 * backslash outside quotes escapes the next character. No variables, globs, ~ or pipes: -c runs
 * one program, so that its process id is the one traced; a shell's operator or expansion is
 * refused rather than passed to the program as a word (`ls | wc` would give ls the words | and wc).
 */
export function splitCommand(text: string): string[] {
  const shellOnly = (c: string, meaning = "as a word, not as the shell's") => {
    throw new UsageError(`-c runs one program without a shell: "${c}" in "${text}" would reach it ${meaning}; ` +
      `quote it ('${c}') to pass it as a word, or run a shell: -c "sh -c '...'" (the shell and what it starts are traced)`);
  };
  // What a shell expands or skips in an unquoted word (a tilde or # only at the word's start, [ only with its ]).
  const unexpanded = (at: number, inWord: boolean): string | undefined => {
    const c = text[at];
    if (c === "~" && !inWord) return "as it is, where a shell would expand it to a home directory";
    if ((c === "*" || c === "?") || (c === "[" && /^\[[^\s\]]*\]/.test(text.slice(at)))) return "as it is, where a shell would expand it to the files it matches";
    if (c === "#" && !inWord) return "as a word, where a shell would read it and the rest of the line as a comment";
    return undefined;
  };
  // A shell expands $ only before a name, a digit, { or ( or a special parameter; else $ is itself ("root$").
  const expansionAt = (at: number): string | undefined => {
    const m = /^\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]|[{(])/.exec(text.slice(at));
    return m?.[0];
  };
  const words: string[] = [];
  let word = "", inWord = false, i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "", inWord = false, i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`-c: unterminated ' in "${text}"`);
      word += text.slice(i + 1, end), inWord = true, i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) i++;
        else if (text[i] === "`") shellOnly(text[i]);
        else if (text[i] === "$" && expansionAt(i)) shellOnly(expansionAt(i)!);
        word += text[i++];
      }
      if (i >= text.length) throw new UsageError(`-c: unterminated " in "${text}"`);
      inWord = true, i++;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[i + 1], inWord = true, i += 2;
    } else if ("|;&<>`".includes(c) || (c === "$" && expansionAt(i))) {
      shellOnly(c === "$" ? expansionAt(i)! : c);
    } else if (unexpanded(i, inWord)) {
      shellOnly(c, unexpanded(i, inWord));
    } else {
      word += c, inWord = true, i++;
    }
  }
  if (inWord) words.push(word);
  if (!words.length) throw new UsageError(`-c needs a command to run`);
  return words;
}
