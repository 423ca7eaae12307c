// -c CMD: the command is started at once but held (stopped) until the probes are attached, so
// its process id is known before the tracer starts (a filter on it can be compiled in) and it
// cannot run a single instruction untraced. A tiny shell stops itself, then execs CMD under
// the same pid when it gets SIGCONT; the command inherits the terminal like any child.
//
// The tsbpf process holds it (and reaps it); whoever runs the tracers releases it by pid and
// watches /proc for its end (session.ts), possibly from another process: Deno's --preload
// must not keep anything alive, or the script never starts.
//
// It never runs without its tracer: once released, the shell checks that the tsbpf process
// that started it is still its parent before it execs CMD, and when the tracers stop, the
// command is ended if it still runs (end()).
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { constants } from "node:os";
import process from "node:process";
import { fileExists, readTextFile } from "../runtime/files.ts";
import { cString, libcSync, SYS } from "../runtime/ffi/mod.ts";
import { CliError } from "./errors.ts";
import { ProcessFd } from "../runtime/process_fd.ts";
import { restoreIgnored } from "../runtime/ignored_signals.ts";

// Once released, the shell is traced under the command's pid, so it does next to nothing: one
// stat. Before it stops it opens the /proc directory of its parent (tsbpf, $PPID) as fd 3; that
// directory stays the one of that process, even if its pid is reused. Its "exe" resolves while
// the process lives and not once it has exited (zombie or gone), when the shell has been
// reparented: then the command does not run. (Reading /proc/$$/stat for the parent's pid, as
// before, cost ~300 one-byte reads: dash's read builtin reads byte by byte.)
const HOLD = 'exec 3< /proc/$PPID && kill -STOP $$ && [ -e /proc/self/fd/3/exe ] && exec 3<&- && exec "$@"';
/**
 * The held shell, asking the kernel to kill it when tsbpf dies (PR_SET_PDEATHSIG, through
 * util-linux's setpriv, which execs the shell under the same pid). A stopped process acts on no
 * signal but SIGKILL, and nothing else would wake it: a tsbpf killed before the release (a
 * one-liner has no child process to end it) left the shell stopped for good, reparented to init.
 * The setting stays through the exec of CMD, which then ends with tsbpf too, as it would by end().
 */
function holdCommand(words: string[]): [string, string[]] {
  const shell = ["/bin/sh", "-c", HOLD, "tsbpf", ...words];
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find(fileExists);
  return setpriv ? [setpriv, ["--pdeathsig", "KILL", ...shell]] : [shell[0], shell.slice(1)];
}

/**
 * The user's command's environment: tsbpf's, without the JIT options bin/tsbpf gave tsbpf's own
 * Bun (TSBPF_BUN_JSC names them; one the caller set is not named, and stays).
 */
function commandEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  for (const name of (env.TSBPF_BUN_JSC ?? "").split(" ")) if (name.startsWith("BUN_JSC_")) delete env[name];
  delete env.TSBPF_BUN_JSC;
  return env;
}

/** How long a command that still runs after its tracers stopped gets between SIGTERM and SIGKILL. */
const END_GRACE_MS = 1000;
/** How often the end of the command is looked for on a kernel without pidfds (before Linux 5.3). */
const END_POLL_MS = 20;

export class HeldCommand {
  readonly pid: number;
  readonly exited: Promise<number>;
  #child: ChildProcess;
  #process: CommandProcess;
  #adoption: Adoption;

  private constructor(child: ChildProcess, command: CommandProcess, exited: Promise<number>, adoption: Adoption) {
    this.#child = child;
    this.#process = command;
    this.#adoption = adoption;
    this.pid = child.pid!;
    this.exited = exited;
  }

