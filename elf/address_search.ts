// The one binary search of symbolization: ELF symbols, the kernel's kallsyms, perf maps and
// /proc/PID/maps all keep ranges sorted by start address and ask which one holds an address.

/**
 * The index of the last item whose start is at or below `address` (-1 when every start is
 * above it), for `items` sorted by ascending start. Equal starts: the last of them.
 */
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

/** `lastStartAtOrBelow` over the start addresses themselves. */
export function lastAtOrBelow(starts: ArrayLike<number>, address: number): number {
  return lastStartAtOrBelow(starts, address, (start) => start);
}
