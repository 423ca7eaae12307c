/**
 * The validating first pass of the BTF reader: checks the header and the section bounds, then
 * walks the type section once, recording where each type starts and checking that every
 * record fits, every kind is known, and each type's own name and the type ids of its fixed part
 * are in range. After this, decoding any type cannot read out of bounds. The entries of a record
 * (members, enum values, parameters, variables: most of vmlinux's words) are checked where the
 * type is decoded (reader.ts): a cold start decodes a few hundred of ~130k types.
 */
import { BtfError } from "./error.ts";
import { BTF_HEADER_LEN, BTF_MAGIC, BTF_VERSION, Kind, KIND_NAMES } from "./types.ts";

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A checked blob: the type section as words, each type's word offset, the string section. */
export interface ScannedBlob {
  words: Uint32Array;
  index: Uint32Array;
  /** Each type's name offset (index order), for lookups by name that search the strings. */
  names: Uint32Array;
  /** Every name starts a string of the blob's own (after a NUL): true of vmlinux as pahole writes it. */
  namesStartStrings: boolean;
  strs: Uint8Array;
}

/** What split BTF needs of its base: where its type ids and string offsets end. */
export interface BaseExtent {
  typeCount: number;
  strEnd: number;
}

export function scanBlob(bytes: Uint8Array, base: BaseExtent | undefined): ScannedBlob {
  const n = bytes.length;
  if (n < BTF_HEADER_LEN) {
    throw new BtfError(`BTF blob is ${n} bytes, shorter than its ${BTF_HEADER_LEN}-byte header`, 0);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  const magic = dv.getUint16(0, true);
  if (magic !== BTF_MAGIC) {
    const why = magic === 0x9feb ? "big-endian BTF is not supported" : "not BTF";
    throw new BtfError(`Bad BTF magic 0x${hex(magic)}, expected 0x${hex(BTF_MAGIC)}: ${why}`, 0);
  }
  if (bytes[2] !== BTF_VERSION) {
    throw new BtfError(`Unsupported BTF version ${bytes[2]}, expected ${BTF_VERSION}`, 2);
  }
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < BTF_HEADER_LEN || hdrLen > n) {
    throw new BtfError(`BTF header length ${hdrLen} is outside ${BTF_HEADER_LEN}..${n}`, 4);
  }
  // A newer kernel may append header fields; like the kernel, accept them only when zero.
  for (let i = BTF_HEADER_LEN; i < hdrLen; i++) {
    if (bytes[i] !== 0) throw new BtfError(`Unknown BTF header extension is not zero`, i);
  }
  const typeOff = dv.getUint32(8, true);
  const typeLen = dv.getUint32(12, true);
  const strOff = dv.getUint32(16, true);
  const strLen = dv.getUint32(20, true);
  const dataLen = n - hdrLen;
  if (typeOff % 4 !== 0 || typeLen % 4 !== 0) {
    throw new BtfError(`Type section (offset ${typeOff}, length ${typeLen}) is not 4-byte aligned`, 8);
  }
  if (typeOff + typeLen > dataLen) {
    throw new BtfError(
      `Type section (offset ${typeOff}, length ${typeLen}) runs past the end of the ${dataLen} data bytes: truncated`,
      12,
    );
  }
  if (strOff + strLen > dataLen) {
    throw new BtfError(
      `String section (offset ${strOff}, length ${strLen}) runs past the end of the ${dataLen} data bytes: truncated`,
      20,
    );
  }
  if (typeLen > 0 && strLen > 0 && typeOff < strOff + strLen && strOff < typeOff + typeLen) {
    throw new BtfError(`Type and string sections overlap`, 16);
  }
  const strStart = hdrLen + strOff;
  const strs = bytes.subarray(strStart, strStart + strLen);
  // Offset 0 must be "" in vmlinux BTF; split BTF may have no strings of its own.
  if (!base && (strLen === 0 || strs[0] !== 0)) {
    throw new BtfError(`String section must start with an empty string`, strStart);
  }
  if (strLen > 0 && strs[strLen - 1] !== 0) {
    throw new BtfError(`String section does not end with a NUL byte`, strStart + strLen - 1);
  }

  const typeStart = hdrLen + typeOff;
  const words = wordsOf(bytes, dv, typeStart, typeLen);
  const strEnd = (base ? base.strEnd : 0) + strLen;
  const { index, names, namesStartStrings } = indexTypes(words, typeStart, strEnd, base ? base.typeCount : 1, base ? undefined : strs);
  return { words, index, names, namesStartStrings, strs };
}