  /**
   * Starts `words` held; resolves once the process has stopped itself. Its caller calls end()
   * in the end, even once the command has exited: until then this process adopts and reaps
   * orphans (a reaper left installed takes the statuses of the runtime's own children).
   */
  static async start(words: string[]): Promise<HeldCommand> {
    checkRunnable(words[0]);
    const adoption = adoptOrphans();
    const child = spawn(...holdCommand(words), { stdio: "inherit", env: commandEnv() });
    ownChild(child.pid);
    // Opened in the spawn's own task: the runtime cannot have reaped the child yet.
    const command = child.pid === undefined ? undefined : new CommandProcess(child.pid);
    const exited = new Promise<number>((resolve) => {
      child.on("exit", (code, signal) => {
        command?.close();
        resolve(code ?? signalStatus(signal ?? ""));
      });
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (e) => {
        adoption.stop();
        reject(new CliError(`Cannot start -c command "${words.join(" ")}": ${e.message}`));
      });
    });
    const held = new HeldCommand(child, command!, exited, adoption);
    // The shell may not have stopped yet; SIGCONT before its SIGSTOP would leave it stopped for
    // good. It stops or exits, nothing else: wait for that however long a loaded machine takes
    // to start it (a bound here let the tracer release a shell still starting, which then
    // stopped itself after the SIGCONT and was never released).
    let early: number | undefined;
    exited.then((code) => (early = code));
    for (let wait = 1; !held.#process.stopped; wait = Math.min(wait * 2, 32)) {
      if (early !== undefined) {
        adoption.stop();
        throw new CliError(`-c command "${words.join(" ")}" exited (status ${early}) before it could be held`);
      }
      await new Promise((r) => setTimeout(r, wait));
    }
    return held;
  }

  /** Whether it has ended (by itself, or by end()). */
  get ended(): boolean {
    return this.#process.ended;
  }

  /**
   * Ends the command if it still runs (SIGKILL while held: it never ran; else SIGTERM, and
   * SIGKILL if it is still there after a grace period) and resolves with its status. With
   * `strays` (tsbpf, not the command, ended the tracing), what the command started and left
   * running (`sh -c "sleep 300 & wait"`'s sleep) is ended the same way; and so it is when a stop
   * signal ended the command: Ctrl-C reaches the command too, and may end it before tsbpf sees
   * its own copy. Orphans are adopted until then (what a stray left, once it is ended, is a
   * stray too), and no longer after.
   */
  async end(strays = true): Promise<number> {
    try {
      const status = await this.#end();
      if (strays || STOP_SIGNAL_STATUSES.includes(status)) await endStrays(this.pid);
      return status;
    } finally {
      this.#adoption.stop();
    }
  }

  async #end(): Promise<number> {
    if (this.#child.exitCode === null && !this.#process.ended) {
      if (this.#process.stopped) this.#process.endNow();
      else {
        this.#process.endNow();
        const kill = setTimeout(() => this.#process.kill(), END_GRACE_MS);
        await this.exited;
        clearTimeout(kill);
      }
    }
    return await this.exited;
  }
}

/**
 * The held command as the session sees it, which may run in another process than the one that
 * holds (and reaps) it: released, watched for its end, and ended if its holder has gone. Named
 * by a pidfd (runtime/process_fd.ts) where the kernel has them: once the command has ended and
 * been reaped, its PID may be another process's, which must neither be taken for the command
 * nor get its signals.
 */
export class CommandProcess {
  readonly #fd: ProcessFd | undefined;
  #gone = false;

