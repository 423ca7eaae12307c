// Job 3 of the benchmark suite: counting in the kernel, nothing sent to user space until the end.
import { failures, log, REPEATS, waitQuiet, type Tool } from "./common.ts";
import { streamOnce, type StreamSample } from "./stream.ts";

export async function countJob(tools: Tool[]): Promise<Map<string, StreamSample[]>> {
  const counting = tools.filter((t) => !t.streamOnly);
  const results = new Map<string, StreamSample[]>(counting.map((t) => [t.name, []]));
  for (let i = 0; i < REPEATS; i++) {
    for (const tool of counting) {
      await waitQuiet(20000);
      const s = await streamOnce(tool, "count");
      if (typeof s === "string") failures.push(s);
      else results.get(tool.name)!.push(s);
      log(`count ${tool.name}: run ${i + 1}/${REPEATS}${typeof s === "string" ? " FAILED" : `: ${s.received} of ${s.calls} counted`}`);
    }
  }
  return results;
}
