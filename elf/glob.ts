/**
 * Shell-style wildcards for symbol names: `*` matches any run of characters (also none), `?`
 * exactly one; everything else, brackets included (C++ names contain them), matches itself.
 * The whole name must match, as in `uprobe:/bin/bash:read*`.
 */

/** A predicate for `glob`; an exact comparison when it has no wildcard. */
export function globMatcher(glob: string): (name: string) => boolean {
  if (!glob.includes("*") && !glob.includes("?")) return (name) => name === glob;
  // A fixed prefix rejects most names with one comparison before the general matcher runs.
  const firstWild = glob.search(/[*?]/);
  const prefix = glob.slice(0, firstWild);
  return (name) => name.startsWith(prefix) && globMatch(glob, name);
}

/**
 * Greedy matching with one backtrack point: on a mismatch, retry from the last `*` consuming
 * one more character. Each `*` only moves forward, so this is O(len(glob) * len(name)) at
 * worst and never exponential, however many stars the pattern has.
 */
export function globMatch(glob: string, name: string): boolean {
  let g = 0;
  let s = 0;
  let starG = -1;
  let starS = 0;
  while (s < name.length) {
    const c = glob.charCodeAt(g);
    if (g < glob.length && c === 0x2a /* * */) {
      starG = g++;
      starS = s;
    } else if (g < glob.length && (c === 0x3f /* ? */ || c === name.charCodeAt(s))) {
      g++;
      s++;
    } else if (starG >= 0) {
      g = starG + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob.charCodeAt(g) === 0x2a) g++;
  return g === glob.length;
}