  /** `held`: opened by the session while the command is held (stopped); one that is not has ended already. */
  constructor(readonly pid: number, held = false) {
    this.#fd = ProcessFd.open(pid);
    if (held && this.#state() !== "T") this.#gone = true;
  }

  /** Lets it run (exec CMD). */
  release(): void {
    this.#signal("SIGCONT");
  }

  /** Calls `f` once it has ended, without polling where the kernel has pidfds; returns what ends the watch. */
  whenEnded(f: () => void): () => void {
    if (this.#fd) return this.#fd.whenExited(f);
    let cancel = () => {};
    const look = () => (this.ended ? f() : (cancel = libcSync().process.after(END_POLL_MS, look)));
    look();
    return () => cancel();
  }

  /** Whether it has ended (gone, or a zombie waiting for its parent to reap it). */
  get ended(): boolean {
    const state = this.#state();
    return state === undefined || state === "Z" || state === "X";
  }

  /** Whether it is still held (stopped). */
  get stopped(): boolean {
    return this.#state() === "T";
  }

  /** Ends it (the tsbpf process that held it has died), without waiting. */
  endNow(): void {
    if (this.ended) return;
    this.#signal(this.stopped ? "SIGKILL" : "SIGTERM");
  }

  /** SIGKILL, whatever its state. */
  kill(): void {
    this.#signal("SIGKILL");
  }

  /** Lets the process go; nothing is sent to it after. */
  close(): void {
    this.#gone = true;
    this.#fd?.close();
  }

  #signal(name: "SIGKILL" | "SIGTERM" | "SIGCONT"): void {
    if (this.#gone) return;
    if (this.#fd) {
      this.#fd.signal(constants.signals[name]);
      return;
    }
    try {
      // process.kill, not child.kill: Deno's child would then report the signal sent instead of its exit status.
      process.kill(this.pid, name);
    } catch { /* it has just ended */ }
  }

  /** Its state letter in /proc/PID/stat, undefined once it has gone (read from its PID, which is its own only while it is there). */
  #state(): string | undefined {
    if (this.#gone) return undefined;
    const state = processState(this.pid);
    if (this.#fd && !this.#fd.stillThere()) return undefined;
    return state;
  }
}

/** A command's status when SIGHUP, SIGINT, SIGQUIT or SIGTERM ended it (a shell's 128 + the signal). */
const STOP_SIGNAL_STATUSES = [129, 130, 131, 143];

const PR_SET_CHILD_SUBREAPER = 36n;
const P_PID = 1n, WEXITED = 4n, WNOHANG = 1n;

/** This process's own children (the command, `tsbpf run`'s child): its runtime reaps them, and reports their status. */
const ownChildren = new Set<number>();
/** How many commands run: orphans are adopted and reaped while one does. */
let adopting = 0;

/**
 * Notes a child this process spawned: it is never taken for an adopted orphan. Call in the spawn's
 * own task: while a command is held, any other child of this process that ends is reaped as one
 * (its runtime then fails to reap it: ECHILD).
 */
export function ownChild(pid: number | undefined): void {
  if (pid !== undefined) ownChildren.add(pid);
}

/** One command's hold on adoption: stop() once, when the command and what it left have been dealt with. */
interface Adoption {
  stop(): void;
}

/**
 * Makes this process the one that adopts the orphans of its descendants (instead of init): a
 * process the command started in the background, whose parent has ended, stays findable as a
 * child of tsbpf, so that endStrays() can end it once the tracing has ended. Those that end are
 * reaped, as init would reap them: they stayed zombies until tsbpf ended, a pid each.
 */
function adoptOrphans(): Adoption {
  if (adopting++ === 0) {
    // What this process runs already is not a command's orphan (none runs): never ended as a
    // stray nor reaped (a process that goes on, such as Bun's test runner with esbuild's service).
    for (const pid of children()) ownChild(pid);
    libcSync().syscall(SYS.prctl, PR_SET_CHILD_SUBREAPER, 1n);
    process.on("SIGCHLD", reapOrphans);
    restoreIgnored(); // Deno's listener installs handlers for other signals too
  }
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      stopAdopting();
    },
  };
}

/**
 * Once the command and the strays tsbpf ends have ended, nothing more is adopted or reaped: what
 * was adopted stays a child, and any other child that ends is the runtime's own to reap. A
 * reaper left behind took the status of children spawned later in the same process (ECHILD in
 * node:child_process: tests/lifecycle/held_command_children.test.ts). Not at the command's own
 * end: a stray ended then orphans what it started, which init took and left running
 * (tests/lifecycle/command_strays.test.ts).
 */
function stopAdopting(): void {
  if (--adopting > 0) return;
  process.off("SIGCHLD", reapOrphans);
  libcSync().syscall(SYS.prctl, PR_SET_CHILD_SUBREAPER, 0n);
}

/** Reaps the adopted orphans that have ended (zombies), and only those: the runtime reaps its own children. */
function reapOrphans(): void {
  const c = libcSync();
  const info = new Uint8Array(128); // siginfo_t
  for (const pid of children()) {
    if (ownChildren.has(pid) || processState(pid) !== "Z") continue;
    c.syscall(SYS.waitid, P_PID, BigInt(pid), c.addressOf(info), WEXITED | WNOHANG, 0n);
  }
}

/** This process's children, from each of its threads (a thread's children are those it forked, or adopted). */
function children(): number[] {
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${process.pid}/task`);
  } catch { /* no /proc: nothing to find */ }
  return tasks.flatMap((task) => (readTextFile(`/proc/${process.pid}/task/${task}/children`) ?? "").split(" ").filter((word) => word).map(Number));
}

/** The running children of this process but `own` (the command): orphans it adopted. */
function adopted(own: number): number[] {
  return children().filter((pid) => pid !== own && !ownChildren.has(pid) && !["Z", "X", undefined].includes(processState(pid)));
}

/**
 * Ends the orphans of the command's processes that this process adopted (adoptOrphans): SIGTERM,
 * then SIGKILL for those still there after the grace period; the orphans of those come next. It
 * looks for their end every 20 ms, for at most the grace period per round, and only while some are left.
 */
async function endStrays(own: number): Promise<void> {
  const termed = new Set<number>();
  for (let round = 0; round < 8; round++) {
    const strays = adopted(own);
    if (strays.length === 0) return;
    const fresh = strays.filter((pid) => !termed.has(pid));
    for (const pid of strays) signalProcess(pid, fresh.includes(pid) ? "SIGTERM" : "SIGKILL");
    for (const pid of fresh) termed.add(pid);
    for (let waited = 0; waited < END_GRACE_MS && adopted(own).some((pid) => strays.includes(pid)); waited += END_POLL_MS) {
      // A timer that keeps the process alive (process.after's does not: Bun then exited, status 0, mid-wait).
      await new Promise((r) => setTimeout(r, END_POLL_MS));
    }
  }
}

/** Signals a process by a pidfd where the kernel has them (it is this process's child: its pid is its own until reaped). */
function signalProcess(pid: number, name: "SIGTERM" | "SIGKILL"): void {
  const fd = ProcessFd.open(pid);
  try {
    if (fd) fd.signal(constants.signals[name]);
    else process.kill(pid, name);
  } catch { /* it has just ended */ } finally {
    fd?.close();
  }
}

/** Fails as a shell would, with its status: 127 when the program is not found, 126 when it cannot be executed. */
function checkRunnable(name: string): void {
  const program = findProgram(name);
  if (!program) throw new CliError(`-c: command not found: ${name}`, 127);
  if (!isExecutableFile(program)) throw new CliError(`-c: ${program} is not executable (a file with execute permission is needed)`, 126);
}

/** The program's path, searched in PATH as the shell's exec will (undefined: not found). */
function findProgram(name: string): string | undefined {
  if (name.includes("/")) return fileExists(name) ? name : undefined;
  const path = libcSync().getenv("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
  const found = path.split(":").map((dir) => `${dir || "."}/${name}`).filter((p) => fileExists(p));
  return found.find(isExecutableFile) ?? found[0];
}

const O_DIRECTORY = 0o200000, X_OK = 1n;

function isExecutableFile(path: string): boolean {
  const c = libcSync();
  const dir = c.open(path, O_DIRECTORY);
  if (dir >= 0) return (c.close(dir), false);
  const bytes = cString(path);
  return c.syscall(SYS.access, c.addressOf(bytes), X_OK) === 0;
}

/** The state letter in /proc/PID/stat (after the parenthesised comm), undefined if there is no such process. */
function processState(pid: number): string | undefined {
  const stat = readTextFile(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return stat.charAt(stat.lastIndexOf(")") + 2);
}

/** 128 + the signal's number, as a shell reports a process a signal ended. */
export function signalStatus(signal: string): number {
  return 128 + ((constants.signals as Record<string, number>)[signal] ?? 0);
}
