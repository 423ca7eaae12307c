/**
 * Lookups of a BTF blob's types by name (reader.ts). The first lookups search the string
 * section, decoded once into one JS string, for the name between NULs, then take the types
 * whose name offset is that place (scan.ts records each type's). Only after many lookups is a
 * hash index of every name built: a compile asks for a handful of names, and hashing all ~130k
 * of vmlinux cost a cold start 10-40 ms.
 */
import type { ScannedBlob } from "./scan.ts";

/**
 * Lookups answered by a search before the index is built. A compile asks for 1-7 names in
 * examples/; a search is one native string search (~1 ms over vmlinux's 2.3 MB of strings, once
 * they are one JS string: ~2 ms). Past this many the index pays for itself (a command that looks
 * up every function), so lookups stay linear overall.
 */
export const SEARCHES_BEFORE_INDEX = 16;
const ASCII = /^[\x01-\x7f]*$/;
const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** The names of one blob's own types; for split BTF, `base` reads the offsets below `strBase`. */
export class BtfNames {
  private heads: Int32Array | undefined;
  private next: Int32Array | undefined;
  /** The string section as one JS string, one character per byte; null where that cannot be. */
  private text: string | null | undefined;
  private searches = 0;
  /** Answers of the searches so far, by kind and name (a compile asks for task_struct again and again). */
  private readonly searched = new Map<string, number[]>();

  constructor(
    private readonly blob: ScannedBlob,
    private readonly firstId: number,
    private readonly strBase: number,
    private readonly base: BtfNames | undefined,
  ) {}

  /** Appends the ids of the own types named `name` (of kind number `kind`, or any if -1) to `found`, ascending. */
  find(name: string, kind: number, found: number[]): number[] {
    if (!this.heads && !this.base && this.blob.namesStartStrings && this.searches < SEARCHES_BEFORE_INDEX && ASCII.test(name)) {
      const text = this.text === undefined ? (this.text = byteText(this.blob.strs)) : this.text;
      if (text !== null) {
        const key = `${kind} ${name}`;
        let ids = this.searched.get(key);
        if (!ids) {
          this.searches++;
          this.searched.set(key, ids = this.search(text, name, kind));
        }
        found.push(...ids);
        return found;
      }
    }
    const heads = this.heads ?? this.buildIndex();
    const next = this.next!;
    const { words, index } = this.blob;
    const want = encoder.encode(name);
    for (let i = heads[hashBytes(want) & (heads.length - 1)]; i >= 0; i = next[i]) {
      const p = index[i];
      if (kind >= 0 && ((words[p + 1] >>> 24) & 0x1f) !== kind) continue;
      if (this.equals(words[p], want)) found.push(this.firstId + i);
    }
    return found;
  }

  /** Appends the ids of the own types of kind number `kind` whose names start with `prefix`, decoding none. */
  withPrefix(prefix: string, kind: number, found: number[]): number[] {
    const want = encoder.encode(prefix);
    const { words, index } = this.blob;
    for (let i = 0; i < index.length; i++) {
      const p = index[i];
      if (((words[p + 1] >>> 24) & 0x1f) === kind && this.startsWith(words[p], want)) found.push(this.firstId + i);
    }
    return found;
  }

  /** How many names the hash index holds (0 before it is built). */
  get indexed(): number {
    return this.heads ? this.blob.index.length : 0;
  }

  /** Whether the string at `offset` is `want`. */
  equals(offset: number, want: Uint8Array): boolean {
    return this.startsWith(offset, want) && this.byteAt(offset + want.length) === 0;
  }

  private startsWith(offset: number, want: Uint8Array): boolean {
    if (offset < this.strBase) return this.base!.startsWith(offset, want);
    const s = this.blob.strs;
    const p = offset - this.strBase;
    if (p + want.length >= s.length) return false;
    for (let i = 0; i < want.length; i++) if (s[p + i] !== want[i]) return false;
    return true;
  }

  private byteAt(offset: number): number {
    return offset < this.strBase ? this.base!.byteAt(offset) : this.blob.strs[offset - this.strBase];
  }

  /** Each place `name` stands between NULs, then the types named there. */
  private search(text: string, name: string, kind: number): number[] {
    const { words, index, names } = this.blob;
    const needle = `\0${name}\0`;
    const found: number[] = [];
    let places = 0;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1), places++) {
      for (let i = names.indexOf(at + 1); i >= 0; i = names.indexOf(at + 1, i + 1)) {
        if (kind < 0 || ((words[index[i] + 1] >>> 24) & 0x1f) === kind) found.push(this.firstId + i);
      }
    }
    // The same name stored twice (strings not deduplicated): ids from both, in ascending order.
    return places > 1 ? found.sort((a, b) => a - b) : found;
  }

  private buildIndex(): Int32Array {
    this.text = null;
    this.searched.clear();
    const { names } = this.blob;
    const count = names.length;
    let cap = 16;
    while (cap < count * 2) cap *= 2;
    const heads = new Int32Array(cap).fill(-1);
    const next = new Int32Array(count);
    const mask = cap - 1;
    // Walk backwards so each chain lists ids in ascending order.
    for (let i = count - 1; i >= 0; i--) {
      const off = names[i];
      if (off === 0) {
        next[i] = -1;
        continue;
      }
      const slot = this.hash(off) & mask;
      next[i] = heads[slot];
      heads[slot] = i;
    }
    this.next = next;
    return (this.heads = heads);
  }

  /** FNV-1a of the NUL-terminated string at `offset` (the string section is known to end in NUL). */
  private hash(offset: number): number {
    if (offset < this.strBase) return this.base!.hash(offset);
    const s = this.blob.strs;
    let h = 0x811c9dc5;
    for (let p = offset - this.strBase, c = s[p]; c !== 0; c = s[++p]) h = Math.imul(h ^ c, 0x01000193);
    return h >>> 0;
  }
}

function hashBytes(s: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let p = 0; p < s.length; p++) h = Math.imul(h ^ s[p], 0x01000193);
  return h >>> 0;
}

/** The bytes as a string of one character per byte, so that offsets carry over; else null. */
function byteText(bytes: Uint8Array): string | null {
  const text = decoder.decode(bytes);
  // UTF-8 never decodes to more characters than bytes, and any sequence of two or more bytes
  // to fewer: as many means one each (a stray byte becomes U+FFFD, which no ASCII name holds).
  return text.length === bytes.length ? text : null;
}
