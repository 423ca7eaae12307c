// Command-line parsing on top of node:util parseArgs for commands that own all their arguments.
// The options every command shares and the cheap parsers of values (a pid, a duration, a -c
// command) are in cli/global_options.ts, which the one-liner's start loads without node:util.
import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";
import type { OptionSpec, Values } from "./global_options.ts";

export { durationMs, GLOBAL_OPTIONS, MAX_DURATION_MS, type OptionSpec, parseDuration, parsePid, parseUntilPositional, splitCommand, type Split, type Values } from "./global_options.ts";

/** A strict parse for commands that own all their arguments. */
export function parseCommand(args: string[], options: OptionSpec, command: string): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    // parseArgs' messages are good but long ("Unknown option '-x'. To specify a positional
    // argument starting with a '-', place it at the end of the command after '--', ..."): keep the first sentence.
    throw new UsageError(String((e as Error).message).split(". ")[0].replace(/\.$/, ""), command);
  }
}
