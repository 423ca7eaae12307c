// The command line of a tool: one definition (options with their help, positionals, examples)
// gives both the parse and the usage text, so -h always shows every option, and the options every
// tool has (-h/--help, --json, --cgroup PATH) are added in one place.
import { parseArgs } from "node:util";
import { relative } from "node:path";
import process from "node:process";
import { isJsonOutput, setJsonOutput } from "../runtime/output.ts";
import type { StartOptions } from "../tracer/tracer.ts";
import { readTextFile } from "../runtime/files.ts";

/** One option of a tool, as node:util parseArgs takes it, with its line in the usage. */
export interface ToolOption {
  /** A flag, or an option with a value. */
  type: "boolean" | "string";
  /** The one-letter form ("p" for -p). */
  short?: string;
  /** What the value is called in the usage ("PID"); string options only. */
  value?: string;
  /** The option's line in the usage. */
  help: string;
  /** May be given more than once (its value is then an array). */
  multiple?: boolean;
  /** The value when the option is not given. */
  default?: string | boolean;
}

/** A positional argument; the optional ones come last. */
export interface ToolPositional {
  /** Its name in the usage ("interval"). */
  name: string;
  /** Its line in the usage. */
  help: string;
  /** The usage error when it is missing (default: optional). */
  required?: boolean;
}

/** Everything a tool's command line is: what `parseToolArgs` parses and `toolUsage` prints. */
export interface ToolDefinition<O extends Record<string, ToolOption> = Record<string, ToolOption>> {
  /** The tool's name as the usage shows it ("opensnoop"). */
  name: string;
  /** One line: what the tool does. */
  description: string;
  /** The tool's own options, by long name; the common ones (COMMON_OPTIONS) are added. */
  options?: O;
  /** Positional arguments, in order. */
  positionals?: readonly ToolPositional[];
  /** Example command lines (arguments after the name) and what each does. */
  examples?: readonly (readonly [string, string])[];
}

/** The options every tool has, after its own. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h", help: "show this help message and exit" },
  json: { type: "boolean", help: "JSON lines on stdout, one record per line (shapes: docs/tools.md); notices go to stderr" },
  cgroup: { type: "string", value: "PATH", help: "trace only processes in this cgroup v2 and its descendants (a path, absolute or under the cgroup v2 mount)" },
  metrics: { type: "string", value: "ADDR", help: "serve the tool's counts and histograms to Prometheus at http://ADDR/metrics (e.g. 127.0.0.1:9435)" },
  stats: { type: "boolean", help: "at the end, each handler's runs and average ns per run (the kernel's BPF statistics, on while the tool runs)" },
} as const satisfies Record<string, ToolOption>;

/** The parsed value of one option. */
export type ToolOptionValue<T extends ToolOption> = T["type"] extends "boolean" ? (T["multiple"] extends true ? boolean[] : boolean) : T["multiple"] extends true ? string[] : string;

/** The parsed options of a tool: each of its own (undefined when not given and without default), plus the common ones. */
export type ToolValues<O extends Record<string, ToolOption>> = { [K in keyof O]?: ToolOptionValue<O[K]> } & { json: boolean; cgroup?: string; metrics?: string; stats?: boolean };

/** What parseToolArgs returns. */
export interface ParsedTool<O extends Record<string, ToolOption>> {
  /** The options given (and defaults), with `json` (also on under `tsbpf --json`) and `cgroup`. */
  values: ToolValues<O>;
  /** The positional arguments. */
  positionals: string[];
  /** What `Tracer.start()` needs from the command line (--cgroup, --metrics). */
  start: StartOptions;
  /** The usage text, for a tool's own checks (see usageError). */
  usage: string;
  /**
   * Under `tsbpf -c CMD`, CMD's pid (also the default of a `-p` option): the command is held
   * stopped until the first tracer has started, so it runs nothing untraced.
   */
  commandPid?: number;
}

/**
 * A tool's options followed by the common ones. A tool may give a common option a short form
 * and its own words (biolatency's `-j, --json`), not another type.
 */
function allOptions(tool: ToolDefinition): Record<string, ToolOption> {
  const own: Record<string, ToolOption> = { ...tool.options };
  const common: Record<string, ToolOption> = {};
  for (const [key, o] of Object.entries(COMMON_OPTIONS) as [string, ToolOption][]) {
    const mine = own[key];
    delete own[key];
    common[key] = mine ? { ...o, short: mine.short ?? o.short, help: mine.help } : o;
  }
  const all = { ...own, ...common };
  // parseArgs would let the last of two options with one letter win, silently.
  const shorts = Object.entries(all).filter(([, o]) => o.short).map(([key, o]) => [o.short, key]);
  const taken = new Map<string, string>();
  for (const [short, key] of shorts) {
    if (taken.has(short!)) throw new TypeError(`${tool.name}: options --${taken.get(short!)} and --${key} are both -${short}`);
    taken.set(short!, key!);
  }
  return all;
}

