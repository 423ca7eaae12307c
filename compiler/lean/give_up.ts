// How the lean parser stops. Either way Babel then parses the source, so what the user sees
// (the tree, or Babel's syntax errors) never depends on the lean parser's limits.

/** Syntax the lean parser does not handle, or a rule of Babel's it does not check: Babel parses instead. */
export class GiveUp extends Error {}

/**
 * A token that cannot be valid here in any TypeScript. Inside a speculative parse (arrow
 * parameters, type arguments) it means "not this reading, try the other"; anywhere else, give up.
 */
export class Mismatch extends GiveUp {}
