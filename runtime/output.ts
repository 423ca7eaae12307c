// Output mode of a script: text (bpftrace's and bcc's layouts) or JSON lines in bpftrace's
// `-f json` shape, one object per line: `{"type": "map", "data": {"@name": ...}}` for maps,
// `{"type": "hist", ...}` for histograms, `{"type": "event", "data": {...}}` for events.
// One switch for every script: `Tracer.start({ json: true })`, `tsbpf --json run`, a tool's --json.

// Kept on globalThis, not in this module: a script bundled with its own copy of tsbpf (or the
// command's copy beside the script's) still sees the one switch.
import { writeStdoutLine } from "./stdout.ts";

const JSON_MODE = Symbol.for("tsbpf.output.json");
const state = globalThis as Record<symbol, boolean | undefined>;

/**
 * Control characters (C0, DEL, C1) and the Unicode marks that reorder or hide text, as \xNN or
 * \uNNNN. Names the kernel reports (processes, files, symbols, cgroups) are chosen by whoever
 * made them, other users included; printed raw, they could retitle, clear or drive the
 * terminal of root watching a tracer. Text output shows them through this; JSON keeps them
 * exact (JSON escapes them itself). The invisible right-to-left marks (U+061C ALM, U+200F RLM)
 * too: a terminal that lays out bidirectional text shows the digits after one reordered
 * (tests/security/bidi_marks.test.ts).
 */
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
/** `s` with control characters and text-reordering marks shown as escapes (\xNN, \uNNNN), safe to print to a terminal. */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * printable() of text made of several lines, keeping its line breaks: for text whose line breaks
 * are all its writer's (a script under review, an error); a line holding another user's name is
 * printable() whole, line feeds included (printEvent, tsbpf/tool's printLine).
 */
export function printableLines(s: string): string {
  return s.split("\n").map(printable).join("\n");
}

/** Turns JSON-lines output on (or off) for everything printed from now on. */
export function setJsonOutput(on: boolean): void {
  state[JSON_MODE] = on;
}

/** Whether output is JSON lines. */
export function isJsonOutput(): boolean {
  return state[JSON_MODE] === true;
}

/** JSON text of a value; bigints as plain integers (exact, as bpftrace prints them). */
export function toJson(v: unknown): string {
  if (typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => toJson(x ?? null)).join(", ")}]`;
  if (v && typeof v === "object" && !(v instanceof Date)) {
    if (typeof (v as { toJSON?: unknown }).toJSON === "function") return toJson((v as { toJSON(): unknown }).toJSON());
    const fields = Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== "function");
    return `{${fields.map(([k, x]) => `${JSON.stringify(k)}: ${toJson(x)}`).join(", ")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** One line of output: `{"type": type, "data": data}`. */
export function jsonRecord(type: string, data: unknown): string {
  return `{"type": ${JSON.stringify(type)}, "data": ${toJson(data)}}`;
}

/**
 * Prints one event: in JSON mode as `{"type": "event", "data": {...}}`, otherwise as `text`
 * makes it (by default, its fields separated by spaces): a line, or several as an array, each
 * printable() with its line feeds too, so that a name in the event (a file another user named
 * "x\n4242 sshd /etc/shadow") cannot end the line and make one of its own.
 */
export function printEvent<T extends object>(event: T, text?: (e: T) => string | readonly string[], out: (line: string) => void = writeStdoutLine): void {
  if (isJsonOutput()) return out(jsonRecord("event", event));
  const lines = text ? text(event) : Object.values(event).map((v) => String(v)).join(" ");
  out(typeof lines === "string" ? printable(lines) : lines.map(printable).join("\n"));
}
