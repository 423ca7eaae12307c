// `tsbpf plan script.ts`: what the script would do as root, without loading anything into the
// kernel, so a script from a gist can be reviewed before it runs: the kernel half from its
// compiled specs (compiler/plan.ts), the user-space half from its AST and the modules it imports
// (compiler/plan_user.ts). On a bundle (`tsbpf build`), the sources the bundle embeds.
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseCommand } from "../args.ts";
import { isRemote } from "../../runtime/download.ts";
import { CliError, UsageError } from "../errors.ts";
import { HELP } from "../help.ts";
import { possibleCpus } from "../../runtime/cpus.ts";
import { printableLines } from "../../runtime/output.ts";
import type { TracerSpec } from "../../spec/tracer_spec.ts";
import { bundleModules, followModules, type Module, readBundle } from "./plan_modules.ts";

const OPTIONS = { help: { type: "boolean", short: "h" } } as const;

export async function planCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, OPTIONS, "plan");
  if (values.help) return (console.log(HELP.plan), 0);
  if (positionals.length !== 1) throw new UsageError("needs one script: tsbpf plan script.ts", "plan");
  if (isRemote(positionals[0])) {
    // A link: planned from a private copy, as `tsbpf run URL` would run it.
    const { fetchScript } = await import("../remote_script.ts");
    const staged = await fetchScript(positionals[0]);
    try {
      console.log(`${staged.url} (sha256 ${staged.sha256}; to run exactly this: tsbpf run '${staged.url}#sha256=${staged.sha256}')\n`);
      return await planCommand([staged.file]);
    } finally {
      staged.remove();
    }
  }
  const script = resolve(positionals[0]);
  let text: string;
  try {
    if (!statSync(script).isFile()) throw new CliError(`Not a regular file: ${positionals[0]}`);
    text = readFileSync(script, "utf8");
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`No such script: ${positionals[0]}`);
  }
  const [{ compile, CompileError }, { describePlan, kernelWarnings }, { describeUserSpace }, { hostTarget }] = await Promise.all([
    import("../../compiler/mod.ts"), import("../../compiler/plan.ts"), import("../../compiler/plan_user.ts"), import("../../tracer/compile_target.ts"),
  ]);
  let bundle;
  try {
    bundle = readBundle(text);
  } catch (e) {
    throw new CliError(`${positionals[0]}: ${(e as Error).message}`);
  }
  const modules: Module[] = bundle ? bundleModules(bundle) : followModules(script);
  const target = await hostTarget();
  const specs: TracerSpec[] = [];
  const uncompiled: { file: string; name: string; line: number; why: string }[] = [];
  for (const m of modules) {
    if (!m.source || !m.scan?.tracers.length) continue;
    const names = new Set(m.scan.tracers.map((t) => t.name.split(" ")[0]));
    for (const name of names) {
      try {
        specs.push(...compile(m.source, m.file, target, { className: name }));
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        const t = m.scan.tracers.find((x) => x.name.startsWith(name))!;
        uncompiled.push({ file: m.file, name, line: t.line, why: e.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`).slice(0, 2).join("; ") });
      }
    }
  }
  const alsoUnknown = bundle
    ? [`the bundle's JavaScript (${(bundle.bytes / 1024).toFixed(0)} KiB, the user-space code that runs): plan reviews the sources the bundle embeds (the tracers' sources, which the kernel programs are compiled from when it runs${bundle.sources ? ", and the script's other modules as they were built" : "; this bundle embeds no other module"}), but cannot check the JavaScript against them; plan and run the .ts script instead to review all of it`]
    : [];
  // The plan quotes the script (probe names, import specifiers, paths): a script under review must
  // not be able to drive the terminal that shows its review (hide lines, rewrite the verdict).
  const show = (text: string) => console.log(printableLines(text));
  if (bundle) {
    const { bundleLoadPlan } = await import("../../tracer/bundled.ts");
    const how = (await bundleLoadPlan(text)).map((line) => `  ${line}`);
    show([`bundle ${positionals[0]}: ${bundle.tracers.length} tracer${bundle.tracers.length === 1 ? "" : "s"} (${bundle.tracers.map((t) => t.className).join(", ")}), reviewed from the sources it embeds`, ...how, ""].join("\n"));
  }
  if (specs.length) show(describePlan(specs, { cpus: possibleCpus() }));
  show(describeUserSpace({ modules, uncompiled, kernelWarnings: kernelWarnings(specs), alsoUnknown }));
  // A module that does not parse is one plan cannot review (and one that would not run): status 1.
  const unparsed = modules.flatMap((m) => (m.scan?.syntaxErrors ?? []).map((e) => `${m.file}:${e.line}:${e.column}: syntax error: ${e.message}`));
  for (const line of unparsed) console.error(printableLines(line));
  return unparsed.length ? 1 : 0;
}
