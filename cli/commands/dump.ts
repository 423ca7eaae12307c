// `tsbpf dump script.ts`: compiles the script's tracers for this kernel (nothing is loaded)
// and prints every handler's instructions, each run under the TypeScript line it came from.
import { resolve } from "node:path";
import { hostTarget } from "../../tracer/compile_target.ts";
import { readTextFile } from "../../runtime/files.ts";
import { parseCommand } from "../args.ts";
import { CliError, UsageError } from "../errors.ts";
import { HELP } from "../help.ts";
import { formatDump } from "./dump_format.ts";
import { printableLines } from "../../runtime/output.ts";

const OPTIONS = { eval: { type: "string", short: "e" }, help: { type: "boolean", short: "h" } } as const;

export async function dumpCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, "dump");
  if (values.help) return (console.log(HELP.dump), 0);
  if (values.eval !== undefined) {
    if (positionals.length) throw new UsageError("give a script or -e, not both", "dump");
    if (String(values.eval).trim() === "") throw new UsageError("-e needs a one-liner, got an empty program", "dump");
    const { dumpOneLiner } = await import("../oneliner/run_oneliner.ts");
    return dumpOneLiner(String(values.eval));
  }
  if (positionals.length !== 1) throw new UsageError("needs one script: tsbpf dump script.ts", "dump");
  const file = resolve(positionals[0]);
  const source = readTextFile(file);
  if (source === undefined) throw new CliError(`No such script: ${positionals[0]}`);
  const { compile } = await import("../../compiler/mod.ts");
  console.log(printableLines(formatDump(compile(source, file, await hostTarget()), source, positionals[0]).join("\n")));
  return 0;
}
