// The binary search of symbolization, in one place: ELF symbols, the kernel's kallsyms, perf
// maps and /proc/PID/maps all keep ranges sorted by start address and ask which one holds an
// address. Two forms of the one loop: over the starts themselves (the symbol tables' hot path,
// where a key function per step costs a quarter more on Bun), and over records by a key.

/**
 * The index of the last start at or below `address` (-1 when every start is above it), for
 * `starts` in ascending order. Equal starts: the last of them.
 */
export function lastAtOrBelow(starts: ArrayLike<number>, address: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] <= address) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** `lastAtOrBelow` over records sorted by `startOf(record)`. */
export function lastStartAtOrBelow<T>(items: ArrayLike<T>, address: number, startOf: (item: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (startOf(items[mid]) <= address) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
