// The benchmark suite's shared parts: its options, the tools it measures side by side and the
// helpers every job uses (bench/run.ts runs the jobs and writes the report).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const OUT = `${ROOT}/bench/out`;
export const BUN = `${ROOT}/node_modules/.bin/bun`;
export const DENO = `${ROOT}/node_modules/.bin/deno`;
export const PLACEHOLDER = "4294967295"; // the pid literal in bench/tsbpf/*.ts
// The generator runs on CPU 1, so its traced and untraced rates are measured on the same core.
export const GEN_CPU = "1";

export const { values: opts } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    runs: { type: "string", default: "20" },
    seconds: { type: "string", default: "5" },
    repeats: { type: "string", default: "3" },
    only: { type: "string" },
    // The tsbpf checkout to measure (run.sh --commit REV extracts one): the scripts are copied
    // into its bench/out/ and run from there, so edits in the work tree cannot change a run midway.
    tree: { type: "string" },
    jobs: { type: "string", default: "launch,profile,coldprofile,stream,count,idle" },
    // A partial run (e.g. --jobs stream --only perf) written to its own marked section of
    // RESULTS.md, leaving the full suite's section as it was.
    section: { type: "string", default: "suite" },
    // A project with the tree's npm package installed (run.sh makes it): the tsbpf scripts run
    // there, as a user's would. Without it (run.ts alone), from the tree's sources.
    package: { type: "string" },
  },
});
export const SMOKE = opts.smoke!;
export const TREE = opts.tree ?? ROOT;
/** Where the tsbpf scripts run: the installed package's project, else the tree. */
export const PROJECT = opts.package ?? TREE;
/** The tsbpf command as a user runs it: the package's, else the tree's bin/tsbpf. */
export const TSBPF_BIN = opts.package ? `${opts.package}/node_modules/.bin/tsbpf` : `${TREE}/bin/tsbpf`;
export const RUNS = SMOKE ? 1 : Number(opts.runs);
export const SECONDS = SMOKE ? 0.3 : Number(opts.seconds);
export const REPEATS = SMOKE ? 1 : Number(opts.repeats);

// ------------------------------------------------------------------------------------ tools

export interface Tool {
  name: string;
  /** Targets from issue 7 apply to tsbpf rows only. */
  tsbpf?: "bun" | "deno";
  /** Left out of the launch job (a variant that only differs in how it streams). */
  streamOnly?: boolean;
  /** tsbpf: the ring buffer size written into the stream script (default: RingBuf's own, 4 MiB). */
  ringBuf?: string;
  /** tsbpf: the stream script with a PerfBuffer (its default, 1 MiB per CPU) in place of its RingBuf. */
  perfBuffer?: boolean;
  /** Command for a job ("launch1", "launch5", "stream" or "count") against the generator `pid`. */
  command(job: string, pid: number): string[];
  env?: Record<string, string>;
  cwd?: string;
  /** How the streaming run is told to finish: tsbpf scripts wait for stdin to close. */
  stopBy: "stdin" | "sigint";
}

/**
 * Where a job's script is written. The profiles reach into tsbpf's internals by relative path,
 * so they run from the tree's sources; every other job from PROJECT.
 */
export const tsbpfScript = (job: string) => /profile$/.test(job) ? `${TREE}/bench/out/${job}.ts` : opts.package ? `${PROJECT}/${job}.ts` : `${TREE}/bench/out/${job}.ts`;
/** The working directory of a job's tsbpf run (Deno and Bun find their configuration from it). */
export const tsbpfCwd = (job: string) => /profile$/.test(job) ? TREE : PROJECT;
export const TOOLS: Tool[] = [
  { name: "libbpf C", command: (job, pid) => [`${OUT}/loader`, `${OUT}/${job}.bpf.o`, String(pid)], stopBy: "sigint" },
  // Streaming only: the same program drained every 1 ms instead of woken per event by epoll.
  {
    name: "libbpf C, 1 ms batches",
    streamOnly: true,
    command: (job, pid) => [`${OUT}/loader`, `${OUT}/${job}.bpf.o`, String(pid), "1"],
    stopBy: "sigint",
  },
  { name: "bpftrace", command: (job, pid) => ["bpftrace", `${ROOT}/bench/ref/${job}.bt`, String(pid)], stopBy: "sigint" },
  {
    name: "bcc (Python)",
    command: (job, pid) => ["/usr/bin/python3", `${ROOT}/bench/ref/bcc_tool.py`, job, String(pid)],
    env: { BCC_KERNEL_SOURCE: `${OUT}/kernel-headers` },
    stopBy: "sigint",
  },
  // Run from PROJECT (or the tree's root): Deno and Bun find what "tsbpf" is from the working directory.
  { name: "tsbpf Bun", tsbpf: "bun", command: (job) => [BUN, "run", tsbpfScript(job)], cwd: PROJECT, stopBy: "stdin" },
  { name: "tsbpf Deno", tsbpf: "deno", command: (job) => [DENO, "run", "--allow-ffi", tsbpfScript(job)], cwd: PROJECT, stopBy: "stdin" },
  // Streaming only: the same script with the 256 KiB ring buffer of libbpf-tools (RingBuf's default
  // before it became 4 MiB), to tell drain pauses from throughput.
  ...(["bun", "deno"] as const).map((rt): Tool => ({
    name: `tsbpf ${rt === "bun" ? "Bun" : "Deno"}, 256 KiB ring buffer`,
    tsbpf: rt,
    streamOnly: true,
    ringBuf: "256 * 1024",
    command: (job) => rt === "bun" ? [BUN, "run", tsbpfScript(job)] : [DENO, "run", "--allow-ffi", tsbpfScript(job)],
    cwd: PROJECT,
    stopBy: "stdin",
  })),
  // Streaming only, perf buffers (BPF_MAP_TYPE_PERF_EVENT_ARRAY, PerfBuffer's default 1 MiB per CPU) instead of the ring buffer.
  {
    name: "libbpf C, perf buffer",
    streamOnly: true,
    command: (_job, pid) => [`${OUT}/loader`, `${OUT}/stream_perf.bpf.o`, String(pid)],
    stopBy: "sigint",
  },
  {
    name: "libbpf C, perf buffer, 1 ms batches",
    streamOnly: true,
    command: (_job, pid) => [`${OUT}/loader`, `${OUT}/stream_perf.bpf.o`, String(pid), "1"],
    stopBy: "sigint",
  },
  // As tsbpf opens its perf buffers: no wakeup per event (the kernel's watermark at the buffer's size).
  {
    name: "libbpf C, perf buffer, 1 ms batches, no wakeups",
    streamOnly: true,
    command: (_job, pid) => [`${OUT}/loader`, `${OUT}/stream_perf.bpf.o`, String(pid), "1"],
    env: { PERF_WATERMARK: "1" },
    stopBy: "sigint",
  },
  ...(["bun", "deno"] as const).map((rt): Tool => ({
    name: `tsbpf ${rt === "bun" ? "Bun" : "Deno"}, PerfBuffer`,
    tsbpf: rt,
    streamOnly: true,
    perfBuffer: true,
    command: (job) => rt === "bun" ? [BUN, "run", tsbpfScript(job)] : [DENO, "run", "--allow-ffi", tsbpfScript(job)],
    cwd: PROJECT,
    stopBy: "stdin",
  })),
];

