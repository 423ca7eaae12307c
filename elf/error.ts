import { UserFacingError } from "../spec/user_facing.ts";
/**
 * The one error the ELF module throws. Malformed input (bad magic, truncated headers, tables
 * or sections outside the file, bad string offsets, broken notes) always surfaces as an
 * `ElfError`, never as a `RangeError` from a typed array, so callers can catch one type.
 *
 * @example
 * ```ts
 * try { Elf.parse(bytes) } catch (e) { if (e instanceof ElfError) console.error(e.message) }
 * ```
 */
export class ElfError extends UserFacingError {
  /** Byte offset into the parsed file where the problem was found, when it has one. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number) {
    super(oneLine(offset === undefined ? message : `${message} (at byte offset ${offset})`));
    this.name = "ElfError";
    this.offset = offset;
  }
}

/**
 * The message with its control characters as \xNN (line breaks among them): it is one line, and
 * what it quotes from the file (a section's name, a USDT probe's name or argument) is the file's
 * writer's to choose, another user's: a section named "x\nFORGE" printed, in root's tsbpf list, a
 * line of their text (tests/security/name_line_breaks.test.ts).
 */
function oneLine(message: string): string {
  return message.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
}
