// The idle job: what a tracer costs while its probes are attached and nothing fires. Each tool
// attaches the streaming (or counting) program to a generator that waits for "go" and never
// gets it, so no event is made; once the tool prints READY and has settled a second, we count its
// context switches (every thread's voluntary + involuntary, from /proc/PID/task/*/status) and its
// CPU time (every thread's schedstat) over IDLE_SECONDS.
//
// Why 30 s: a Bun process's own collector runs on a 1 s timer until its heap has been still for 30
// ticks (then every 30 s), and makes one full collection once the heap has been still for 10 s
// (again after 2 and 10 min): ≈ READY + 10.5 s for a tracer, 3-14 ms of CPU. A 10 s window opened
// a second after READY ended right there, so that collection, which comes once in minutes, was
// counted as a tenth of every second or not at all. 30 s from the same start holds it whole, and
// Bun's every fast tick with it: the costliest half-minute of an idle Bun process. Deno's V8 makes
// a collection of its own ≈ READY + 30 s (≈ 20 ms): counted when it falls inside, as it mostly does.
//
//   bun bench/idle.ts [--seconds S] [--only bun,bpftrace,...]   (as root, after bench/run.sh built bench/out)
//
// run.ts runs it as the "idle" job (--jobs idle) and puts its table into RESULTS.md.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

export interface IdleTool {
  name: string;
  /** A tsbpf row: judged against the targets. */
  tsbpf?: "bun" | "deno";
  /** The command against the waiting generator's pid, and the tsbpf script it runs (written first). */
  command(pid: number): string[];
  /** tsbpf: the bench/tsbpf template, and whether its RingBuf becomes a PerfBuffer. */
  script?: { job: "stream" | "count"; perfBuffer?: boolean };
  env?: Record<string, string>;
  cwd?: string;
}

export interface IdleSample {
  /** Context switches per second, every thread of the process: voluntary ones are its wakeups. */
  voluntary: number;
  /** Preemptions per second: mostly other load on the machine. */
  involuntary: number;
  /** CPU time per wall time, in percent of one CPU. */
  cpuPercent: number;
  threads: number;
}

/** The targets of issue 20: an idle tracer wakes at most 20 times a second and uses at most 0.2 % of a CPU. */
export const IDLE_TARGET = { wakeups: 20, cpuPercent: 0.2 };
/** How long each tool is measured, from a second after READY (see the top of this file). */
export const IDLE_SECONDS = 30;
/** How often the threads are read: a thread that ends between two reads loses only what it did since the last. */
const READ_EVERY_MS = 250;

interface TaskCounts {
  voluntary: number;
  involuntary: number;
  /** Nanoseconds on a CPU (the first field of /proc/PID/task/TID/schedstat). */
  cpuNs: number;
}

/** Every thread's counts now. */
function snapshot(pid: number): Map<string, TaskCounts> {
  const out = new Map<string, TaskCounts>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
      const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, "m").exec(status)?.[1] ?? 0);
      const cpuNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      out.set(tid, { voluntary: field("voluntary_ctxt_switches"), involuntary: field("nonvoluntary_ctxt_switches"), cpuNs });
    } catch { /* the thread ended meanwhile */ }
  }
  return out;
}

/**
 * Samples `pid` for `seconds`: its context switches and CPU time per second, thread by thread (a
 * new thread counts from 0). Read every READ_EVERY_MS, each thread's last reading kept: JavaScriptCore's
 * helper threads (its collector's, its warm-up one) end after a few idle seconds and are made
 * again for the next collection, and what they did is counted too.
 */
