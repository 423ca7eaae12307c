// -c CMD: the command is started at once but held (stopped) until the probes are attached, so
// its process id is known before the tracer starts (a filter on it can be compiled in) and it
// cannot run a single instruction untraced. A tiny shell stops itself, then execs CMD under
// the same pid when it gets SIGCONT; the command inherits the terminal like any child.
//
// The tsbpf process holds it (and reaps it); whoever runs the tracers releases it by pid and
// watches /proc for its end (session.ts), possibly from another process: Deno's --preload
// must not keep anything alive, or the script never starts.
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileExists, readTextFile } from "../runtime/files.ts";
import { libcSync } from "../runtime/ffi/mod.ts";
import { CliError } from "./errors.ts";

const HOLD = 'kill -STOP $$ && exec "$@"';

export class HeldCommand {
  readonly pid: number;
  readonly exited: Promise<number>;
  #child: ChildProcess;

  private constructor(child: ChildProcess, exited: Promise<number>) {
    this.#child = child;
    this.pid = child.pid!;
    this.exited = exited;
  }

  /** Starts `words` held; resolves once the process has stopped itself. */
  static async start(words: string[]): Promise<HeldCommand> {
    if (!findProgram(words[0])) throw new CliError(`-c: command not found: ${words[0]}`);
    const child = spawn("/bin/sh", ["-c", HOLD, "tsbpf", ...words], { stdio: "inherit" });
    const exited = new Promise<number>((resolve) => {
      child.on("exit", (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (e) => reject(new CliError(`Cannot start -c command "${words.join(" ")}": ${e.message}`)));
    });
    const held = new HeldCommand(child, exited);
    // The shell may not have stopped yet; SIGCONT before its SIGSTOP would leave it stopped for good.
    let early: number | undefined;
    exited.then((code) => (early = code));
    for (let i = 0; i < 500 && !isStopped(held.pid); i++) {
      if (early !== undefined) throw new CliError(`-c command "${words.join(" ")}" exited (status ${early}) before it could be held`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return held;
  }

  /** Kills the command if it is still held (the script ended without starting a tracer). */
  abandon(): void {
    if (this.#child.exitCode === null && isStopped(this.pid)) this.#child.kill("SIGKILL");
  }
}

/** Lets a held command run (exec CMD). */
export function release(pid: number): void {
  // process.kill, not child.kill: Deno's child would then report the signal sent instead of its exit status.
  process.kill(pid, "SIGCONT");
}

/** Whether the process has ended (gone, or a zombie waiting for its parent to reap it). */
export function hasEnded(pid: number): boolean {
  const state = processState(pid);
  return state === undefined || state === "Z" || state === "X";
}

/** The program's path, searched in PATH as the shell's exec will (undefined: not found). */
function findProgram(name: string): string | undefined {
  if (name.includes("/")) return fileExists(name) ? name : undefined;
  const path = libcSync().getenv("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
  return path.split(":").map((dir) => `${dir || "."}/${name}`).find((p) => fileExists(p));
}

function isStopped(pid: number): boolean {
  return processState(pid) === "T";
}

/** The state letter in /proc/PID/stat (after the parenthesised comm), undefined if there is no such process. */
function processState(pid: number): string | undefined {
  const stat = readTextFile(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return stat.charAt(stat.lastIndexOf(")") + 2);
}

function signalNumber(signal: string | null): number {
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return (signal && numbers[signal]) || 0;
}
