// The benchmark suite: tsbpf (Bun and Deno) side by side with hand-written libbpf C, bpftrace
// and bcc, on the same machine, in the same run, with the same workload (bench/gen.c).
// Start it through bench/run.sh, which installs the references and builds the C parts first:
//
//   bash bench/run.sh            full suite, writes bench/RESULTS.md
//   bash bench/run.sh --smoke    each tsbpf job once, tiny counts; exits 1 if one yields no events
//
// Options (after run.sh): --runs N (launch runs per tool, default 20), --seconds S (streaming
// duration, default 5), --repeats N (streaming runs per tool, default 3), --only a,b (tools, by
// name fragment: libbpf, bpftrace, bcc, bun, deno), --jobs launch,profile,stream,count,idle, --section NAME
// (write a partial streaming run to its own section of RESULTS.md instead of the suite's).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { idleOnce, type IdleSample, idleTable, idleTools } from "./idle.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const OUT = `${ROOT}/bench/out`;
const BUN = `${ROOT}/node_modules/.bin/bun`;
const DENO = `${ROOT}/node_modules/.bin/deno`;
const PLACEHOLDER = "4294967295"; // the pid literal in bench/tsbpf/*.ts
// The generator runs on CPU 1, so its traced and untraced rates are measured on the same core.
const GEN_CPU = "1";

const { values: opts } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    runs: { type: "string", default: "20" },
    seconds: { type: "string", default: "5" },
    repeats: { type: "string", default: "3" },
    only: { type: "string" },
    // The tsbpf checkout to measure (run.sh --commit REV extracts one): the scripts are copied
    // into its bench/out/ and run from there, so edits in the work tree cannot change a run midway.
    tree: { type: "string" },
    jobs: { type: "string", default: "launch,profile,stream,count,idle" },
    // A partial run (e.g. --jobs stream --only perf) written to its own marked section of
    // RESULTS.md, leaving the full suite's section as it was.
    section: { type: "string", default: "suite" },
  },
});
const SMOKE = opts.smoke!;
const TREE = opts.tree ?? ROOT;
const RUNS = SMOKE ? 1 : Number(opts.runs);
const SECONDS = SMOKE ? 0.3 : Number(opts.seconds);
const REPEATS = SMOKE ? 1 : Number(opts.repeats);

// ------------------------------------------------------------------------------------ tools

interface Tool {
  name: string;
  /** Targets from issue 7 apply to tsbpf rows only. */
  tsbpf?: "bun" | "deno";
  /** Left out of the launch job (a variant that only differs in how it streams). */
  streamOnly?: boolean;
  /** tsbpf: the ring buffer size written into the stream script (default: RingBuf's own, 256 KiB). */
  ringBuf?: string;
  /** tsbpf: the stream script with a PerfBuffer (256 KiB per CPU) in place of its RingBuf. */
  perfBuffer?: boolean;
  /** Command for a job ("launch1", "launch5", "stream" or "count") against the generator `pid`. */
  command(job: string, pid: number): string[];
  env?: Record<string, string>;
  cwd?: string;
  /** How the streaming run is told to finish: tsbpf scripts wait for stdin to close. */
  stopBy: "stdin" | "sigint";
}

const tsbpfScript = (job: string) => `${TREE}/bench/out/${job}.ts`;
const TOOLS: Tool[] = [
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
  // Run from the tree's root: Deno finds its deno.json (the "tsbpf" import) from the working directory.
  { name: "tsbpf Bun", tsbpf: "bun", command: (job) => [BUN, "run", tsbpfScript(job)], cwd: TREE, stopBy: "stdin" },
  { name: "tsbpf Deno", tsbpf: "deno", command: (job) => [DENO, "run", "--allow-ffi", tsbpfScript(job)], cwd: TREE, stopBy: "stdin" },
  // Streaming only: the same script with a 4 MiB ring buffer, to tell drain pauses from throughput.
  ...(["bun", "deno"] as const).map((rt): Tool => ({
    name: `tsbpf ${rt === "bun" ? "Bun" : "Deno"}, 4 MiB ring buffer`,
    tsbpf: rt,
    streamOnly: true,
    ringBuf: "4 * 1024 * 1024",
    command: (job) => rt === "bun" ? [BUN, "run", tsbpfScript(job)] : [DENO, "run", "--allow-ffi", tsbpfScript(job)],
    cwd: TREE,
    stopBy: "stdin",
  })),
  // Streaming only, perf buffers (BPF_MAP_TYPE_PERF_EVENT_ARRAY, 256 KiB per CPU) instead of the ring buffer.
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
    cwd: TREE,
    stopBy: "stdin",
  })),
];