export async function measureIdle(pid: number, seconds: number): Promise<IdleSample> {
  const a = snapshot(pid), t0 = performance.now(), end = t0 + seconds * 1000;
  const b = new Map(a);
  let threads = a.size;
  for (let now = t0; now < end; now = performance.now()) {
    await new Promise((r) => setTimeout(r, Math.min(READ_EVERY_MS, end - now)));
    const seen = snapshot(pid);
    for (const [tid, counts] of seen) b.set(tid, counts);
    threads = Math.max(threads, seen.size);
  }
  const elapsed = (performance.now() - t0) / 1000;
  let voluntary = 0, involuntary = 0, cpuNs = 0;
  for (const [tid, end] of b) {
    const start = a.get(tid) ?? { voluntary: 0, involuntary: 0, cpuNs: 0 };
    voluntary += end.voluntary - start.voluntary;
    involuntary += end.involuntary - start.involuntary;
    cpuNs += end.cpuNs - start.cpuNs;
  }
  return { voluntary: voluntary / elapsed, involuntary: involuntary / elapsed, cpuPercent: cpuNs / 1e7 / elapsed, threads };
}

/** Starts `tool` against a generator that never runs, waits for READY and a settling second, measures, stops it. */
export async function idleOnce(tool: IdleTool, out: string, seconds: number, writeScript: (job: string, pid: number, perfBuffer?: boolean) => void): Promise<IdleSample | string> {
  const gen = Bun.spawn([`${out}/gen`, "-w", "-d", "1"], { stdin: "pipe", stdout: "pipe" });
  const first = new TextDecoder().decode((await gen.stdout.getReader().read()).value);
  const pid = Number(first.match(/ready (\d+)/)?.[1]);
  if (tool.script) writeScript(tool.script.job, pid, tool.script.perfBuffer);
  const outFile = `${out}/idle-out.txt`, errFile = `${out}/idle-err.txt`;
  writeFileSync(outFile, "");
  writeFileSync(errFile, "");
  const proc = Bun.spawn(tool.command(pid), {
    env: { ...process.env, ...tool.env }, cwd: tool.cwd, stdin: "pipe", stdout: Bun.file(outFile), stderr: Bun.file(errFile),
  });
  try {
    const ready = () => readFileSync(outFile, "utf8").includes("READY");
    for (const end = Date.now() + 60000; !ready() && proc.exitCode === null && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
    if (!ready()) return `${tool.name} idle: never printed READY (${readFileSync(errFile, "utf8").trim().split("\n").at(-1)})`;
    await new Promise((r) => setTimeout(r, 1000)); // start-up's own work (JIT, GC, caches) settles
    return await measureIdle(proc.pid, seconds);
  } finally {
    proc.kill("SIGINT");
    const exited = await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 5000))]);
    if (exited === undefined) proc.kill("SIGKILL");
    gen.kill("SIGKILL");
  }
}

/** The idle table: per tool, median wakeups/s and CPU %, as ratios to bpftrace and libbpf C. */
export function idleTable(results: Map<string, IdleSample[]>): string[] {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
  };
  const stats = (name: string) => {
    const xs = results.get(name) ?? [];
    return {
      voluntary: median(xs.map((s) => s.voluntary)), all: median(xs.map((s) => s.voluntary + s.involuntary)),
      cpu: median(xs.map((s) => s.cpuPercent)), threads: Math.max(0, ...xs.map((s) => s.threads)),
    };
  };
  const ratio = (x: number, base: number) => (isNaN(x) || isNaN(base) || !base ? "—" : `${(x / base).toFixed(2)}×`);
  const bpftrace = stats("bpftrace"), libbpf = stats("libbpf C");
  const rows = [
    "| tool | wakeups/s (voluntary switches) | all switches/s (+ preemptions) | CPU % of one core | threads | wakeups vs bpftrace | vs libbpf C | tsbpf target (≤ 20 wakeups/s, ≤ 0.2 %) |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const name of results.keys()) {
    const s = stats(name);
    const ok = s.voluntary <= IDLE_TARGET.wakeups && s.cpu <= IDLE_TARGET.cpuPercent;
    rows.push(`| ${name} | ${s.voluntary.toFixed(1)} | ${s.all.toFixed(1)} | ${s.cpu.toFixed(3)} | ${s.threads} | ${ratio(s.voluntary, bpftrace.voluntary)} | ` +
      `${ratio(s.voluntary, libbpf.voluntary)} | ${name.startsWith("tsbpf") ? (ok ? "met ✅" : "missed ❌") : ""} |`);
  }
  return rows;
}

