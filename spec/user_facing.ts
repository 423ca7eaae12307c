// The one marker of an error whose message is the whole story for the user (what is wrong and
// what to do): the command line prints it without a stack trace, and a tracer that fails to
// start prints it and exits. Anything without the marker is a bug in tsbpf, shown as one.

/**
 * The brand. `Symbol.for`, so that errors thrown by a second copy of tsbpf's modules (a script
 * that bundles its own) carry the same brand as ours.
 */
export const USER_FACING: unique symbol = Symbol.for("tsbpf.user-facing") as never;

/** Base class of tsbpf's user-facing errors. */
export class UserFacingError extends Error {
  /** @internal Marks the error as explained to the user (no stack trace needed), across copies of tsbpf. */
  readonly [USER_FACING] = true;
}

export function isUserFacing(e: unknown): e is Error {
  return e instanceof Error && (e as { [USER_FACING]?: unknown })[USER_FACING] === true;
}