export function selectedTools(): Tool[] {
  let tools = SMOKE ? TOOLS.filter((t) => t.tsbpf && !t.ringBuf && !t.perfBuffer) : TOOLS;
  if (opts.only) {
    // A tool's whole name is taken as it is (some have commas: "libbpf C, 1 ms batches").
    const whole = tools.filter((t) => t.name.toLowerCase() === opts.only!.trim().toLowerCase());
    const names = opts.only.split(",").map((s) => s.trim().toLowerCase());
    tools = whole.length ? whole : tools.filter((t) => names.some((n) => t.name.toLowerCase().includes(n)));
  }
  // A reference the install step could not provide is left out, and the results say so.
  return tools.filter((t) => {
    const ok = t.name !== "bcc (Python)" || existsSync(`${OUT}/kernel-headers/include`);
    if (!ok) skipped.push(`${t.name}: no kernel headers for bcc in bench/out/kernel-headers`);
    return ok;
  });
}
export const skipped: string[] = [];

// ------------------------------------------------------------------------------------ helpers

export function sh(cmd: string[], env?: Record<string, string>, cwd?: string): string {
  const r = Bun.spawnSync(cmd, { env: { ...process.env, ...env }, stderr: "pipe", cwd });
  return r.stdout.toString().trim();
}

/** The line of a tool's stderr that says what went wrong: the first mentioning an error, else the last. */
export function errorLine(stderr: string): string {
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? "no output").slice(0, 200);
}

export function keyValues(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(-?[\d.]+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const at = (s.length - 1) * q, lo = Math.floor(at), hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}
export const median = (xs: number[]) => quantile(xs, 0.5);

/** Copies a bench/tsbpf template to bench/out with the generator's pid in place of the placeholder. */
export function writeScript(job: string, pid: number, ringBuf?: string, perfBuffer?: boolean): void {
  mkdirSync(`${TREE}/bench/out`, { recursive: true });
  mkdirSync(PROJECT, { recursive: true });
  let source = readFileSync(`${ROOT}/bench/tsbpf/${job}.ts`, "utf8").replaceAll(PLACEHOLDER, String(pid));
  if (ringBuf) source = source.replace(/new RingBuf<(\w+)>\(\)/, `new RingBuf<$1>(${ringBuf})`);
  if (perfBuffer) source = source.replaceAll("RingBuf", "PerfBuffer");
  writeFileSync(tsbpfScript(job), source);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(10)) if (check()) return true;
  return check();
}

/** Fraction of all CPUs' time spent idle over `ms` milliseconds (from /proc/stat). */
export async function idleFraction(ms: number): Promise<number> {
  const sample = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  await sleep(ms);
  const b = sample();
  return (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

// The machine is shared (other sessions run QEMU guests and test suites on the same 2 cores),
// so before each measurement wait, for a while, until the CPUs are mostly idle.
export const quiet = { checks: 0, busy: 0 };
export async function waitQuiet(maxMs: number): Promise<void> {
  if (SMOKE) return;
  quiet.checks++;
  for (const end = Date.now() + maxMs; Date.now() < end;) if ((await idleFraction(250)) >= 0.85) return;
  quiet.busy++;
  log(`  (machine busy: measuring anyway after ${maxMs / 1000} s)`);
}

export function log(msg: string): void {
  process.stderr.write(msg + "\n");
}


/** What went wrong in a job, one line each (the report counts repeats). */
export const failures: string[] = [];
