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
    super(offset === undefined ? message : `${message} (at byte offset ${offset})`);
    this.name = "ElfError";
    this.offset = offset;
  }
}