/** Every tool's idle variant: the libbpf C loader and bpftrace beside tsbpf's three kinds of tracer. */
/** `project`: where the tsbpf scripts are written and run (the installed package's project), else the tree's bench/out. */
export function idleTools(p: { root: string; tree: string; out: string; bun: string; deno: string; project?: string }): IdleTool[] {
  const script = (job: string) => p.project ? `${p.project}/${job}.ts` : `${p.tree}/bench/out/${job}.ts`;
  const tsbpf = (rt: "bun" | "deno", label: string, job: "stream" | "count", perfBuffer?: boolean): IdleTool => ({
    name: `tsbpf ${rt === "bun" ? "Bun" : "Deno"}, ${label}`,
    tsbpf: rt,
    script: { job, perfBuffer },
    command: () => rt === "bun" ? [p.bun, "run", script(job)] : [p.deno, "run", "--allow-ffi", script(job)],
    cwd: p.project ?? p.tree,
  });
  return [
    // ring_buffer__poll(rb, 100): asleep in epoll, with a 100 ms timeout to check for a signal.
    { name: "libbpf C", command: (pid) => [`${p.out}/loader`, `${p.out}/stream.bpf.o`, String(pid)] },
    { name: "libbpf C, 1 ms batches", command: (pid) => [`${p.out}/loader`, `${p.out}/stream.bpf.o`, String(pid), "1"] },
    { name: "libbpf C, perf buffer", command: (pid) => [`${p.out}/loader`, `${p.out}/stream_perf.bpf.o`, String(pid)] },
    { name: "libbpf C, maps only", command: (pid) => [`${p.out}/loader`, `${p.out}/count.bpf.o`, String(pid)] },
    // printf: bpftrace's perf buffer, polled by its own epoll loop.
    { name: "bpftrace", command: (pid) => ["bpftrace", `${p.root}/bench/ref/stream.bt`, String(pid)] },
    { name: "bpftrace, maps only", command: (pid) => ["bpftrace", `${p.root}/bench/ref/count.bt`, String(pid)] },
    ...(["bun", "deno"] as const).flatMap((rt) => [
      tsbpf(rt, "RingBuf", "stream"),
      tsbpf(rt, "PerfBuffer", "stream", true),
      tsbpf(rt, "maps only", "count"),
    ]),
  ];
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({ options: { seconds: { type: "string", default: String(IDLE_SECONDS) }, only: { type: "string" }, repeats: { type: "string", default: "1" } } });
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const out = `${root}/bench/out`;
  const { mkdirSync } = await import("node:fs");
  const writeScript = (job: string, pid: number, perfBuffer?: boolean) => {
    mkdirSync(out, { recursive: true });
    let source = readFileSync(`${root}/bench/tsbpf/${job}.ts`, "utf8").replaceAll("4294967295", String(pid));
    if (perfBuffer) source = source.replaceAll("RingBuf", "PerfBuffer");
    writeFileSync(`${out}/${job}.ts`, source);
  };
  let tools = idleTools({ root, tree: root, out, bun: `${root}/node_modules/.bin/bun`, deno: `${root}/node_modules/.bin/deno` });
  if (values.only) {
    const names = values.only.split(",").map((s) => s.trim().toLowerCase());
    tools = tools.filter((t) => names.some((n) => t.name.toLowerCase().includes(n)));
  }
  const results = new Map<string, IdleSample[]>(tools.map((t) => [t.name, []]));
  for (let i = 0; i < Number(values.repeats); i++) {
    for (const tool of tools) {
      const s = await idleOnce(tool, out, Number(values.seconds), writeScript);
      if (typeof s === "string") console.error(s);
      else results.get(tool.name)!.push(s);
      console.error(`idle ${tool.name}: ${typeof s === "string" ? "FAILED" : `${s.voluntary.toFixed(1)} wakeups/s, ${s.cpuPercent.toFixed(3)} %`}`);
    }
  }
  console.log(idleTable(results).join("\n"));
}
