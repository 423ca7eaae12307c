// How the tools print: bcc's time columns, JSON lines, and notices that stay off stdout in JSON
// mode so that stdout parses line by line.
import { isJsonOutput, printable } from "../runtime/output.ts";
import { writeStdoutLine } from "../runtime/stdout.ts";

/** What a tool prints at once: one line, or several as an array (one element a line). */
export type Lines = string | readonly string[];

/**
 * Prints to stdout as console.log does (a failed write ends the tool: runtime/stdout.ts) a line,
 * or the lines of an array, each with its control characters shown as \xNN, a line feed among
 * them. The names in a tool's lines (processes, files, arguments, symbols) are chosen by whoever
 * made them: they must not drive the terminal of root watching the tool (see printable()), nor
 * end a line and write the next: nobody's open of a file named "x\n4242   sshd   3   0
 * /etc/shadow" printed, in root's opensnoop, a line of its own saying sshd opened /etc/shadow. So
 * several lines are an array made from the fields, never text split at its line feeds.
 */
export function printLine(text: Lines = ""): void {
  writeStdoutLine(shown(text));
}

function shown(text: Lines): string {
  return typeof text === "string" ? printable(text) : text.map(printable).join("\n");
}

/** Wall-clock time as bcc's tools print it: `HH:MM:SS` (strftime("%H:%M:%S")). */
export function hms(d: Date = new Date()): string {
  return d.toTimeString().slice(0, 8);
}

/** Local date and time, `YYYY-MM-DD HH:MM:SS` (strftime("%Y-%m-%d %H:%M:%S")). */
export function localTime(d: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${hms(d)}`;
}

/** One JSON object per line; bigints become numbers when exact, strings otherwise. */
export function jsonLine(o: Record<string, unknown>): string {
  return JSON.stringify(o, (_, v) => (typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v)) : v));
}

/** Prints one record: as a JSON line in JSON mode, otherwise as `text` (a line, an array of lines, or nothing when undefined). */
export function emit(record: Record<string, unknown>, text: () => Lines | undefined): void {
  if (isJsonOutput()) writeStdoutLine(jsonLine(record));
  else {
    const line = text();
    if (line !== undefined) printLine(line);
  }
}

/**
 * A line for the person watching ("Tracing ... Hit Ctrl-C to end.", column headers, "Detaching..."):
 * on stdout as the original tool prints it, on stderr in JSON mode.
 */
export function notice(text: Lines = ""): void {
  if (isJsonOutput()) console.error(shown(text));
  else printLine(text);
}

/** Text-mode output only (headers, blank lines between tables): nothing in JSON mode. */
export function textOnly(text: Lines = ""): void {
  if (!isJsonOutput()) printLine(text);
}
