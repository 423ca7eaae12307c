// Kernel strings are bytes, not always UTF-8: any user can name a process (comm) or a file with
// bytes that are not. TextDecoder turns every such byte into U+FFFD, so two different names
// became one string, one map key and, at /metrics, two series with the same labels (which makes
// Prometheus reject the whole scrape). Here a byte that is not part of valid UTF-8 becomes the
// lone surrogate U+DC80 + (byte - 0x80), as Python's "surrogateescape" does: valid UTF-8 never
// decodes to a lone surrogate, so different bytes stay different strings, and encoding gives
// the same bytes back. Where text leaves the process, showBytes() writes those bytes as \xNN.

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** The first byte of an escaped byte: 0x80 → U+DC80 ... 0xff → U+DCFF. */
const ESCAPE = 0xdc00;

/** Valid UTF-8 as TextDecoder decodes it; each other byte as U+DC80..U+DCFF. */
export function decodeBytes(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return decodeEscaping(bytes);
  }
}

function decodeEscaping(bytes: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      units.push(ESCAPE + bytes[i]);
      i++;
      continue;
    }
    let cp = n === 1 ? bytes[i] : bytes[i] & (0xff >> (n + 1));
    for (let j = 1; j < n; j++) cp = (cp << 6) | (bytes[i + j] & 0x3f);
    if (cp > 0xffff) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    i += n;
  }
  let s = "";
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}

/** The length of the well-formed UTF-8 sequence at `i` (Unicode's table 3-7), 0 when there is none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number, low = 0x80, high = 0xbf) => i + k < b.length && b[i + k] >= low && b[i + k] <= high;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const low = c === 0xe0 ? 0xa0 : 0x80, high = c === 0xed ? 0x9f : 0xbf;
    return cont(1, low, high) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const low = c === 0xf0 ? 0x90 : 0x80, high = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, low, high) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The bytes decodeBytes() read: U+DC80..U+DCFF back to single bytes, the rest as UTF-8. */
export function encodeBytes(s: string): Uint8Array {
  if (s.isWellFormed()) return utf8Encoder.encode(s);
  const out: number[] = [];
  for (const ch of s) {
    const u = ch.charCodeAt(0);
    if (ch.length === 1 && u >= ESCAPE + 0x80 && u <= ESCAPE + 0xff) out.push(u - ESCAPE);
    else out.push(...utf8Encoder.encode(ch));
  }
  return new Uint8Array(out);
}

/**
 * `s` for a reader: each byte decodeBytes() escaped as \xNN, other lone surrogates (from
 * JavaScript strings) as \uXXXX. Only strings that are not well-formed change.
 */
export function showBytes(s: string): string {
  if (s.isWellFormed()) return s;
  return s.replace(/[\ud800-\udfff]/gu, (c) => {
    const u = c.charCodeAt(0);
    return u >= ESCAPE + 0x80 && u <= ESCAPE + 0xff ? `\\x${(u - ESCAPE).toString(16)}` : `\\u${u.toString(16)}`;
  });
}
