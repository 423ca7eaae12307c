// Job 1, explained: where a tsbpf launch spends its time (bench/tsbpf/profile.ts, step by step).
import { failures, keyValues, log, median, OUT, RUNS, sh, SMOKE, tsbpfCwd, waitQuiet, writeScript, type Tool } from "./common.ts";
import { ms } from "./report.ts";

export const PHASES: [string, string][] = [
  ["boot", "runtime start until the script's body runs¹"], ["libc", "dlopen libc (FFI)"], ["target", "load the probe kind"],
  ["hash", "cache key (SHA-256)"], ["cache_read", "read cached spec"], ["import_compiler", "load the compiler (cold)"],
  ["compile", "compile (cold)"], ["maps", "create maps"], ["prog_load", "load + verify program"], ["attach", "perf_event_open + link"],
  ["first_event_wait", "start() resolved → first event in JS²"], ["close", "close link, perf event, program, maps³"],
];

/** Runs bench/tsbpf/profile.ts, which times the steps of Tracer.start() one by one. */
export async function profileJob(tools: Tool[]): Promise<Map<string, Record<string, number[]>>> {
  const gen = Bun.spawn([`${OUT}/gen`, "-i", "100"], { stdout: "ignore" });
  const results = new Map<string, Record<string, number[]>>();
  try {
    writeScript("profile", gen.pid);
    for (const tool of tools.filter((t) => t.tsbpf && !t.streamOnly)) {
      for (const [label, env] of [["warm", {}], ["cold", { TSBPF_NO_CACHE: "1" }]] as const) {
        const phases: Record<string, number[]> = {};
        results.set(`${tool.name}, ${label}`, phases);
        const runs = SMOKE ? 1 : Math.max(5, Math.ceil(RUNS / 2));
        for (let i = 0; i <= runs; i++) {
          await waitQuiet(5000);
          const line = sh(tool.command("profile", gen.pid), env, tsbpfCwd("profile"));
          if (i === 0 && !SMOKE) continue; // warm-up: fills the caches
          if (!line.startsWith("E ")) {
            failures.push(`${tool.name} profile: ${line || "no output"}`);
            continue;
          }
          for (const [k, v] of Object.entries(keyValues(line))) (phases[k] ??= []).push(v);
        }
        log(`profile ${tool.name}, ${label}: done`);
      }
    }
  } finally {
    gen.kill("SIGTERM");
    await gen.exited;
  }
  return results;
}

export function profileTable(results: Map<string, Record<string, number[]>>): string[] {
  const labels = [...results.keys()];
  const rows = [`| step | ${labels.join(" | ")} |`, `|---|${labels.map(() => "---|").join("")}`];
  for (const [key, what] of PHASES) {
    rows.push(`| ${what} | ${labels.map((l) => ms(median(results.get(l)![key] ?? []))).join(" | ")} |`);
  }
  return rows;
}
