// An error message that quotes a name another user can choose (a path of theirs) is one line:
// the command line prints an error with its own line breaks kept (printableLines), so a line
// feed in such a name printed their text as a line of its own
// (tests/security/untrusted_path_lines.test.ts).

/** `message` with its control characters (line breaks among them) and the line and paragraph separators as \xNN and \uNNNN. */
export function oneLine(message: string): string {
  return message.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
}
