// Runs the tsbpf command as a user runs it: a child process on the test's own runtime (Bun or
// Deno), its stdout and stderr collected, killed if it outlives the timeout.
import process from "node:process";
import { spawn } from "node:child_process";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
declare const Bun: unknown;

export interface Result {
  status: number | string | null;
  stdout: string;
  stderr: string;
}

export function commandLine(args: string[]): string[] {
  return typeof Bun !== "undefined" ? [process.execPath, MAIN, ...args] : [process.execPath, "run", "-A", "--quiet", MAIN, ...args];
}

/** `spawned` is told the child's pid; `env` is added to this process's environment. */
export function tsbpf(args: string[], timeoutMs = 60_000, spawned?: (pid: number) => void, env: Record<string, string> = {}): Promise<Result> {
  const [cmd, ...rest] = commandLine(args);
  const child = spawn(cmd, rest, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } });
  spawned?.(child.pid!);
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? signal, stdout, stderr });
    });
  });
}
