/**
 * Kernel addresses to function names, from /proc/kallsyms: vmlinux, modules (`[ext4]`) and
 * BPF programs (`[bpf]`). Reading and indexing the file costs tens of milliseconds, so it
 * happens once, on the first lookup, and every later lookup is a binary search.
 *
 * kallsyms lists no sizes, so an address belongs to the nearest symbol at or below it (as in
 * bcc and perf). Only text symbols (t, T, w, W) are kept: a stack holds code addresses, and
 * data symbols in between would only steal them.
 *
 * Needs `await libc()` before the first lookup (the file is read through libc, so that Deno
 * needs only --allow-ffi).
 *
 * @example
 * ```ts
 * const k = kernelSymbols();
 * formatFrame(k.symbolize(k.lookup("vfs_read")! + 5n));   // "vfs_read+0x5"
 * ```
 */
import { readFileBytes } from "../files.ts";
import { type Frame, unknownFrame } from "./frame.ts";
import { lastAtOrBelow } from "../../elf/address_search.ts";

/** Symbols sorted by address, their names kept as positions in the file's bytes. */
export interface KallsymsIndex {
  bytes: Uint8Array;
  /** Start addresses relative to `base`: differences within the kernel's range are exact doubles. */
  starts: Float64Array;
  nameAt: Int32Array;
  nameEnd: Int32Array;
  /** The module name's bounds (without brackets), or -1 for vmlinux. */
  moduleAt: Int32Array;
  moduleEnd: Int32Array;
  base: bigint;
}

const TAB = 9, NEWLINE = 10, SPACE = 32, UNDERSCORE = 95, OPEN_BRACKET = 91, CLOSE_BRACKET = 93;
const LOWER_T = 116, LOWER_W = 119, LOWER_CASE_BIT = 0x20;

export class KernelSymbols {
  readonly #source: () => Uint8Array | undefined;
  #index: KallsymsIndex | undefined;
  #names: (string | undefined)[] = [];
  #modules: (string | undefined)[] = [];
  #byName: Map<string, number> | undefined;

  /** `source` returns the bytes of /proc/kallsyms; tests may pass their own. Nothing is read yet. */
  constructor(source: () => Uint8Array | undefined = () => readFileBytes("/proc/kallsyms")) {
    this.#source = source;
  }

  /** How many addresses have a name (0 when kallsyms is missing or hides its addresses). */
  get count(): number {
    return this.#load().starts.length;
  }

  /**
   * False when no kernel address can be named: kallsyms is unreadable, or shows zeros because
   * kptr_restrict hides addresses from this user.
   */
  get available(): boolean {
    return this.count > 0;
  }

