// Job 1 of the benchmark suite: launch → first event, warm and cold, for every tool.
import { BUN, DENO, errorLine, failures, keyValues, log, OUT, RUNS, SMOKE, TREE, TSBPF_BIN, tsbpfScript, waitQuiet, writeScript, type Tool } from "./common.ts";

export interface LaunchSample {
  first: number;
  exit: number;
  rssKb: number;
  sigints: number;
}
export interface Variant {
  label: string;
  tool: Tool;
  env?: Record<string, string>;
  /** Replaces the tool's script (the baselines that print at once, for tsbpf rows). */
  script?: string;
  /** Replaces the tool's command (the one-liner through the CLI, the bundle); launch1 only. */
  command?: (pid: number) => string[];
}

// The launch1 tracer as a one-liner, run through the whole command line (the package's tsbpf command), and as
// a `tsbpf build` bundle run by the runtime alone.
const ONELINER = (pid: number) => `tracepoint("syscalls:sys_enter_getppid", () => pid() == ${pid} && printf("E %d\\n", pid()))`;
const BUNDLE = () => `${TREE}/bench/out/launch1.bundle.js`;
/** The same bundle as one executable (`tsbpf build --compile`, Bun: with the bundle's bytecode inside). */
const EXECUTABLE = () => `${TREE}/bench/out/launch1.bundle.exe`;

/** Variants of the launch job: tsbpf warm (compile cache hit) and cold (TSBPF_NO_CACHE=1). */
export function launchVariants(tools: Tool[]): Variant[] {
  const out: Variant[] = [];
  for (const tool of tools) {
    if (tool.streamOnly) continue;
    if (!tool.tsbpf) out.push({ label: tool.name, tool });
    else {
      out.push({ label: `${tool.name}, warm`, tool });
      out.push({ label: `${tool.name}, cold`, tool, env: { TSBPF_NO_CACHE: "1" } });
      // Issue 20: the one-liner through the CLI, and the bundle (cold: its first run on a machine).
      const cli = (pid: number) => [TSBPF_BIN, "-e", ONELINER(pid)];
      const runtime = { TSBPF_RUNTIME: tool.tsbpf };
      out.push({ label: `${tool.name}, -e one-liner, warm`, tool, command: cli, env: runtime });
      out.push({ label: `${tool.name}, -e one-liner, cold`, tool, command: cli, env: { ...runtime, TSBPF_NO_CACHE: "1" } });
      const bundle = () => tool.tsbpf === "bun" ? [BUN, BUNDLE()] : [DENO, "run", "--allow-ffi", BUNDLE()];
      out.push({ label: `${tool.name}, bundle, warm`, tool, command: bundle });
      out.push({ label: `${tool.name}, bundle, cold`, tool, command: bundle, env: { TSBPF_NO_CACHE: "1" } });
      // Deno's executable needs its runtime downloaded when it is built: Bun's only.
      if (tool.tsbpf === "bun") out.push({ label: `${tool.name}, bundle, one executable`, tool, command: () => [EXECUTABLE()], env: { TSBPF_NO_CACHE: "1" } });
      // Where the time goes: the runtime alone, and the runtime plus tsbpf's modules.
      if (!SMOKE) {
        out.push({ label: `${tool.name}: baseline, empty script`, tool, script: "hello" });
        out.push({ label: `${tool.name}: baseline, import tsbpf only`, tool, script: "import_only" });
      }
    }
  }
  return out;
}

export function launchOnce(v: Variant, job: string, pid: number): LaunchSample | string | undefined {
  if (v.command && job !== "launch1") return undefined;
  const cmd = [`${OUT}/launch`, "-m", "E ", "-t", "20000", "--", ...(v.command ? v.command(pid) : v.tool.command(v.script ?? job, pid))];
  const r = Bun.spawnSync(cmd, { env: { ...process.env, ...v.tool.env, ...v.env }, stderr: "pipe", cwd: v.tool.cwd });
  const kv = keyValues(r.stdout.toString());
  if (r.exitCode !== 0 || !(kv.first_ms >= 0)) return `${v.label} ${job}: no event (${errorLine(r.stderr.toString())})`;
  return { first: kv.first_ms, exit: kv.exit_ms, rssKb: kv.maxrss_kb, sigints: kv.sigints };
}

export async function launchJob(tools: Tool[]): Promise<Map<string, Map<string, LaunchSample[]>>> {
  // One slow generator for the whole job: an event every ~150 µs, so a started tool never
  // waits long for one; and one pid, so the tsbpf scripts' source (the compile cache key)
  // stays the same across runs and "warm" really hits the cache.
  const gen = Bun.spawn([`${OUT}/gen`, "-i", "100"], { stdout: "ignore" });
  const results = new Map<string, Map<string, LaunchSample[]>>();
  try {
    for (const job of ["launch1", "launch5", "hello", "import_only"]) writeScript(job, gen.pid);
    const variants = launchVariants(tools);
    if (variants.some((v) => v.label.includes("bundle"))) buildBundle();
    for (const job of ["launch1", "launch5"]) {
      const byVariant = new Map<string, LaunchSample[]>(variants.filter((v) => !v.command || job === "launch1").map((v) => [v.label, []]));
      results.set(job, byVariant);
      // One unmeasured run each: fills the tsbpf compile cache, Deno's module cache and the page cache.
      if (!SMOKE) for (const v of variants) launchOnce(v, job, gen.pid);
      // Interleaved, so a noisy second of the machine hits every tool alike.
      for (let i = 0; i < RUNS; i++) {
        await waitQuiet(10000);
        for (const v of variants) {
          const s = launchOnce(v, job, gen.pid);
          if (typeof s === "string") failures.push(s);
          else if (s) byVariant.get(v.label)!.push(s);
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

/** `tsbpf build` of the launch1 script (with the generator's pid in it), on Bun; and `build --compile`. */
function buildBundle(): void {
  const r = Bun.spawnSync([TSBPF_BIN, "build", tsbpfScript("launch1"), "-o", BUNDLE()], { env: { ...process.env, TSBPF_RUNTIME: "bun" }, stderr: "pipe" });
  if (r.exitCode !== 0) failures.push(`tsbpf build launch1: ${errorLine(r.stderr.toString())}`);
  const exe = Bun.spawnSync([TSBPF_BIN, "build", "--compile", tsbpfScript("launch1"), "-o", EXECUTABLE()], { env: { ...process.env, TSBPF_RUNTIME: "bun" }, stderr: "pipe" });
  if (exe.exitCode !== 0) failures.push(`tsbpf build --compile launch1: ${errorLine(exe.stderr.toString())}`);
}
