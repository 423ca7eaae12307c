// `tsbpf build script.ts -o script.bundle.js`: one file that runs without tsbpf installed, on
// other kernels too. The bundling is build/bundle.ts's; this is its command line.
import { parseCommand } from "../args.ts";
import { CliError, UsageError } from "../errors.ts";
import { HELP } from "../help.ts";
import { fileExists } from "../../runtime/files.ts";

const OPTIONS = { output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } } as const;

export async function buildCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, "build");
  if (values.help) return (console.log(HELP.build), 0);
  if (positionals.length !== 1) throw new UsageError("needs one script: tsbpf build script.ts -o script.bundle.js", "build");
  const script = positionals[0];
  if (!fileExists(script)) throw new CliError(`No such script: ${script}`);
  const outfile = typeof values.output === "string" ? values.output : script.replace(/\.[cm]?[jt]s$/, "") + ".bundle.js";
  const { bundle } = await import("../../build/bundle.ts");
  let result;
  try {
    result = await bundle(script, outfile);
  } catch (e) {
    // The bundler's own failures (nothing to bundle, an import esbuild cannot resolve) are plain
    // Errors whose message says it all; typed errors (compile errors) pass through.
    if (e instanceof Error && e.name === "Error") throw new CliError(e.message.split("\n").slice(0, 8).join("\n"));
    throw e;
  }
  console.error(`tsbpf build: wrote ${result.outfile} (${(result.bytes / 1024).toFixed(0)} KiB; tracers: ${result.tracers.join(", ")})`);
  return 0;
}