  /** The function containing `address`; an unnamed frame when it is below every symbol. */
  symbolize(address: bigint): Frame {
    const ix = this.#load();
    const rel = Number(address - ix.base);
    const { starts } = ix;
    const i = lastAtOrBelow(starts, rel);
    if (i < 0) return unknownFrame("kernel", address);
    return { kind: "kernel", address, name: this.#name(ix, i), offset: rel - starts[i], module: this.#module(ix, i) };
  }

  /** The address of the text symbol `name` (the one kept for its address), or undefined. */
  lookup(name: string): bigint | undefined {
    const ix = this.#load();
    if (!this.#byName) {
      this.#byName = new Map();
      for (let i = 0; i < ix.starts.length; i++) this.#byName.set(this.#name(ix, i), i);
    }
    const i = this.#byName.get(name);
    return i === undefined ? undefined : ix.base + BigInt(ix.starts[i]);
  }

  #load(): KallsymsIndex {
    if (this.#index) return this.#index;
    let bytes: Uint8Array | undefined;
    try {
      bytes = this.#source();
    } catch {
      // Unreadable (not root under a strict policy): stacks still print, as addresses.
    }
    this.#index = indexKallsyms(bytes ?? new Uint8Array(0));
    this.#names = new Array(this.#index.starts.length);
    this.#modules = new Array(this.#index.starts.length);
    return this.#index;
  }

  // Names are decoded on first use: a stack print touches dozens of the 120,000.
  #name(ix: KallsymsIndex, i: number): string {
    return (this.#names[i] ??= ascii(ix.bytes, ix.nameAt[i], ix.nameEnd[i]));
  }

  #module(ix: KallsymsIndex, i: number): string | undefined {
    if (ix.moduleAt[i] < 0) return undefined;
    return (this.#modules[i] ??= ascii(ix.bytes, ix.moduleAt[i], ix.moduleEnd[i]));
  }
}

let shared: KernelSymbols | undefined;

/** The process-wide instance, so kallsyms is read at most once however many stacks are printed. */
export function kernelSymbols(): KernelSymbols {
  return (shared ??= new KernelSymbols());
}

/**
 * Parses kallsyms lines `ffffffff816d5370 T vfs_read` and `ffffffffc0a01234 t ext4_foo\t[ext4]`
 * in one pass over the bytes, without making a string per line: on 120,000 lines that is
 * several times faster than splitting decoded text.
 */
export function indexKallsyms(bytes: Uint8Array): KallsymsIndex {
  const n = bytes.length;
  // Every address has the same width (16 hex digits on 64-bit kernels): the first line's.
  const width = Math.max(0, bytes.indexOf(SPACE));
  const split = Math.max(0, width - 8);
  // The shortest line is "ADDR T x\n": a bound on the symbol count without a counting pass.
  const lines = Math.ceil(n / (width + 5)) + 1;
  const hiCol = new Float64Array(lines);
  const loCol = new Float64Array(lines);
  const nameAt = new Int32Array(lines);
  const nameEnd = new Int32Array(lines);
  const moduleAt = new Int32Array(lines);
  const moduleEnd = new Int32Array(lines);
  let count = 0;
  let nonZero = false;
  for (let at = 0; at < n;) {
    let eol = bytes.indexOf(NEWLINE, at);
    if (eol < 0) eol = n;
    const i = at + width;
    // Text symbols only (t, T, w, W: kallsyms shows weak functions as W).
    const type = bytes[i + 1] | LOWER_CASE_BIT;
    if (bytes[i] === SPACE && bytes[i + 2] === SPACE && (type === LOWER_T || type === LOWER_W)) {
      // Two 32-bit halves, so no address is rounded; -1 marks a line that is not hex.
      const hi = hex(bytes, at, at + split);
      const lo = hex(bytes, at + split, i);
      const start = i + 3;
      let end = eol;
      moduleAt[count] = moduleEnd[count] = -1;
      // A module's symbol ends in "\t[name]": look for it from the end, the common case costs one compare.
      if (bytes[eol - 1] === CLOSE_BRACKET) {
        const open = bytes.lastIndexOf(OPEN_BRACKET, eol - 1);
        if (open > start && bytes[open - 1] === TAB) {
          moduleAt[count] = open + 1;
          moduleEnd[count] = eol - 1;
          end = open - 1;
        }
      }
      if (hi >= 0 && lo >= 0) {
        nameAt[count] = start;
        nameEnd[count] = end;
        hiCol[count] = hi;
        loCol[count] = lo;
        if (hi !== 0 || lo !== 0) nonZero = true;
        count++;
      }
    }
    at = eol + 1;
  }
  // All zeros: kptr_restrict hides the addresses. No symbol is better than every one at 0.
  if (!nonZero) count = 0;
  const baseHi = count > 0 ? hiCol[0] : 0;
  const rel = new Float64Array(count);
  for (let r = 0; r < count; r++) rel[r] = (hiCol[r] - baseHi) * 0x100000000 + loCol[r];
  const keep = pickAliases(bytes, rel, byAddress(rel), nameAt, nameEnd);
  const pick = <T extends Int32Array | Float64Array>(col: T, out: T): T => {
    for (let k = 0; k < keep.length; k++) out[k] = col[keep[k]];
    return out;
  };
  return {
    bytes,
    starts: pick(rel, new Float64Array(keep.length)),
    nameAt: pick(nameAt, new Int32Array(keep.length)),
    nameEnd: pick(nameEnd, new Int32Array(keep.length)),
    moduleAt: pick(moduleAt, new Int32Array(keep.length)),
    moduleEnd: pick(moduleEnd, new Int32Array(keep.length)),
    base: BigInt(baseHi) << 32n,
  };
}

/** Symbol names are ASCII: one char code per byte, no TextDecoder round trip. */
function ascii(bytes: Uint8Array, at: number, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(at, end) as unknown as number[]);
}

