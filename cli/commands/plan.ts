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
import type { ProbeRef } from "../../spec/target.ts";
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
      console.log(`${staged.url} (sha256 ${staged.sha256})\n`);
      const review = await reviewScript(staged.file, staged.url);
      for (const line of review.refusals) console.error(printableLines(line));
      if (review.refusals.length) console.error(`tsbpf run would not run it (${review.refusals.length === 1 ? "the reason is" : "the reasons are"} above)`);
      else console.log(`\nto run exactly this: tsbpf run '${staged.url}#sha256=${staged.sha256}'`);
      return review.problems.length ? 1 : 0;
    } finally {
      staged.remove();
    }
  }
  const review = await reviewScript(positionals[0]);
  for (const line of review.problems) console.error(printableLines(line));
  return review.problems.length ? 1 : 0;
}

/** What `tsbpf plan` found besides the plan it printed. */
export interface Review {
  /** Why the plan is not complete, each at file:line:col: plan's exit status is 1 if there is any. */
  problems: string[];
  /** Why `tsbpf run URL` refuses the script: the problems, and a plan made from other text than what would run (a bundle's). */
  refusals: string[];
}

/**
 * Prints the plan of the script at `path` through `print` (console.log, or a collector), naming it
 * `shownAs` (a link's URL instead of its private copy's path) in the problems it returns.
 */
export async function reviewScript(path: string, shownAs = path, print: (text: string) => void = console.log): Promise<Review> {
  // The plan quotes the script (probe names, import specifiers, paths): a script under review must
  // not be able to drive the terminal that shows its review (hide lines, rewrite the verdict).
  const show = (text: string) => print(printableLines(text));
  const script = resolve(path);
  let text: string;
  try {
    if (!statSync(script).isFile()) throw new CliError(`Not a regular file: ${shownAs}`);
    text = readFileSync(script, "utf8");
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`No such script: ${shownAs}`);
  }
  const [{ compile, CompileError }, { describePlan, kernelWarnings }, { describeUserSpace }, { hostTarget }] = await Promise.all([
    import("../../compiler/mod.ts"), import("../../compiler/plan.ts"), import("../../compiler/plan_user.ts"), import("../../tracer/compile_target.ts"),
  ]);
  let bundle;
  try {
    bundle = readBundle(text);
  } catch (e) {
    throw new CliError(`${shownAs}: ${(e as Error).message}`);
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
  if (bundle) {
    const { bundleLoadPlan } = await import("../../tracer/bundled.ts");
    const how = (await bundleLoadPlan(text)).map((line) => `  ${line}`);
    show([`bundle ${shownAs}: ${bundle.tracers.length} tracer${bundle.tracers.length === 1 ? "" : "s"} (${bundle.tracers.map((t) => t.className).join(", ")}), reviewed from the sources it embeds`, ...how, ""].join("\n"));
  }
  // A wildcard as the kernel has it: how many matches, and how they are attached.
  const describeProbe = (ref: ProbeRef) => (/[*?]/.test(ref.target) ? target.probeContext(ref).describe : undefined);
  if (specs.length) show(describePlan(specs, { cpus: possibleCpus(), describeProbe }));
  show(describeUserSpace({ modules, uncompiled, kernelWarnings: kernelWarnings(specs), alsoUnknown }));
  // A module that does not parse is one plan cannot review (and one that would not run).
  const named = (file: string) => (file === script ? shownAs : file);
  const problems = modules.flatMap((m) => (m.scan?.syntaxErrors ?? []).map((e) => `${named(m.file)}:${e.line}:${e.column}: syntax error: ${e.message}`));
  // A bundle is reviewed from the sources it embeds, not from the JavaScript that runs.
  const notWhatRuns = bundle ? [`${shownAs}: plan reviews the sources embedded in a bundle (the line globalThis.__TSBPF_BUNDLE__ = …), not the JavaScript that would run: run the script's .ts source instead`] : [];
  return { problems, refusals: [...problems, ...notWhatRuns] };
}
