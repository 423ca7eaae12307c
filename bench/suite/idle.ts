// Job 4 of the benchmark suite: each tool attached to a generator that never runs, its wakeups
// and CPU while nothing happens (the measuring itself is bench/idle.ts, also runnable alone).
import { BUN, DENO, failures, log, opts, OUT, REPEATS, ROOT, SMOKE, TREE, waitQuiet, writeScript } from "./common.ts";
import { IDLE_SECONDS, idleOnce, type IdleSample, idleTools } from "../idle.ts";

export async function idleJob(): Promise<Map<string, IdleSample[]>> {
  let tools = idleTools({ root: ROOT, tree: TREE, out: OUT, bun: BUN, deno: DENO, project: opts.package }).filter((t) => !SMOKE || t.tsbpf);
  if (opts.only) {
    const names = opts.only.split(",").map((s) => s.trim().toLowerCase());
    tools = tools.filter((t) => names.some((n) => t.name.toLowerCase().includes(n)));
  }
  const results = new Map<string, IdleSample[]>(tools.map((t) => [t.name, []]));
  for (let i = 0; i < REPEATS; i++) {
    for (const tool of tools) {
      await waitQuiet(20000);
      const s = await idleOnce(tool, OUT, SMOKE ? 0.5 : IDLE_SECONDS, (job, pid, perfBuffer) => writeScript(job, pid, undefined, perfBuffer));
      if (typeof s === "string") failures.push(s);
      else results.get(tool.name)!.push(s);
      log(`idle ${tool.name}: run ${i + 1}/${REPEATS}${typeof s === "string" ? " FAILED" : `: ${s.voluntary.toFixed(1)} wakeups/s, ${s.cpuPercent.toFixed(3)} % CPU`}`);
    }
  }
  return results;
}
