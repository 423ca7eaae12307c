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

/**
 * `message` as one line: its control characters (line breaks among them) and the line and
 * paragraph separators as \xNN and \uNNNN. For the messages that quote a name another user can
 * choose (a path of theirs): the command line keeps an error's own line breaks, so a line feed in
 * such a name printed their text as a line of its own (tests/security/untrusted_path_lines.test.ts).
 */
export function oneLine(message: string): string {
  return message.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
}