/** The usage text of a tool, in argparse's layout (what bcc's tools print for -h). */
export function toolUsage(tool: ToolDefinition): string {
  const options = allOptions(tool);
  const names = (key: string, o: ToolOption) => {
    const long = `--${key}${o.type === "string" ? ` ${o.value ?? key.toUpperCase()}` : ""}`;
    return o.short ? `-${o.short}, ${long}` : long;
  };
  const synopsis = ["[-h]", ...Object.entries(options).filter(([k]) => k !== "help").map(([key, o]) => `[${o.short ? `-${o.short}` : `--${key}`}${o.type === "string" ? ` ${o.value ?? key.toUpperCase()}` : ""}]`)];
  const positionals = tool.positionals ?? [];
  synopsis.push(...positionals.map((p) => (p.required ? p.name : `[${p.name}]`)));
  // argparse's columns: help at most 24 characters in, on the next line when the option is longer.
  const optionRows: [string, string][] = [["-h, --help", options.help.help], ...Object.entries(options).filter(([k]) => k !== "help").map(([k, o]) => [names(k, o), o.help] as [string, string])];
  const column = Math.min(24, Math.max(...optionRows.map(([left]) => left.length), ...positionals.map((p) => p.name.length)) + 4);
  const rows = (list: [string, string][]) => {
    return list.map(([left, help]) => (left.length + 4 <= column ? `  ${left.padEnd(column - 2)}${help}` : `  ${left}\n${" ".repeat(column)}${help}`));
  };
  const lines = [...wrap(`usage: ${tool.name} `, synopsis), "", tool.description];
  if (positionals.length) lines.push("", "positional arguments:", ...rows(positionals.map((p) => [p.name, p.help])));
  lines.push("", "options:", ...rows(optionRows));
  if (tool.examples?.length) {
    const width = Math.max(...tool.examples.map(([args]) => `${tool.name} ${args}`.trimEnd().length)) + 3;
    lines.push("", "examples:", ...tool.examples.map(([args, what]) => `    ${`${tool.name} ${args}`.trimEnd().padEnd(width)}# ${what}`));
  }
  return lines.join("\n");
}

/**
 * Parses a tool's command line (default: this process's arguments) as `tool` defines it.
 * `-h`/`--help` prints the usage on stdout and exits 0; an unknown option, a missing value or a
 * wrong number of positionals prints one line and the usage on stderr and exits 2. `--json`
 * (or `tsbpf --json run`) turns on JSON output for everything printed from then on.
 *
 * ```ts
 * const { values, start } = parseToolArgs({
 *   name: "opensnoop",
 *   description: "Trace open() syscalls",
 *   options: { pid: { type: "string", short: "p", value: "PID", help: "trace this PID only" } },
 * });
 * const tracer = new OpenSnoop();
 * tracer.targetPid = intOption("-p", values.pid);
 * await tracer.start(start);
 * ```
 */
export function parseToolArgs<const O extends Record<string, ToolOption>>(tool: ToolDefinition<O>, args: string[] = process.argv.slice(2)): ParsedTool<O> {
  const usage = toolUsage(tool);
  current = { name: tool.name, usage };
  const specs = allOptions(tool);
  const options = Object.fromEntries(Object.entries(specs).map(([key, o]) => [key, { type: o.type, short: o.short, multiple: o.multiple, default: o.default }]));
  for (const o of Object.values(options)) for (const k of ["short", "multiple", "default"] as const) if (o[k] === undefined) delete o[k];
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    // deno-lint-ignore no-explicit-any
    parsed = parseArgs({ args, options: options as any, allowPositionals: true, strict: true });
  } catch (e) {
    // -h wins over a mistake elsewhere on the line, as with argparse.
    if (args.includes("-h") || args.includes("--help")) exitWithUsage(usage);
    const message = firstLine((e as Error).message);
    return usageError(message + commandOptionHint(message, args));
  }
  if (parsed.values.help) exitWithUsage(usage);
  const positionals = tool.positionals ?? [];
  if (parsed.positionals.length > positionals.length) {
    usageError(`unexpected argument '${parsed.positionals[positionals.length]}'${positionals.length ? "" : " (this tool takes no positional arguments)"}`);
  }
  const missing = positionals.slice(parsed.positionals.length).find((p) => p.required);
  if (missing) usageError(`the argument ${missing.name} is required`);
  // One switch: the tool's --json and `tsbpf --json run` both mean JSON lines everywhere.
  if (parsed.values.json) setJsonOutput(true);
  const values = { ...parsed.values, json: isJsonOutput() } as ToolValues<O>;
  // Under `tsbpf -p PID` or `-c CMD` (cliOptions.pid), a tool's own -p defaults to that process.
  const commandPid = specs.pid?.short === "p" ? commandLinePid() : undefined;
  if (commandPid !== undefined && values.pid === undefined) (values as Record<string, unknown>).pid = String(commandPid);
  const start: StartOptions = {};
  if (values.cgroup !== undefined) start.cgroup = values.cgroup;
  if (values.metrics !== undefined) start.metrics = values.metrics;
  if (values.stats) start.stats = true;
  const state = cliState();
  return { values, positionals: parsed.positionals, start, usage, ...(state?.command && { commandPid: state.pid }) };
}

