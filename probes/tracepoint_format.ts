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

/** C integer types (and the kernel's common typedefs of them) by name: their size and sign on x86-64. */
const C_INTEGERS: Record<string, [number, boolean]> = {
  "int": [4, true], "signed int": [4, true], "unsigned int": [4, false], "unsigned": [4, false],
  "short": [2, true], "short int": [2, true], "unsigned short": [2, false], "char": [1, true], "signed char": [1, true], "unsigned char": [1, false],
  "pid_t": [4, true], "uid_t": [4, false], "gid_t": [4, false], "qid_t": [4, false], "umode_t": [2, false], "key_serial_t": [4, true],
  "clockid_t": [4, true], "timer_t": [4, true], "mqd_t": [4, true], "rwf_t": [4, true], "key_t": [4, true], "old_uid_t": [2, false], "old_gid_t": [2, false],
  "u32": [4, false], "u16": [2, false], "u8": [1, false], "s32": [4, true], "s16": [2, true], "s8": [1, true],
  "__u32": [4, false], "__u16": [2, false], "__s32": [4, true],
};

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
    // A syscall's argument is stored in 8 bytes, unsigned, whatever its C type: an `int dfd` of -100
    // is the int in the low 4 bytes (little-endian: at the same offset), read as its type says, as bpftrace reads it.
    const c = kind === "int" ? C_INTEGERS[cType.replace(/^const\s+/, "")] : undefined;
    const narrow = c && c[0] < size ? { size: c[0], signed: c[1] } : { size, signed };
    fields.push({ name, offset, ...narrow, kind, cType, space: user ? "user" : "kernel" });
  }
  return { id: Number(idMatch[1]), fields };
}
