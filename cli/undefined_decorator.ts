// A decorator whose name is not defined (`@tracpoint(...)`, or `@kprobe` not imported) throws a
// ReferenceError while its class is being defined: no code of tsbpf's runs for that class, and
// Deno places the error at the module's first line. Once the script has failed, its source
// says where the decorator is written and which of tsbpf's it may have meant; nothing is read
// before that, so a script that starts pays nothing for this.
import { PROBE_DECORATORS } from "../compiler/probe_decorators.ts";
import { closest } from "../spec/diagnostics.ts";
import { readTextFile } from "../runtime/files.ts";

const DECORATORS = Object.keys(PROBE_DECORATORS);

/**
 * "file:line:col: @name is not defined: did you mean @other?" for a ReferenceError thrown at
 * `where` (the script's frame, path:line:col) by a decorator in that file; undefined otherwise.
 */
export function describeUndefinedDecorator(e: Error, where: string | undefined): string | undefined {
  const name = e.name === "ReferenceError" ? /^(?:([\w$]+) is not defined|Can't find variable: ([\w$]+))$/.exec(e.message) : null;
  const at = where && /^(\/.*):(\d+):\d+$/.exec(where);
  if (!name || !at) return undefined;
  const identifier = name[1] ?? name[2];
  let source: string | undefined;
  try {
    source = readTextFile(at[1]);
  } catch {
    return undefined;
  }
  const place = decoratorPlace(source ?? "", identifier, Number(at[2]));
  if (!place) return undefined;
  const what = DECORATORS.includes(identifier)
    ? `is not imported: add it to the import from "tsbpf"`
    : `is not defined: ${suggestion(identifier)}`;
  return `${at[1]}:${place.line}:${place.column}: @${identifier} ${what}`;
}

function suggestion(identifier: string): string {
  const near = closest(identifier, DECORATORS);
  if (near.length) return `did you mean ${near.map((n) => `@${n}`).join(" or ")}?`;
  return `tsbpf's decorators are ${DECORATORS.map((n) => `@${n}`).join(", ")}`;
}

/** Where `@identifier` is written: on `line` if it is there (Bun's report), else its first use. */
function decoratorPlace(source: string, identifier: string, line: number): { line: number; column: number } | undefined {
  const pattern = new RegExp(`(?<![\\w$.@])@${identifier.replace(/\$/g, "\\$")}(?![\\w$])`, "g");
  const lines = source.split("\n");
  let first: { line: number; column: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    pattern.lastIndex = 0;
    const m = pattern.exec(lines[i]);
    if (!m) continue;
    const place = { line: i + 1, column: m.index + 1 };
    if (place.line === line) return place;
    first ??= place;
  }
  return first;
}