/** The tsbpf command's own options a bcc tool has as its own (bcc's `opensnoop -d 5`), and what each is. */
const COMMAND_OPTIONS: Record<string, [short: string, what: string]> = {
  "-d": ["-d", "a duration"], "--duration": ["-d", "a duration"],
  "-c": ["-c", "a command to trace"], "--command": ["-c", "a command to trace"],
};

/**
 * For an option of the tsbpf command that this tool lacks, as parseArgs' `message` names it
 * (`opensnoop -d 5`): where it goes,
 * before the script (`tsbpf run -d 5 examples/opensnoop.ts`). "" for any other mistake.
 */
function commandOptionHint(message: string, args: string[]): string {
  const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
  const at = unknown && Object.hasOwn(COMMAND_OPTIONS, unknown) ? args.findIndex((a) => a.split("=")[0] === unknown) : -1;
  if (at < 0) return "";
  const [name, inline] = args[at].split(/=(.*)/s);
  const [short, what] = COMMAND_OPTIONS[name];
  const value = inline ?? args[at + 1] ?? (short === "-d" ? "5" : "CMD");
  const script = process.argv[1] ? relative(process.cwd(), process.argv[1]) : "SCRIPT";
  const quoted = /^[\w./:=@%+-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
  return `: ${what} is tsbpf's option, given before the script: tsbpf run ${short} ${quoted} ${script}`;
}

/**
 * The process `tsbpf -p PID` or `-c CMD` names: cliOptions.pid, read from the state the command
 * keeps on globalThis (cli/mod.ts; tool/ does not import cli/), and noted as read as it notes it.
 */
function commandLinePid(): number | undefined {
  const state = cliState();
  if (state) state.pidRead = true;
  return state?.pid;
}

function cliState(): { pid?: number; pidRead?: boolean; command?: string[] } | undefined {
  return (globalThis as Record<symbol, { pid?: number; pidRead?: boolean; command?: string[] } | undefined>)[Symbol.for("tsbpf.cli")];
}

/** The tool whose command line was parsed last: its usage goes with every usage error. */
let current: { name: string; usage: string } | undefined;

/**
 * A bad command line that the tool itself found (options that exclude each other): prints
 * `message` and the usage of the tool parsed by parseToolArgs on stderr, and exits 2 (argparse's
 * status).
 */
export function usageError(message: string): never {
  console.error(`${current?.name ?? "error"}: error: ${message}${current ? `\n\n${current.usage}` : ""}`);
  return process.exit(2);
}

/** A non-negative integer option (`-p 42`, an interval): `fallback` when absent, a usage error when not a number. */
export function intOption(name: string, text: string | undefined, fallback = 0): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n)) usageError(`${name} must be a non-negative integer, got "${text}"`);
  return n;
}

/**
 * A user option (`-u 1000`, `-u daemon`), as bcc's tools take it: a uid, or a user's name looked
 * up in /etc/passwd (only root can write it); `fallback` when absent, a usage error for an unknown name.
 */
export function uidOption(name: string, text: string | undefined, fallback = 0): number {
  if (text === undefined || /^\s*\d+\s*$/.test(text)) return intOption(name, text, fallback);
  for (const line of (readTextFile("/etc/passwd") ?? "").split("\n")) {
    const [user, , uid] = line.split(":");
    if (user === text && /^\d+$/.test(uid ?? "")) return Number(uid);
  }
  return usageError(`${name}: no user "${text}" in /etc/passwd; give the numeric uid`);
}

/** Words after a prefix, wrapped at 100 columns, continuation lines indented under the first word. */
function wrap(prefix: string, words: string[]): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const w of words) {
    if (line.length > prefix.length && line.length + w.length > 100) {
      lines.push(line.trimEnd());
      line = " ".repeat(prefix.length);
    }
    line += `${w} `;
  }
  return [...lines, line.trimEnd()];
}

function exitWithUsage(usage: string): never {
  console.log(usage);
  return process.exit(0);
}

function firstLine(message: string): string {
  // Node's text goes on about "--" for positionals that start with "-": one sentence is enough.
  return message.split("\n")[0].replace(/^TypeError( \[[A-Z_]+\])?: /, "").replace(/\. To specify a positional argument.*$/, "");
}