/** The value of the hex digits in [at, end) (at most 8), or -1 if one is not a hex digit. */
function hex(bytes: Uint8Array, at: number, end: number): number {
  let v = 0;
  for (let i = at; i < end; i++) {
    const c = bytes[i];
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * Row numbers by ascending address, file order among equals. vmlinux's part of kallsyms is
 * already sorted; modules and BPF programs follow it in load order, so usually a sort is
 * needed. Each address is packed with its row into one double when that stays exact, so a
 * native numeric sort does the work without a comparator call per comparison.
 */
function byAddress(rel: Float64Array): Int32Array {
  const n = rel.length;
  const order = new Int32Array(n);
  let sorted = true;
  let min = Infinity, max = -Infinity;
  for (let r = 0; r < n; r++) {
    order[r] = r;
    if (r > 0 && rel[r] < rel[r - 1]) sorted = false;
    if (rel[r] < min) min = rel[r];
    if (rel[r] > max) max = rel[r];
  }
  if (sorted) return order;
  let mult = 1;
  while (mult <= n) mult *= 2;
  if ((max - min) * mult + mult > Number.MAX_SAFE_INTEGER) return order.sort((a, b) => rel[a] - rel[b] || a - b);
  const keys = new Float64Array(n);
  for (let r = 0; r < n; r++) keys[r] = (rel[r] - min) * mult + r;
  keys.sort();
  for (let k = 0; k < n; k++) order[k] = keys[k] % mult;
  return order;
}

/**
 * One row per address. Aliases are common: the syscall wrappers `__do_sys_getpid`,
 * `__ia32_sys_getpid` and `__x64_sys_getpid` share one body, `memset` is also `__memset` and
 * `__pi_memset`. bpftrace (through bcc) shows the last of them in kallsyms order (its sort is
 * not stable, so not always), and so does this, to print the same names. Section markers and
 * padding labels (`__hot_text_start`, `__pfx_vfs_read`) on a function's first byte are never
 * chosen over the function.
 */
function pickAliases(bytes: Uint8Array, rel: Float64Array, order: Int32Array, nameAt: Int32Array, nameEnd: Int32Array): Int32Array {
  const keep = new Int32Array(order.length);
  let k = 0;
  for (let j = 0; j < order.length;) {
    let next = j + 1;
    while (next < order.length && rel[order[next]] === rel[order[j]]) next++;
    // Rows at one address are in file order (the sort keeps it among equals).
    let best = order[j];
    if (next - j > 1) {
      let bestIsMarker = isMarker(bytes, nameAt[best], nameEnd[best]);
      for (let i = j + 1; i < next; i++) {
        const marker = isMarker(bytes, nameAt[order[i]], nameEnd[order[i]]);
        if (!marker || bestIsMarker) (best = order[i]), (bestIsMarker = marker);
      }
    }
    keep[k++] = best;
    j = next;
  }
  return keep.subarray(0, k);
}

const MARKER = /^(__pfx_.*|__.*_(start|end)|_s?text|_etext|_sinittext|_einittext)$/;

/** A label that is not a function: a linker section boundary, or the padding before a function. */
function isMarker(bytes: Uint8Array, at: number, end: number): boolean {
  return bytes[at] === UNDERSCORE && MARKER.test(ascii(bytes, at, end));
}
