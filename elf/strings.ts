/**
 * NUL-terminated strings out of ELF string tables, checked: an offset past the table or a
 * string that runs off its end is an ElfError naming who referred to it.
 */
import { ElfError } from "./error.ts";

// Not fatal: a name with invalid UTF-8 decodes to U+FFFD rather than throwing a TypeError.
const decoder = new TextDecoder("utf-8");

/**
 * What the long names read from one string table may add up to, in bytes, left to spend: every
 * name is scanned to its NUL, and names that start at successive bytes of one long run (a file
 * whose owner chose every byte: a traced user's library, another user's program) would make N
 * names cost N times the run. Real names add up to about their table's size (0.9 to 1.2 times,
 * libc to LLVM's 260,000 symbols: linkers share a string's tail, nothing more), so a few times
 * the size keeps reading linear in the file without refusing any real one. Names shorter than
 * {@link UNCOUNTED_NAME_BYTES} are not counted: one costs little, and many symbols may share one
 * short name (`__cxx_global_var_init` in every C++ file).
 */
export interface NameBudget {
  left: number;
}

export const UNCOUNTED_NAME_BYTES = 256;

/** The budget of long names read from a `size`-byte string table. */
export function nameBudget(size: number): NameBudget {
  return { left: 4 * size + (1 << 20) };
}

/** Takes a name of `length` bytes from `budget` if it is long; an ElfError naming `what` once it is spent. */
export function spendName(budget: NameBudget, length: number, what: string, at: number): void {
  if (length > UNCOUNTED_NAME_BYTES && (budget.left -= length) < 0) {
    throw new ElfError(`Long names up to ${what} add up to more than a few times their string table: they overlap as no linker writes them`, at);
  }
}

/**
 * The string at `off` in the table at file bytes [`start`, `start + size`). `what` names the
 * referrer ("name of symbol 12 in .dynsym") and `at` is the byte offset of the reference; its
 * length is taken from `budget`, the names read from that table so far.
 */
export function tableString(
  bytes: Uint8Array,
  start: number,
  size: number,
  off: number,
  what: string,
  at: number,
  budget: NameBudget,
): string {
  if (off >= size) {
    throw new ElfError(`String offset ${off} for ${what} is past the end of its ${size}-byte string table`, at);
  }
  const from = start + off;
  const end = bytes.indexOf(0, from);
  if (end < 0 || end >= start + size) {
    throw new ElfError(`String for ${what} runs past the end of its string table (no NUL)`, at);
  }
  spendName(budget, end - from, what, at);
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