function selectedTools(): Tool[] {
  let tools = SMOKE ? TOOLS.filter((t) => t.tsbpf && !t.ringBuf && !t.perfBuffer) : TOOLS;
  if (opts.only) {
    const names = opts.only.split(",").map((s) => s.trim().toLowerCase());
    tools = tools.filter((t) => names.some((n) => t.name.toLowerCase().includes(n)));
  }
  // A reference the install step could not provide is left out, and the results say so.
  return tools.filter((t) => {
    const ok = t.name !== "bcc (Python)" || existsSync(`${OUT}/kernel-headers/include`);
    if (!ok) skipped.push(`${t.name}: no kernel headers for bcc in bench/out/kernel-headers`);
    return ok;
  });
}
const skipped: string[] = [];

// ------------------------------------------------------------------------------------ helpers

function sh(cmd: string[], env?: Record<string, string>, cwd?: string): string {
  const r = Bun.spawnSync(cmd, { env: { ...process.env, ...env }, stderr: "pipe", cwd });
  return r.stdout.toString().trim();
}

/** The line of a tool's stderr that says what went wrong: the first mentioning an error, else the last. */
function errorLine(stderr: string): string {
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? "no output").slice(0, 200);
}

function keyValues(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(-?[\d.]+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const at = (s.length - 1) * q, lo = Math.floor(at), hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}
const median = (xs: number[]) => quantile(xs, 0.5);

/** Copies a bench/tsbpf template to bench/out with the generator's pid in place of the placeholder. */
function writeScript(job: string, pid: number, ringBuf?: string, perfBuffer?: boolean): void {
  mkdirSync(`${TREE}/bench/out`, { recursive: true });
  let source = readFileSync(`${ROOT}/bench/tsbpf/${job}.ts`, "utf8").replaceAll(PLACEHOLDER, String(pid));
  if (ringBuf) source = source.replace(/new RingBuf<(\w+)>\(\)/, `new RingBuf<$1>(${ringBuf})`);
  if (perfBuffer) source = source.replaceAll("RingBuf", "PerfBuffer");
  writeFileSync(tsbpfScript(job), source);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(10)) if (check()) return true;
  return check();
}

