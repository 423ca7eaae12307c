// Shared by the security tests: an unprivileged attacker (`nobody`, through setpriv), and the
// tsbpf command or a script run as root the way a user runs them, each bounded in time.
import process from "node:process";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const MAIN = join(ROOT, "cli/main.ts");
export const MOD = join(ROOT, "mod.ts");
declare const Bun: unknown;
export const isBun = typeof Bun !== "undefined";

/** Runs `argv` as nobody:nogroup with no supplementary groups; throws if it fails. */
export function asNobody(argv: string[]): string {
  const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", ...argv], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`as nobody: ${argv.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** A directory of root's own (0700) for a test's files, in TMPDIR (tests/run.sh gives a run its own). */
export function rootDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `tsbpf-sec-${name}-`));
}

/** A directory like /tmp (root's, 1777: anyone writes, only owners remove), in TMPDIR, not a fixed name in /tmp. */
export function stickyDir(name: string): string {
  const dir = rootDir(name);
  chmodSync(dir, 0o1777);
  return dir;
}

export interface Result {
  status: number | string | null;
  stdout: string;
  stderr: string;
  /** Killed because it ran past its time. */
  timedOut: boolean;
}

export interface RunOptions {
  /** The whole environment (nothing is inherited but what is given). */
  env: Record<string, string>;
  timeoutMs?: number;
  /** Called every 50 ms once "Attaching" is printed (with --json: the attached_probes record), until the process ends. */
  tick?: () => void;
}

/** The tsbpf command on this test's runtime. */
export function tsbpf(args: string[], options: RunOptions): Promise<Result> {
  return run(isBun ? [process.execPath, MAIN, ...args] : [process.execPath, "run", "-A", "--quiet", MAIN, ...args], options);
}

/** A script on this test's runtime, as root. */
export function script(file: string, options: RunOptions): Promise<Result> {
  return run(isBun ? [process.execPath, "run", file] : [process.execPath, "run", "-A", "--quiet", "--config", join(ROOT, "deno.json"), file], options);
}

/** What a root environment without HOME (env -i, cron) looks like, plus `extra`. */
export function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: "/usr/bin:/bin", USER: "root", NO_COLOR: "1", ...extra };
}

export function run(argv: string[], options: RunOptions): Promise<Result> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: options.env });
  let stdout = "", stderr = "", timedOut = false;
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 30_000);
  const attached = () => stderr.includes("Attaching") || stdout.includes('"type": "attached_probes"');
  const ticker = options.tick && setInterval(() => attached() && options.tick!(), 50);
  return new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (ticker) clearInterval(ticker);
      resolve({ status: code ?? signal, stdout, stderr, timedOut });
    })
  );
}

/** One getppid() from another process (what the test tracers wait for). */
export function getppid(): void {
  spawnSync("python3", ["-c", "import os; os.getppid()"]);
}

/** Root's tracer script in an attack test: counts getppid and, once started, prints `line` (console.log's arguments, as code); then stops. */
export function countingScript(line: string): string {
  return `import { Count, Tracer, tracepoint } from "tsbpf";
class Calls extends Tracer {
  calls = new Count();
  @tracepoint("syscalls:sys_enter_getppid")
  on() { this.calls.add(); }
}
const t = await new Calls().start({ reportLoss: false });
t.end = () => {};
console.log(${line});
await t.stop();
`;
}

/** `bytes` with every occurrence of `from` replaced by `to` (the same length): a binary patched by the attacker. */
export function replaceAll(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const a = new TextEncoder().encode(from), b = new TextEncoder().encode(to);
  const out = bytes.slice();
  for (let i = 0; i + a.length <= out.length; i++) {
    let match = true;
    for (let j = 0; j < a.length && match; j++) match = out[i + j] === a[j];
    if (match) out.set(b, i);
  }
  return out;
}

/** nobody's long-running process: `python` run by python3 as nobody, once it has printed "ready". */
export interface NobodyProcess {
  pid: number;
  /** Kills it (and what it started) and waits for its end. */
  stop(): Promise<void>;
}

/** Starts `python` (python3 code) as nobody in a process group of its own; resolves once it prints "ready". */
export function nobodyPython(python: string): Promise<NobodyProcess> {
  return nobodyCommand(["/usr/bin/python3", "-c", python]);
}

/** Starts `argv` as nobody in a process group of its own; resolves once it prints `ready`. Its pid is setpriv's, which execs it. */
export async function nobodyCommand(argv: string[], ready = "ready"): Promise<NobodyProcess> {
  const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", ...argv], { stdio: ["ignore", "pipe", "pipe"], cwd: "/", detached: true });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const stop = async () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch { /* gone */ }
    await exited;
  };
  let said = "";
  child.stdout!.on("data", (d) => (said += d));
  child.stderr!.on("data", (d) => (said += d));
  for (let i = 0; i < 1200 && !said.includes(ready) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  if (!said.includes(ready)) {
    await stop();
    throw new Error(`nobody's process did not start: ${said}`);
  }
  return { pid: child.pid!, stop };
}

/** A TCP port on 127.0.0.1 that was free a moment ago: for nobody's server to take (a collector's port, say). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
