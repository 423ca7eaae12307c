// `tsbpf plan script.ts`: what the script would do as root, without loading anything into the
// kernel (compiler/plan.ts), so a script from a gist can be reviewed before it runs.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseCommand } from "./args.ts";
import { CliError, UsageError } from "./errors.ts";
import { HELP } from "./help.ts";
import { fileExists } from "../runtime/files.ts";
import { possibleCpus } from "../runtime/cpus.ts";

const OPTIONS = { help: { type: "boolean", short: "h" } } as const;

export async function planCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, "plan");
  if (values.help) return (console.log(HELP.plan), 0);
  if (positionals.length !== 1) throw new UsageError("needs one script: tsbpf plan script.ts", "plan");
  const script = resolve(positionals[0]);
  if (!fileExists(script)) throw new CliError(`No such script: ${positionals[0]}`);
  const [{ compile }, { describePlan }, { hostTarget }] = await Promise.all([
    import("../compiler/mod.ts"), import("../compiler/plan.ts"), import("../runtime/compile_target.ts"),
  ]);
  console.log(describePlan(compile(readFileSync(script, "utf8"), script, await hostTarget()), { cpus: possibleCpus() }));
  return 0;
}