/** Fraction of all CPUs' time spent idle over `ms` milliseconds (from /proc/stat). */
async function idleFraction(ms: number): Promise<number> {
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
const quiet = { checks: 0, busy: 0 };
async function waitQuiet(maxMs: number): Promise<void> {
  if (SMOKE) return;
  quiet.checks++;
  for (const end = Date.now() + maxMs; Date.now() < end;) if ((await idleFraction(250)) >= 0.85) return;
  quiet.busy++;
  log(`  (machine busy: measuring anyway after ${maxMs / 1000} s)`);
}

function log(msg: string): void {
  process.stderr.write(msg + "\n");
}

// ------------------------------------------------------------------------------------ job 1: launch

interface LaunchSample {
  first: number;
  exit: number;
  rssKb: number;
  sigints: number;
}
interface Variant {
  label: string;
  tool: Tool;
  env?: Record<string, string>;
  /** Replaces the tool's script (the baselines that print at once, for tsbpf rows). */
  script?: string;
}

/** Variants of the launch job: tsbpf warm (compile cache hit) and cold (TSBPF_NO_CACHE=1). */
function launchVariants(tools: Tool[]): Variant[] {
  const out: Variant[] = [];
  for (const tool of tools) {
    if (tool.streamOnly) continue;
    if (!tool.tsbpf) out.push({ label: tool.name, tool });
    else {
      out.push({ label: `${tool.name}, warm`, tool });
      out.push({ label: `${tool.name}, cold`, tool, env: { TSBPF_NO_CACHE: "1" } });
      // Where the time goes: the runtime alone, and the runtime plus tsbpf's modules.
      if (!SMOKE) {
        out.push({ label: `${tool.name}: baseline, empty script`, tool, script: "hello" });
        out.push({ label: `${tool.name}: baseline, import tsbpf only`, tool, script: "import_only" });
      }
    }
  }
  return out;
}

function launchOnce(v: Variant, job: string, pid: number): LaunchSample | string {
  const cmd = [`${OUT}/launch`, "-m", "E ", "-t", "20000", "--", ...v.tool.command(v.script ?? job, pid)];
  const r = Bun.spawnSync(cmd, { env: { ...process.env, ...v.tool.env, ...v.env }, stderr: "pipe", cwd: v.tool.cwd });
  const kv = keyValues(r.stdout.toString());
  if (r.exitCode !== 0 || !(kv.first_ms >= 0)) return `${v.label} ${job}: no event (${errorLine(r.stderr.toString())})`;
  return { first: kv.first_ms, exit: kv.exit_ms, rssKb: kv.maxrss_kb, sigints: kv.sigints };
}

async function launchJob(tools: Tool[]): Promise<Map<string, Map<string, LaunchSample[]>>> {
  // One slow generator for the whole job: an event every ~150 µs, so a started tool never
  // waits long for one; and one pid, so the tsbpf scripts' source (the compile cache key)
  // stays the same across runs and "warm" really hits the cache.
  const gen = Bun.spawn([`${OUT}/gen`, "-i", "100"], { stdout: "ignore" });
  const results = new Map<string, Map<string, LaunchSample[]>>();
  try {
    for (const job of ["launch1", "launch5", "hello", "import_only"]) writeScript(job, gen.pid);
    const variants = launchVariants(tools);
    for (const job of ["launch1", "launch5"]) {
      const byVariant = new Map<string, LaunchSample[]>(variants.map((v) => [v.label, []]));
      results.set(job, byVariant);
      // One unmeasured run each: fills the tsbpf compile cache, Deno's module cache and the page cache.
      if (!SMOKE) for (const v of variants) launchOnce(v, job, gen.pid);
      // Interleaved, so a noisy second of the machine hits every tool alike.
      for (let i = 0; i < RUNS; i++) {
        await waitQuiet(10000);
        for (const v of variants) {
          const s = launchOnce(v, job, gen.pid);
          if (typeof s === "string") failures.push(s);
          else byVariant.get(v.label)!.push(s);
        }
        log(`launch ${job}: run ${i + 1}/${RUNS}`);
      }
    }
  } finally {
    gen.kill("SIGTERM");
    await gen.exited;
  }
  return results;
}

// ------------------------------------------------------------------------------------ job 1, explained

const PHASES: [string, string][] = [
  ["boot", "runtime start until the script's body runs¹"], ["libc", "dlopen libc (FFI)"], ["target", "load the probe kind"],
  ["hash", "cache key (SHA-256)"], ["cache_read", "read cached spec"], ["import_compiler", "load the compiler (cold)"],
  ["compile", "compile (cold)"], ["maps", "create maps"], ["prog_load", "load + verify program"], ["attach", "perf_event_open + link"],
  ["first_event_wait", "start() resolved → first event in JS²"], ["close", "close link, perf event, program, maps³"],
];

/** Runs bench/tsbpf/profile.ts, which times the steps of Tracer.start() one by one. */
async function profileJob(tools: Tool[]): Promise<Map<string, Record<string, number[]>>> {
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
          const line = sh(tool.command("profile", gen.pid), env, tool.cwd);
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

function profileTable(results: Map<string, Record<string, number[]>>): string[] {
  const labels = [...results.keys()];
  const rows = [`| step | ${labels.join(" | ")} |`, `|---|${labels.map(() => "---|").join("")}`];
  for (const [key, what] of PHASES) {
    rows.push(`| ${what} | ${labels.map((l) => ms(median(results.get(l)![key] ?? []))).join(" | ")} |`);
  }
  return rows;
}

// ------------------------------------------------------------------------------------ job 2: streaming

interface StreamSample {
  untraced: number;
  traced: number;
  calls: number;
  received: number;
  reportedLost: number;
  seconds: number;
}

/** The generator alone, at full speed, for SECONDS: calls per second. */
function untracedRate(): number {
  return keyValues(sh([`${OUT}/gen`, "-d", String(SECONDS), "-c", GEN_CPU])).rate;
}

/** One run of a job driven by the generator at full speed: "stream" (events to user code) or "count" (a count in the kernel). */
async function streamOnce(tool: Tool, job: "stream" | "count" = "stream"): Promise<StreamSample | string> {
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
    const { calls, rate, seconds } = keyValues(genText);
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
    return { untraced, traced: rate, calls, received, reportedLost, seconds };
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
const foreign = new Set<string>();
function noteForeignTracers(): void {
  const text = sh(["bpftool", "perf", "list"]);
  for (const m of text.matchAll(/pid (\d+)\s+fd \d+: prog_id \d+\s+(\w+)\s+(\S+)/g)) {
    let comm = "?";
    try {
      comm = readFileSync(`/proc/${m[1]}/comm`, "utf8").trim();
    } catch { /* gone already */ }
    foreign.add(`${m[2]} ${m[3]} (pid ${m[1]}, ${comm})`);
  }
}

async function streamJob(tools: Tool[]): Promise<Map<string, StreamSample[]>> {
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

// ------------------------------------------------------------------------------------ job 3: in-kernel count

async function countJob(tools: Tool[]): Promise<Map<string, StreamSample[]>> {
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

// ------------------------------------------------------------------------------------ job 4: idle

/** Each tool attached to a generator that never runs: its wakeups and CPU while nothing happens (bench/idle.ts). */
async function idleJob(): Promise<Map<string, IdleSample[]>> {
  let tools = idleTools({ root: ROOT, tree: TREE, out: OUT, bun: BUN, deno: DENO }).filter((t) => !SMOKE || t.tsbpf);
  if (opts.only) {
    const names = opts.only.split(",").map((s) => s.trim().toLowerCase());
    tools = tools.filter((t) => names.some((n) => t.name.toLowerCase().includes(n)));
  }
  const results = new Map<string, IdleSample[]>(tools.map((t) => [t.name, []]));
  for (let i = 0; i < REPEATS; i++) {
    for (const tool of tools) {
      await waitQuiet(20000);
      const s = await idleOnce(tool, OUT, SMOKE ? 0.5 : 10, (job, pid, perfBuffer) => writeScript(job, pid, undefined, perfBuffer));
      if (typeof s === "string") failures.push(s);
      else results.get(tool.name)!.push(s);
      log(`idle ${tool.name}: run ${i + 1}/${REPEATS}${typeof s === "string" ? " FAILED" : `: ${s.voluntary.toFixed(1)} wakeups/s, ${s.cpuPercent.toFixed(3)} % CPU`}`);
    }
  }
  return results;
}

// ------------------------------------------------------------------------------------ report

const failures: string[] = [];

interface Targets {
  launch1: Record<string, number>;
  launch5: Record<string, number>;
}
// Issue 7's tsbpf targets (launch in ms).
const TARGETS: Targets = { launch1: { bun: 10, deno: 25 }, launch5: { bun: 15 } };
const TARGET_RSS_MB = 60, TARGET_RATE = 1.5e6, TARGET_ADDED_NS = 500, TARGET_COUNT_NS = 260;

const ms = (x: number) => (isNaN(x) ? "—" : x < 10 ? x.toFixed(2) : x.toFixed(1));
const ratio = (x: number, base: number) => (isNaN(x) || isNaN(base) || !base ? "—" : `${(x / base).toFixed(2)}×`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? "" : ok ? " ✅" : " ❌");

function environment(): string[] {
  const first = (s: string) => s.split("\n")[0];
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  return [
    `- date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- kernel: ${sh(["uname", "-r"])}; CPU: ${cpu} × ${navigator.hardwareConcurrency}`,
    `- Bun ${sh([BUN, "--version"])}; Deno ${first(sh([DENO, "--version"])).replace(/^deno /, "")}`,
    `- bpftrace ${sh(["bpftrace", "--version"]).replace(/^bpftrace v?/, "")}; bcc ${sh(["/usr/bin/python3", "-c", "import bcc; print(bcc.__version__)"])}; ` +
      `libbpf ${sh(["dpkg-query", "-W", "-f", "${Version}", "libbpf-dev"])}; ${first(sh(["clang", "--version"]))}; ${first(sh(["cc", "--version"]))}`,
    TREE === ROOT
      ? `- tsbpf: the work tree at commit ${sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])}` +
        (sh(["git", "-C", ROOT, "status", "--porcelain", "--", ".", ":!bench"]) ? " **with uncommitted changes**" : "")
      : `- tsbpf: ${readFileSync(`${TREE}/.bench-commit`, "utf8").trim()} (a clean snapshot in ${TREE.replace(ROOT + "/", "")})`,
  ];
}

function launchTable(results: Map<string, Map<string, LaunchSample[]>>): string[] {
  const rows: string[] = [
    "| tool | 1 probe: median ms (p25–p75) | vs libbpf C | tsbpf target | 5 probes + 2 maps: median ms (p25–p75) | vs libbpf C | tsbpf target |",
    "|---|---|---|---|---|---|---|",
  ];
  const base = (job: string) => median((results.get(job)?.get("libbpf C") ?? []).map((s) => s.first));
  const labels = [...(results.get("launch1")?.keys() ?? [])];
  for (const label of labels) {
    const cells = [label];
    for (const job of ["launch1", "launch5"]) {
      const xs = (results.get(job)?.get(label) ?? []).map((s) => s.first);
      const m = median(xs);
      const runtime = label.includes("baseline") ? undefined : label.startsWith("tsbpf Bun") ? "bun" : label.startsWith("tsbpf Deno") ? "deno" : undefined;
      const target = runtime ? TARGETS[job as keyof Targets][runtime] : undefined;
      cells.push(`${ms(m)} (${ms(quantile(xs, 0.25))}–${ms(quantile(xs, 0.75))})`, ratio(m, base(job)),
        target === undefined ? "" : `≤ ${target} ms: ${ratio(m, target)}${verdict(m <= target)}`);
    }
    rows.push(`| ${cells.join(" | ")} |`);
  }
  return rows;
}

function exitTable(results: Map<string, Map<string, LaunchSample[]>>): string[] {
  const rows = [
    "| tool | peak RSS, 1 probe (MB) | SIGINT → exit, 1 probe (ms) | SIGINT → exit, 5 probes (ms) | SIGINTs needed (max) |",
    "|---|---|---|---|---|",
  ];
  const get = (job: string, label: string) => results.get(job)?.get(label) ?? [];
  const baseExit = (job: string) => median(get(job, "libbpf C").map((s) => s.exit));
  for (const label of results.get("launch1")?.keys() ?? []) {
    if (label.includes("baseline")) continue; // they exit on their own
    const one = get("launch1", label), five = get("launch5", label);
    const rss = median(one.map((s) => s.rssKb)) / 1024;
    const tsbpf = label.startsWith("tsbpf");
    const e1 = median(one.map((s) => s.exit)), e5 = median(five.map((s) => s.exit));
    rows.push(`| ${label} | ${rss.toFixed(1)}${tsbpf ? ` (target ≤ ${TARGET_RSS_MB})${verdict(rss <= TARGET_RSS_MB)}` : ""} | ` +
      `${ms(e1)} (${ratio(e1, baseExit("launch1"))} libbpf C)${tsbpf ? verdict(e1 <= baseExit("launch1")) : ""} | ` +
      `${ms(e5)} (${ratio(e5, baseExit("launch5"))} libbpf C)${tsbpf ? verdict(e5 <= baseExit("launch5")) : ""} | ` +
      `${Math.max(...one.map((s) => s.sigints), ...five.map((s) => s.sigints))} |`);
  }
  return rows;
}

function streamTable(results: Map<string, StreamSample[]>): string[] {
  const rows = [
    "| tool | events/s into user code | lost: calls − received (reported by tool) | generator calls/s untraced → traced | added ns per event | vs libbpf C | tsbpf target |",
    "|---|---|---|---|---|---|---|",
  ];
  const added = (s: StreamSample) => 1e9 / s.traced - 1e9 / s.untraced;
  const stats = (xs: StreamSample[]) => ({
    rate: median(xs.map((s) => s.received / s.seconds)),
    lost: median(xs.map((s) => s.calls - s.received)),
    lostPct: median(xs.map((s) => (100 * (s.calls - s.received)) / s.calls)),
    reported: median(xs.map((s) => s.reportedLost)),
    untraced: median(xs.map((s) => s.untraced)),
    traced: median(xs.map((s) => s.traced)),
    added: median(xs.map(added)),
  });
  // The floor is libbpf draining in batches (tsbpf's own strategy); the epoll row shows the textbook way.
  const base = stats(results.get("libbpf C, 1 ms batches") ?? results.get("libbpf C") ?? []);
  for (const [name, xs] of results) {
    const s = stats(xs);
    const tsbpf = name.startsWith("tsbpf");
    const target = tsbpf
      ? `≥ 1.5 M/s: ${(s.rate / TARGET_RATE).toFixed(3)}×${verdict(s.rate >= TARGET_RATE)}; 0 lost${verdict(s.lost === 0)}; ≤ 500 ns: ${ratio(s.added, TARGET_ADDED_NS)}${verdict(s.added <= TARGET_ADDED_NS)}`
      : "";
    rows.push(`| ${name} | ${(s.rate / 1e6).toFixed(3)} M | ${Math.round(s.lost)} (${s.lostPct.toFixed(2)} %) (${Math.round(s.reported)}) | ` +
      `${(s.untraced / 1e6).toFixed(2)} M → ${(s.traced / 1e6).toFixed(2)} M | ${Math.round(s.added)} | ` +
      `rate ${ratio(s.rate, base.rate)}, cost ${ratio(s.added, base.added)} | ${target} |`);
  }
  return rows;
}

function countTable(results: Map<string, StreamSample[]>): string[] {
  const rows = [
    "| tool | counted / calls | generator calls/s untraced → traced | added ns per event | vs libbpf C | tsbpf target |",
    "|---|---|---|---|---|---|",
  ];
  const added = (xs: StreamSample[]) => median(xs.map((s) => 1e9 / s.traced - 1e9 / s.untraced));
  const base = added(results.get("libbpf C") ?? []);
  for (const [name, xs] of results) {
    const a = added(xs);
    const exact = xs.every((s) => s.received === s.calls);
    const counted = xs.length ? `${xs.filter((s) => s.received === s.calls).length} of ${xs.length} runs exact${exact ? "" : ` (last: ${xs.at(-1)!.received} / ${xs.at(-1)!.calls})`}` : "—";
    rows.push(`| ${name} | ${counted} | ${(median(xs.map((s) => s.untraced)) / 1e6).toFixed(2)} M → ${(median(xs.map((s) => s.traced)) / 1e6).toFixed(2)} M | ` +
      `${Math.round(a)} | ${ratio(a, base)} | ${name.startsWith("tsbpf") ? `≤ ${TARGET_COUNT_NS} ns: ${ratio(a, TARGET_COUNT_NS)}${verdict(a <= TARGET_COUNT_NS)}` : ""} |`);
  }
  return rows;
}

/** Failures, each distinct message once with how often it happened. */
function countedFailures(): string[] {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts].map(([f, n]) => `- ${n > 1 ? `${n}× ` : ""}${f}`);
}

// ------------------------------------------------------------------------------------ main

const tools = selectedTools();
log(`tools: ${tools.map((t) => t.name).join(", ")}`);
const jobs = opts.jobs!.split(",");
const launch = jobs.includes("launch") ? await launchJob(tools) : new Map();
const profile = jobs.includes("profile") ? await profileJob(tools) : new Map();
const stream = jobs.includes("stream") ? await streamJob(tools) : new Map();
const count = jobs.includes("count") ? await countJob(tools) : new Map();
const idle = jobs.includes("idle") ? await idleJob() : new Map<string, IdleSample[]>();

if (SMOKE) {
  for (const [job, byVariant] of launch) {
    for (const [label, xs] of byVariant) log(`smoke ${job} ${label}: ${xs.length ? `${ms(xs[0].first)} ms to first event` : "NO EVENT"}`);
  }
  for (const [name, xs] of stream) log(`smoke stream ${name}: ${xs.length ? `${xs[0].received} events` : "NO EVENTS"}`);
  for (const [name, xs] of count) log(`smoke count ${name}: ${xs.length ? `${xs[0].received} of ${xs[0].calls} calls counted` : "NOTHING COUNTED"}`);
  for (const [name, xs] of idle) log(`smoke idle ${name}: ${xs.length ? `${xs[0].voluntary.toFixed(1)} wakeups/s` : "NOT MEASURED"}`);
  for (const f of failures) log(`FAILED: ${f}`);
  log(failures.length ? `smoke: ${failures.length} job(s) failed` : "smoke: every tsbpf job produced events");
  process.exit(failures.length ? 1 : 0);
}

// run.sh passes its own command line (it turns --commit into --tree).
const command = process.env.BENCH_COMMAND ?? `bun bench/run.ts ${process.argv.slice(2).join(" ")}`.trim();
const notes = existsSync(`${ROOT}/bench/NOTES.md`) ? readFileSync(`${ROOT}/bench/NOTES.md`, "utf8").trim() : "";
const suite = [
  `Reproduce: \`${command}\` (as root, from the repository root; installs the references from Debian, builds, runs, rewrites this section).`,
  "Generated by bench/run.ts; methods in bench/README.md. 2-core VM: quote medians and ratios, not single runs.",
  `Shared machine: before each round the harness waited for ≥ 85 % idle CPUs; ${quiet.busy} of ${quiet.checks} checks timed out`,
  "and were measured with other load present.",
  "",
  ...environment(),
  "",
  `## 1. Launch → first event (median of ${RUNS} runs)`,
  "",
  "From spawning the tool to its first event line on stdout, measured by bench/launch.c; the generator is already running",
  "and calls getppid() every ~150 µs. \"warm\": the compiled tracer is in tsbpf's cache (~/.cache/tsbpf); \"cold\": `TSBPF_NO_CACHE=1`,",
  "so every run parses and compiles the script.",
  "",
  ...launchTable(launch),
  "",
  "### Peak memory and exit (measured in the same runs)",
  "",
  "Peak RSS from wait4(); SIGINT → exit: from the first SIGINT until the process is gone, including the kernel's teardown of its probes.",
  "",
  ...exitTable(launch),
  "",
  "### Where a tsbpf launch spends its time (median ms; bench/tsbpf/profile.ts)",
  "",
  "The steps of `Tracer.start()` done one by one with a clock around each, in a script like launch1.ts.",
  "",
  ...profileTable(profile),
  "",
  "¹ from the runtime's `performance.now()` origin, which is after exec (compare the \"baseline, empty script\" rows above).",
  "² after a second, warm `start()`: the first drain runs inside `start()`, before the script has registered its callback; a few",
  "milliseconds later the tracer waits in epoll for the kernel's notification of the first event (runtime/maps/event_pump.ts).",
  "³ not part of launch: what teardown costs (the kernel's RCU waits when a tracepoint link and perf event close).",
  "",
  `## 2. Streaming (median of ${REPEATS} runs of ${SECONDS} s)`,
  "",
  "The generator calls getppid() as fast as it can, pinned to CPU 1; every call is an event {pid u32, counter u64, comm[16]}",
  "in a 256 KiB ring buffer (but the \"4 MiB\" rows; bpftrace: printf through its perf buffer), delivered to user code (tsbpf: a `rb.on` callback;",
  "bcc: a Python callback decoding the event; libbpf: a C callback; bpftrace: one printed line each, counted afterwards).",
  "The untraced rate is measured right before each traced run. Added ns per event = 1e9/traced − 1e9/untraced.",
  "\"libbpf C\" sleeps in epoll (ring_buffer__poll) and is woken by the kernel; \"libbpf C, 1 ms batches\" drains with",
  "ring_buffer__consume every 1 ms, like tsbpf: it is the floor the ratios use.",
  "",
  ...streamTable(stream),
  "",
  `## 3. In-kernel aggregation (median of ${REPEATS} runs of ${SECONDS} s)`,
  "",
  "The same generator; every call counts one more for its pid in a per-CPU hash map (tsbpf: `Count<u32>`; bpftrace:",
  "`@[pid] = count()`; bcc: `BPF_HASH` + `increment`, an atomic add, since bcc 0.26's `increment` on a per-CPU hash counted nothing here; libbpf C: lookup, add, or insert). Nothing reaches user space",
  "until the end, when the tool prints the count: \"counted / calls\" checks it against the generator's own number.",
  "",
  ...countTable(count),
  "",
  `## 4. Idle: probes attached, no events (median of ${REPEATS} runs of 10 s)`,
  "",
  "Each tool attached to a generator that waits and never calls getppid(); after READY and a settling second, every thread's",
  "context switches (/proc/PID/task/*/status) and CPU time (schedstat) over 10 s. Voluntary switches are the process's wakeups;",
  "preemptions come mostly from other load on the machine. Tools: the streaming program (RingBuf; PerfBuffer; bpftrace's printf",
  "perf buffer; libbpf `ring_buffer__poll(rb, 100)`) and the counting one (\"maps only\").",
  "",
  ...idleTable(idle),
  "",
  ...(foreign.size
    ? [`Other processes had BPF programs attached while streaming was measured (each syscalls:* one slows every syscall, so the`,
      `untraced rates above are lower than on an idle machine, ≈ 5.2 M/s): ${[...foreign].join("; ")}.`, ""]
    : []),
  ...(skipped.length || failures.length ? ["## Left out or failed", "", ...skipped.map((s) => `- ${s}`), ...countedFailures(), ""] : []),
  ...(notes ? [notes, ""] : []),
].join("\n").trim();
/** A streaming-only run in its own section: the table and how it was made, no notes. */
const streamSection = [
  `Reproduce: \`${command}\` (as root, from the repository root; rewrites this section only).`,
  `Shared machine: other sessions ran tests and QEMU guests on the same 2 cores; before each run the harness waited for ≥ 85 % idle`,
  `CPUs, and ${quiet.busy} of ${quiet.checks} waits timed out. Quote medians and ratios. Method: bench/README.md; analysis: bench/NOTES.md.`,
  "",
  ...environment(),
  "",
  ...(stream.size ? [`## Streaming, ${opts.section} (median of ${REPEATS} runs of ${SECONDS} s)`, "", ...streamTable(stream), ""] : []),
  ...(idle.size
    ? [`## Idle, ${opts.section}: probes attached, no events (median of ${REPEATS} runs of 10 s; method: section 4 of the suite)`, "", ...idleTable(idle), ""]
    : []),
  ...(foreign.size
    ? [`${foreign.size} BPF programs of other processes were attached meanwhile (each on a syscalls:* tracepoint slows every syscall), e.g.: ` +
      `${[...foreign].slice(0, 5).join("; ")}.`, ""]
    : []),
  ...(skipped.length || failures.length ? ["Left out or failed:", "", ...skipped.map((s) => `- ${s}`), ...countedFailures(), ""] : []),
].join("\n").trim();
// RESULTS.md is shared: other benchmarks (bench/insn_count) keep their own sections between
// <!-- name --> and <!-- /name --> markers. Rewrite only ours and keep theirs, in their order.
const RESULTS = `${ROOT}/bench/RESULTS.md`;
const current = existsSync(RESULTS) ? readFileSync(RESULTS, "utf8") : "";
const SECTION = opts.section!;
const sections = [...current.matchAll(/<!-- ([\w-]+) -->[\s\S]*?<!-- \/\1 -->/g)].map((m) => ({ name: m[1], text: m[0] }));
const ours = { name: SECTION, text: [`<!-- ${SECTION} -->`, SECTION === "suite" ? suite : streamSection, `<!-- /${SECTION} -->`].join("\n") };
const at = sections.findIndex((s) => s.name === SECTION);
if (at >= 0) sections[at] = ours;
else sections.splice(SECTION === "suite" ? 0 : sections.length, 0, ours);
const md = ["# Benchmark results", "", sections.map((s) => s.text).join("\n\n"), ""].join("\n");
writeFileSync(RESULTS, md);
log(`wrote bench/RESULTS.md${failures.length ? ` (${failures.length} failures)` : ""}`);
