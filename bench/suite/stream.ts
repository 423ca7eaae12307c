// Job 2 of the benchmark suite: streaming events to user space as fast as the generator calls.
import { readFileSync, writeFileSync } from "node:fs";
import { errorLine, failures, GEN_CPU, keyValues, log, OUT, REPEATS, SECONDS, sh, sleep, SMOKE, waitFor, waitQuiet, writeScript, type Tool } from "./common.ts";

export interface StreamSample {
  untraced: number;
  traced: number;
  /** The generator's own CPU ns per call, untraced and traced (not counting time others had its CPU). */
  untracedCpu: number;
  tracedCpu: number;
  calls: number;
  received: number;
  reportedLost: number;
  seconds: number;
}

/** The generator alone, at full speed, for SECONDS: calls per second, and its CPU ns per call. */
export function untracedRate(): { rate: number; cpu: number } {
  const { rate, cpu_ns_per_call } = keyValues(sh([`${OUT}/gen`, "-d", String(SECONDS), "-c", GEN_CPU]));
  return { rate, cpu: cpu_ns_per_call };
}

/** One run of a job driven by the generator at full speed: "stream" (events to user code) or "count" (a count in the kernel). */
export async function streamOnce(tool: Tool, job: "stream" | "count" = "stream"): Promise<StreamSample | string> {
  const untraced = untracedRate();
  // The generator starts first and waits for "go", so the tool is attached to a live pid.
  const gen = Bun.spawn([`${OUT}/gen`, "-w", "-d", String(SECONDS), "-c", GEN_CPU], { stdin: "pipe", stdout: "pipe" });
  const genOut = gen.stdout.getReader();
  const firstLine = new TextDecoder().decode((await genOut.read()).value);
  const pid = Number(firstLine.match(/ready (\d+)/)?.[1]);
  if (tool.tsbpf) writeScript(job, pid, tool.ringBuf, tool.perfBuffer);
  const outFile = `${OUT}/stream-out.txt`, errFile = `${OUT}/stream-err.txt`;
  writeFileSync(outFile, "");
  writeFileSync(errFile, ""); // Bun.file() as stderr appends: each run reports its own errors
  const proc = Bun.spawn(tool.command(job, pid), {
    env: { ...process.env, ...tool.env },
    cwd: tool.cwd,
    stdin: "pipe",
    stdout: Bun.file(outFile),
    stderr: Bun.file(errFile),
  });
  try {
    const ready = () => readFileSync(outFile, "utf8").includes("READY");
    await waitFor(() => ready() || proc.exitCode !== null, 60000); // a tool that died is not waited for
    if (!ready()) {
      return `${tool.name} ${job}: never printed READY (${errorLine(readFileSync(errFile, "utf8"))})`;
    }
    gen.stdin.write("go\n");
    gen.stdin.end();
    let genText = "";
    for (let r = await genOut.read(); !r.done; r = await genOut.read()) genText += new TextDecoder().decode(r.value);
    await gen.exited;
    const { calls, rate, seconds, cpu_ns_per_call } = keyValues(genText);
    // Stop the tool; resend SIGINT every 2 s (bpftrace 0.17 may ignore one while printing).
    if (tool.stopBy === "stdin") proc.stdin.end();
    else proc.kill("SIGINT");
    for (let waited = 0; proc.exitCode === null && waited < 60000; waited += 100) {
      await sleep(100);
      if (tool.stopBy === "sigint" && waited % 2000 === 1900) proc.kill("SIGINT");
    }
    if (proc.exitCode === null) proc.kill("SIGKILL");
    await proc.exited;
    const text = readFileSync(outFile, "utf8");
    let received: number, reportedLost: number;
    const summary = text.match(/received=\d+ lost=\d+/);
    if (job === "count") {
      // tsbpf, libbpf C and bcc print "count=N"; bpftrace prints its map at exit: "@[PID]: N".
      received = Number(text.match(/count=(\d+)/)?.[1] ?? text.match(/^@\[\d+\]: (\d+)/m)?.[1] ?? 0);
      reportedLost = 0;
    } else if (summary) ({ received, lost: reportedLost } = keyValues(summary[0]));
    else {
      // bpftrace prints one line per event and reports perf-buffer losses as "Lost N events".
      received = text.match(/^E /gm)?.length ?? 0;
      const both = text + readFileSync(errFile, "utf8");
      reportedLost = [...both.matchAll(/Lost (\d+) events/g)].reduce((a, m) => a + Number(m[1]), 0);
    }
    if (!received) return `${tool.name} ${job}: no events ${job === "count" ? "counted" : "received"} (${errorLine(readFileSync(errFile, "utf8"))})`;
    return { untraced: untraced.rate, traced: rate, untracedCpu: untraced.cpu, tracedCpu: cpu_ns_per_call, calls, received, reportedLost, seconds };
  } finally {
    if (proc.exitCode === null) proc.kill("SIGKILL");
    if (gen.exitCode === null) gen.kill("SIGKILL");
  }
}

/**
 * BPF programs other processes have attached to perf events (tracepoints) right now. One on any
 * syscalls:* tracepoint puts every syscall of every process on the tracing slow path, which lowers
 * the generator's untraced rate for all tools alike; RESULTS.md lists them so a reader knows.
 */
export const foreign = new Set<string>();
export function noteForeignTracers(): void {
  const text = sh(["bpftool", "perf", "list"]);
  for (const m of text.matchAll(/pid (\d+)\s+fd \d+: prog_id \d+\s+(\w+)\s+(\S+)/g)) {
    let comm = "?";
    try {
      comm = readFileSync(`/proc/${m[1]}/comm`, "utf8").trim();
    } catch { /* gone already */ }
    foreign.add(`${m[2]} ${m[3]} (pid ${m[1]}, ${comm})`);
  }
}

export async function streamJob(tools: Tool[]): Promise<Map<string, StreamSample[]>> {
  const results = new Map<string, StreamSample[]>(tools.map((t) => [t.name, []]));
  for (let i = 0; i < REPEATS; i++) {
    for (const tool of tools) {
      await waitQuiet(20000);
      if (!SMOKE) noteForeignTracers();
      const s = await streamOnce(tool);
      if (typeof s === "string") failures.push(s);
      else results.get(tool.name)!.push(s);
      log(`stream ${tool.name}: run ${i + 1}/${REPEATS}${typeof s === "string" ? " FAILED" : `: ${(s.received / s.seconds / 1e6).toFixed(2)} M/s`}`);
    }
  }
  return results;
}
