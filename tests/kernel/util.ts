// Shared by the kernel tests: bounded waiting, and what the kernel has loaded right now.
import process from "node:process";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, unlinkSync } from "node:fs";
import { libc } from "../../runtime/ffi/mod.ts";

await libc();

/**
 * Polls `cond` until it holds or `ms` pass; returns whether it held. No default: a bound is how
 * long a failure takes, and what a caller waits for (an event, a process) can take a minute on a
 * loaded machine: each caller says how long.
 */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

declare const Bun: unknown;
declare const Deno: any;
/** The command that runs a script on the runtime running this test. */
export function runtimeCommand(script: string): string[] {
  return typeof Bun !== "undefined" ? [process.execPath, "run", script] : [process.execPath, "run", "--allow-ffi", script];
}

export interface Running {
  pid: number;
  /** Everything printed so far, stdout then stderr. */
  output(): string;
  stdout(): string;
  stderr(): string;
  kill(signal: "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGKILL"): void;
  /** The exit code, or the name of the signal that killed it. */
  exited: Promise<number | string>;
}

/** Runs a script on this test's runtime (see runCommand). */
export function runScript(script: string, env: Record<string, string> = {}, scriptArgs: string[] = [], cwd?: string): Running {
  const [cmd, ...args] = [...runtimeCommand(script), ...scriptArgs];
  return runCommand(cmd, args, env, cwd);
}

/**
 * Runs a command, collecting its output. Deno's node:child_process reports the signal it
 * sent even when the child caught it and exited with a code, so Deno uses Deno.Command.
 */
export function runCommand(cmd: string, args: string[], env: Record<string, string> = {}, cwd?: string): Running {
  let out = "", err = "";
  if (typeof Deno !== "undefined") {
    const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", env, cwd }).spawn();
    const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) add(chunk);
    };
    const pumped = Promise.all([pump(child.stdout, (s) => (out += s)), pump(child.stderr, (s) => (err += s))]);
    return {
      pid: child.pid,
      output: () => out + err,
      stdout: () => out,
      stderr: () => err,
      kill: (signal) => {
        try {
          child.kill(signal);
        } catch { /* already exited: the caller looks at `exited` */ }
      },
      // The output is read to its end, but a pipe some other process still holds (a grandchild
      // of a killed child) must not keep the test waiting forever: 5 s at most.
      exited: child.status.then(async (s: { code: number; signal: string | null }) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([pumped, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
        return s.signal ?? s.code;
      }),
    };
  }
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env }, cwd });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  return {
    pid: child.pid!,
    output: () => out + err,
    stdout: () => out,
    stderr: () => err,
    kill: (signal) => child.kill(signal),
    exited: new Promise((r) => child.on("exit", (code, signal) => r(code ?? signal!))),
  };
}

/**
 * Waits until a tool run by runScript prints `text` (its header, once its probes are attached),
 * or exits first. Generous: under the VM lane's TCG a cold Deno start takes minutes.
 */
export async function started(run: Running, text: string, ms = 400000): Promise<boolean> {
  let exited = false;
  run.exited.then(() => (exited = true));
  await waitFor(() => exited || run.output().includes(text), ms);
  return run.output().includes(text);
}

/** The bpf links a process holds: once their number stops growing, its probes are attached. */
export function links(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === "anon_inode:bpf_link";
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

/** Whether a process has a handler for SIGINT (a tracer's start() sets it, with its probes attached). */
export function catchesSigint(pid: number): boolean {
  try {
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return caught !== undefined && (BigInt(`0x${caught}`) & 2n) !== 0n;
  } catch {
    return false;
  }
}

/**
 * Waits until a tool has attached its probes (its bpf links stop growing) and handles Ctrl-C
 * (under load, a SIGINT sent once the links seemed still killed tools before they handled it);
 * false when it exits first.
 */
export async function attached(run: Running, ms = 300_000): Promise<boolean> {
  let exited = false, last = -1, stableSince = 0;
  run.exited.then(() => (exited = true));
  return await waitFor(() => {
    if (exited) return true;
    const n = links(run.pid);
    if (n === 0 || n !== last) [last, stableSince] = [n, Date.now()];
    return n > 0 && Date.now() - stableSince >= 300 && catchesSigint(run.pid);
  }, ms) && !exited;
}

/** Runs `job` on every item, at most `width` at a time. */
export async function inBatches<T>(items: T[], width: number, job: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await job(item);
  }));
}

/** The exit status of a run, killed (SIGKILL) if it takes longer than `ms`. */
export async function finished(run: Running, ms = 300_000): Promise<number | string> {
  const timer = setTimeout(() => run.kill("SIGKILL"), ms);
  try {
    return await run.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Removes the file a VerifierError's hint says holds the whole log (tests make many). */
export function removeVerifierLog(e: { diagnostic?: { hints: string[] } }): void {
  const path = /the (?:whole verifier log|end of the verifier log) \(\d+ lines\) is in (\S+)$/m.exec(e.diagnostic?.hints.join("\n") ?? "")?.[1];
  if (path) unlinkSync(path);
}

/**
 * Runs tests/fixtures/`name` (with `scriptArgs`) to its end on this test's runtime (on Deno with
 * every permission) and returns the JSON line it printed last; throws with its output if it failed.
 */
export async function fixtureReport<T>(name: string, timeoutMs = 90000, scriptArgs: string[] = []): Promise<T> {
  const script = new URL(`../fixtures/${name}`, import.meta.url).pathname;
  const [cmd, ...args] = [...(typeof Bun !== "undefined" ? runtimeCommand(script) : [process.execPath, "run", "-A", script]), ...scriptArgs];
  const run = runCommand(cmd, args);
  let exited = false;
  run.exited.then(() => (exited = true));
  if (!(await waitFor(() => exited, timeoutMs))) run.kill("SIGKILL");
  if ((await run.exited) !== 0) throw new Error(`the fixture ${name} failed: ${run.output()}`);
  return JSON.parse(run.stdout().trim().split("\n").at(-1)!) as T;
}

/**
 * The TCP port process `pid` listens on (its first listening socket, IPv4 or IPv6), or undefined
 * while it listens on none: a server started on port 0 took a port no other process held, and
 * this reads which, from its own sockets.
 */
export function listeningPort(pid: number): number | undefined {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch { /* closed meanwhile */ }
    }
    for (const table of ["tcp", "tcp6"]) {
      for (const line of readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; field 10 is the inode.
        if (f[3] === "0A" && inodes.has(f[9])) return parseInt(f[1].split(":")[1], 16);
      }
    }
  } catch { /* gone */ }
  return undefined;
}
