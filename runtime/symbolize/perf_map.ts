/**
 * perf-PID.map files: how JIT runtimes (V8 with --perf-basic-prof, the JVM with perf-map-agent,
 * LuaJIT, .NET) name the code they generate in anonymous memory. One line per function,
 * `START SIZE name`, START and SIZE in hex (without "0x", though some writers add it), the
 * name running to the end of the line and possibly containing spaces.
 *
 * @example
 * ```ts
 * const map = PerfMap.parse("7f0000001000 40 LazyCompile:~add /app/math.js:3\n");
 * map.symbolize(0x7f0000001010);   // { name: "LazyCompile:~add /app/math.js:3", offset: 16 }
 * ```
 */
import { lastAtOrBelow } from "../../elf/address_search.ts";

/** How many entries before the nearest start are checked for one that encloses an address. */
const MAX_LOOKBACK = 8;

export class PerfMap {
  readonly #starts: Float64Array;
  readonly #ends: Float64Array;
  readonly #names: string[];

  private constructor(starts: Float64Array, ends: Float64Array, names: string[]) {
    this.#starts = starts;
    this.#ends = ends;
    this.#names = names;
  }

  /** Parses the file's text; lines that do not parse are skipped. */
  static parse(text: string): PerfMap {
    const starts: number[] = [];
    const sizes: number[] = [];
    const names: string[] = [];
    for (const line of text.split("\n")) {
      const a = line.indexOf(" ");
      const b = a < 0 ? -1 : line.indexOf(" ", a + 1);
      if (b < 0) continue;
      const start = parseInt(line.slice(0, a), 16);
      const size = parseInt(line.slice(a + 1, b), 16);
      const name = line.slice(b + 1).trimEnd();
      if (!Number.isFinite(start) || !Number.isFinite(size) || name === "") continue;
      starts.push(start);
      sizes.push(size);
      names.push(name);
    }
    // A runtime that frees and reuses code memory appends the new function later in the file:
    // at one start address the last line wins, so sort stably and keep the last of each run.
    const order = starts.map((_, i) => i).sort((x, y) => starts[x] - starts[y] || x - y);
    const keep: number[] = [];
    for (let k = 0; k < order.length; k++) {
      if (k + 1 < order.length && starts[order[k + 1]] === starts[order[k]]) continue;
      keep.push(order[k]);
    }
    return new PerfMap(
      Float64Array.from(keep, (i) => starts[i]),
      Float64Array.from(keep, (i) => starts[i] + Math.max(sizes[i], 1)),
      keep.map((i) => names[i]),
    );
  }

  /** How many functions the map names. */
  get count(): number {
    return this.#starts.length;
  }

  /** The function containing `address` and the offset into it. */
  symbolize(address: number): { name: string; offset: number } | undefined {
    const starts = this.#starts;
    const last = lastAtOrBelow(starts, address);
    for (let i = last; i >= 0 && i > last - MAX_LOOKBACK; i--) {
      if (address < this.#ends[i]) return { name: this.#names[i], offset: address - starts[i] };
    }
    return undefined;
  }
}
