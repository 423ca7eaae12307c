import { UserFacingError } from "../spec/user_facing.ts";
/**
 * The one error the BTF module throws. Malformed input (bad magic, truncated sections,
 * out-of-range string offsets or type ids, reference cycles) always surfaces as a
 * `BtfError`, never as a `RangeError` from a typed array, so callers can catch one type.
 *
 * @example
 * ```ts
 * try { Btf.parse(bytes) } catch (e) { if (e instanceof BtfError) console.error(e.message) }
 * ```
 */
export class BtfError extends UserFacingError {
  /** Byte offset into the parsed blob where the problem was found, when it has one. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte offset ${offset})`);
    this.name = "BtfError";
    this.offset = offset;
  }
}