/**
 * The type section as 32-bit words. A view when the bytes are 4-byte aligned and the host is
 * little-endian (every BPF host we run on); otherwise a copy.
 */
function wordsOf(bytes: Uint8Array, dv: DataView, start: number, len: number): Uint32Array {
  if (HOST_LITTLE_ENDIAN && (bytes.byteOffset + start) % 4 === 0) {
    return new Uint32Array(bytes.buffer, bytes.byteOffset + start, len / 4);
  }
  const words = new Uint32Array(len / 4);
  for (let i = 0; i < words.length; i++) words[i] = dv.getUint32(start + 4 * i, true);
  return words;
}

// Per kind (index = numeric kind), the record layout after the 12-byte common header:
// words of fixed extra data, words per vlen entry, and whether word 2 is a type id. A zero
// FIXED marks a kind we do not know, whose length we therefore cannot know either.
//                                 ?  INT PTR ARR STR UNI ENU FWD TDF VOL CON RES FUN PRO VAR SEC FLT DTG TTG E64
const FIXED = new Uint8Array([    0,  4,  3,  6,  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,  4,  3,  3,  4,  3,  3]);
const PER_VLEN = new Uint8Array([ 0,  0,  0,  0,  3,  3,  2,  0,  0,  0,  0,  0,  0,  2,  0,  3,  0,  0,  0,  3]);
const REF = new Uint8Array([      0,  0,  1,  0,  0,  0,  0,  0,  1,  1,  1,  1,  1,  1,  1,  0,  0,  1,  1,  0]);

/**
 * One pass over the type section: records each type's word offset and name, and checks that
 * every record fits, every kind is known, and the type's name and fixed type ids are in range.
 * `at` is the byte offset of the section in the blob, for error messages. With `strs` (a blob
 * whose strings are all its own), also whether every name begins a string.
 */
function indexTypes(w: Uint32Array, at: number, strEnd: number, firstId: number, strs: Uint8Array | undefined) {
  const n = w.length;
  // Every record is at least 3 words, which bounds the number of types.
  const index = new Uint32Array(Math.floor(n / 3));
  const names = new Uint32Array(index.length);
  let namesStartStrings = strs !== undefined;
  let count = 0;
  let maxRef = 0;
  let maxRefAt = 0;
  let p = 0;
  while (p < n) {
    if (p + 3 > n) throw new BtfError(`Type ${firstId + count} is truncated`, at + 4 * p);
    const info = w[p + 1];
    const kind = (info >>> 24) & 0x1f;
    const fixed = kind < FIXED.length ? FIXED[kind] : 0;
    if (fixed === 0) {
      throw new BtfError(`Type ${firstId + count} has unknown kind ${kind}`, at + 4 * p + 4);
    }
    const per = PER_VLEN[kind];
    const end = p + fixed + per * (info & 0xffff);
    if (end > n) throw new BtfError(`Type ${firstId + count} (${KIND_NAMES[kind]}) is truncated`, at + 4 * p);
    if (w[p] >= strEnd) {
      throw new BtfError(`String offset ${w[p]} of type ${firstId + count} is out of range (0..${strEnd - 1})`, at + 4 * p);
    }
    if (REF[kind] === 1 && w[p + 2] > maxRef) (maxRef = w[p + 2]), (maxRefAt = p + 2);
    if (kind === Kind.ARRAY) {
      if (w[p + 3] > maxRef) (maxRef = w[p + 3]), (maxRefAt = p + 3);
      if (w[p + 4] > maxRef) (maxRef = w[p + 4]), (maxRefAt = p + 4);
    }
    // A name may point into the middle of another string ("struct" inside "task_struct").
    if (namesStartStrings && w[p] !== 0 && strs![w[p] - 1] !== 0) namesStartStrings = false;
    names[count] = w[p];
    index[count++] = p;
    p = end;
  }
  if (maxRef >= firstId + count) {
    throw new BtfError(`Type id ${maxRef} is out of range (0..${firstId + count - 1})`, at + 4 * maxRefAt);
  }
  return { index: index.subarray(0, count), names: names.subarray(0, count), namesStartStrings };
}

function hex(n: number): string {
  return n.toString(16).padStart(4, "0");
}
