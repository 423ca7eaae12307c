// A one-liner's positional parameters, bpftrace's $1, $2: the words after the one-liner
// (`tsbpf -e '... pid() == $1 ...' 1234`), written into the script where they are used, as
// literals: a number for a word that is one, else a string (str($1) in a handler). A parameter
// not given is 0, or "" through str(), as in bpftrace. $argc is how many words were given.

/** $argc (an identifier node): how many positional parameters were given (bpftrace's $#). */
export function isArgumentCount(node: { type: string; name?: string }): boolean {
  return node.type === "Identifier" && node.name === "$argc";
}

/** A word that is a whole number (decimal or 0x hex, maybe negative). */
const NUMBER = /^-?(0x[0-9a-fA-F]+|\d+)$/;

/** Parameter `n` (1-based) as a literal of what it holds: a number, a string, or 0 when not given. */
export function positionalLiteral(positional: string[], n: number): string {
  const word = positional[n - 1];
  if (word === undefined) return "0";
  return NUMBER.test(word) ? numberLiteral(word) : JSON.stringify(word);
}

/** Parameter `n` as a string literal, for str($n): "" when not given. */
export function positionalString(positional: string[], n: number): string {
  return JSON.stringify(positional[n - 1] ?? "");
}

/** Whether parameter `n` is a word that is not a number (a number is wanted where it is used bare). */
export function positionalIsText(positional: string[], n: number): boolean {
  const word = positional[n - 1];
  return word !== undefined && !NUMBER.test(word);
}

function numberLiteral(word: string): string {
  const negative = word.startsWith("-");
  const value = BigInt(negative ? word.slice(1) : word);
  // Beyond 2^53 a JavaScript number would round it: a bigint literal keeps it exact.
  const text = value > BigInt(Number.MAX_SAFE_INTEGER) ? `${value}n` : String(value);
  return negative ? `-${text}` : text;
}
