/**
 * NUL-terminated strings out of ELF string tables, checked: an offset past the table or a
 * string that runs off its end is an ElfError naming who referred to it.
 */
import { ElfError } from "./error.ts";

// Not fatal: a name with invalid UTF-8 decodes to U+FFFD rather than throwing a TypeError.
const decoder = new TextDecoder("utf-8");

/**
 * The string at `off` in the table at file bytes [`start`, `start + size`). `what` names the
 * referrer ("name of symbol 12 in .dynsym") and `at` is the byte offset of the reference.
 */
export function tableString(
  bytes: Uint8Array,
  start: number,
  size: number,
  off: number,
  what: string,
  at: number,
): string {
  if (off >= size) {
    throw new ElfError(`String offset ${off} for ${what} is past the end of its ${size}-byte string table`, at);
  }
  const from = start + off;
  const end = bytes.indexOf(0, from);
  if (end < 0 || end >= start + size) {
    throw new ElfError(`String for ${what} runs past the end of its string table (no NUL)`, at);
  }
  return decodeString(bytes, from, end);
}

/**
 * Decodes bytes [from, end). Symbol names are almost always short ASCII, which a char-code
 * loop turns into a string several times faster than TextDecoder; anything else (non-ASCII,
 * or long C++ names where a loop of concatenations stops paying) goes to the decoder.
 */
export function decodeString(bytes: Uint8Array, from: number, end: number): string {
  if (end - from > 96) return decoder.decode(bytes.subarray(from, end));
  let s = "";
  for (let i = from; i < end; i++) {
    const b = bytes[i];
    if (b >= 0x80) return decoder.decode(bytes.subarray(from, end));
    s += String.fromCharCode(b);
  }
  return s;
}
