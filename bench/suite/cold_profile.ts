// Where a cold start goes (issue 20): bench/tsbpf/cold_profile.ts, nothing cached, step by step.
import { failures, keyValues, log, median, OUT, RUNS, sh, SMOKE, tsbpfCwd, waitQuiet, writeScript, type Tool } from "./common.ts";
import { ms } from "./report.ts";

const COLD_PHASES: [string, string][] = [
  ["boot", "runtime start until the script's body runs"], ["import_tsbpf", "import tsbpf"], ["libc", "dlopen libc"],
  ["import_parser", "import the parser (the lean parser; Babel only if it gives up)"], ["first_parse", "first parse of the script (cold JIT)"], ["second_parse", "the same parse again (warm)"],
  ["import_compiler", "import the compiler"], ["target", "load the probe kinds the script names"], ["compile", "compile (its parse now warm)"],
  ["btf_load", "map and scan the kernel's BTF¹"], ["btf_first_lookup", "first BTF lookup by name (a search of its strings)¹"],
  ["maps", "create maps"], ["prog_load", "load + verify program"], ["attach", "perf_event_open + link"],
];

export async function coldProfileJob(tools: Tool[]): Promise<Map<string, Record<string, number[]>>> {
  const gen = Bun.spawn([`${OUT}/gen`, "-i", "100"], { stdout: "ignore" });
  const results = new Map<string, Record<string, number[]>>();
  try {
    writeScript("cold_profile", gen.pid);
    for (const tool of tools.filter((t) => t.tsbpf && !t.streamOnly)) {
      const phases: Record<string, number[]> = {};
      results.set(tool.name, phases);
      const runs = SMOKE ? 1 : Math.max(5, Math.ceil(RUNS / 2));
      for (let i = 0; i <= runs; i++) {
        await waitQuiet(5000);
        const line = sh(tool.command("cold_profile", gen.pid), { TSBPF_NO_CACHE: "1" }, tsbpfCwd("cold_profile"));
        if (i === 0 && !SMOKE) continue; // warm-up: the page cache and Deno's module cache
        if (!line.startsWith("E ")) {
          failures.push(`${tool.name} cold profile: ${line || "no output"}`);
          continue;
        }
        for (const [k, v] of Object.entries(keyValues(line))) (phases[k] ??= []).push(v);
      }
      log(`cold profile ${tool.name}: done`);
    }
  } finally {
    gen.kill("SIGTERM");
    await gen.exited;
  }
  return results;
}

export function coldProfileTable(results: Map<string, Record<string, number[]>>): string[] {
  if (!results.size) return [];
  const labels = [...results.keys()];
  const rows = [`| step | ${labels.join(" | ")} |`, `|---|${labels.map(() => "---|").join("")}`];
  for (const [key, what] of COLD_PHASES) rows.push(`| ${what} | ${labels.map((l) => ms(median(results.get(l)![key] ?? []))).join(" | ")} |`);
  return rows;
}
