// Parses a tracepoint's format file (tracefs events/<category>/<name>/format) into fields.
import type { ContextField } from "../spec/target.ts";
import { UserFacingError } from "../spec/user_facing.ts";

export interface TracepointFormat {
  id: number;
  fields: ContextField[];
}

export class TracepointFormatError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = "TracepointFormatError";
  }
}

const FIELD = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;

/** `userPointers`: pointers in this tracepoint point to user memory (true for syscalls:*); elsewhere, those declared `__user`. */
export function parseFormat(text: string, userPointers: boolean): TracepointFormat {
  const idMatch = /^ID:\s*(\d+)/m.exec(text);
  if (!idMatch) throw new TracepointFormatError("no ID line");
  const fields: ContextField[] = [];
  for (const line of text.split("\n")) {
    const m = FIELD.exec(line);
    if (!m) continue;
    const decl = m[1].trim();
    const offset = Number(m[2]), size = Number(m[3]), signed = m[4] === "1";
    const nameMatch = /([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?$/.exec(decl);
    if (!nameMatch) throw new TracepointFormatError(`cannot read field "${decl}"`);
    const name = nameMatch[1];
    const cType = decl.slice(0, nameMatch.index).trim() + (nameMatch[2] ?? "");
    let kind: ContextField["kind"] = "int";
    if (cType.startsWith("__data_loc")) kind = "data_loc";
    else if (nameMatch[2]) kind = "array";
    else if (cType.includes("*")) kind = "ptr";
    else if (![1, 2, 4, 8].includes(size)) kind = "array";
    // A pointer the event's declaration marks __user points to user memory, in any category.
    const user = userPointers || /\b__user\b/.test(cType);
    fields.push({ name, offset, size, signed, kind, cType, space: user ? "user" : "kernel" });
  }
  return { id: Number(idMatch[1]), fields };
}
