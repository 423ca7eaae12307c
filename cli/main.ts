// The `tsbpf` command: one-liners (-e), run, list, dump, types. Parses the command line,
// hands over to the command's module (imported only when needed, so `tsbpf list` never loads
// the compiler), and turns every failure into one clear message and a non-zero status.
//
// A one-liner starts on this path, so it loads only what `-e` needs: no node:process or node:util
// (Deno takes ≈ 15 and ≈ 8 ms to load them), the help text and package.json only when asked.
//
//   bun cli/main.ts ...     deno run -A cli/main.ts ...     tsbpf ... (bin/tsbpf)
import { GLOBAL_OPTIONS, parseDuration, parsePid, parseUntilPositional, splitCommand, type Values } from "./global_options.ts";
import { CliError, fail, UsageError } from "./errors.ts";
// In the chunk the command loads anyway (pack/bundle.ts): a dynamic import would split it out of that chunk.
import { closest } from "../spec/diagnostics.ts";
import { processNow, threadGroupOf } from "../runtime/process_start.ts";
import type { SessionOptions } from "./session.ts";
import { libc, processHooks } from "../runtime/ffi/mod.ts";
import { runtimeName, scriptArgs } from "../runtime/ffi/host.ts";
import { noteIgnoredSignals } from "../runtime/ignored_signals.ts";
import { showDecisions } from "../runtime/verbose.ts";
// Imported, not loaded on use: a dynamic import of it would be an entry of the package's bundle of
// its own, splitting the modules it shares with the start chunk into a third file every start loads.
import { checkBabelPlace } from "../runtime/package_place.ts";

/**
 * Set once `tsbpf run`'s script has ended: this process then holds nothing left to finish (the
 * child, its -c command and the signal relay are done with), and ends at once with the child's
 * status instead of waiting for the runtime to wind down (Deno's teardown of its JavaScript
 * engine and caches took ≈ 50-90 ms after the child was reaped: bench/NOTES.md, "Stopping,
 * session 15").
 */
let endAtOnce = false;

const COMMANDS = ["run", "list", "dump", "types", "build", "plan", "tools", "pinned", "help"];

async function main(argv: string[]): Promise<number> {
  // Kernel files are read through libc (so Deno needs only --allow-ffi for most commands).
  await libc();
  noteIgnoredSignals();
  const global = await parseUntilPositional(argv, GLOBAL_OPTIONS);
  const { values } = global;
  if (values.version) return print(`tsbpf ${(await import("../package.json", { with: { type: "json" } })).default.version}`);
  if (values.eval !== undefined) {
    if (values.help) return print(await help("-e"));
    // Words after the one-liner are its positional parameters ($1, $2, as bpftrace's) when it reads them.
    const positional = global.first === undefined ? [] : [global.first, ...global.rest];
    if (positional.length && !/\$(\d|#|argc\b)/.test(String(values.eval))) throw new UsageError(`unexpected "${global.first}" after the one-liner, which reads no $1: words after a one-liner are its positional parameters ($1, str($1)); if "${global.first}" belongs to the one-liner, quote the whole one-liner as one argument`);
    if (String(values.eval).trim() === "") throw new UsageError(`-e needs a one-liner, got an empty program (example: tsbpf -e 'tracepoint("syscalls:sys_enter_openat", () => count(comm()))')`);
    const { runOneLiner } = await import("./oneliner/run_oneliner.ts");
    return await runOneLiner(String(values.eval), session(values), { emit: !!values.emit, positional });
  }
  const command = global.first;
  if (command === undefined) {
    if (values.help) return print(await help());
    console.error(await help());
    return 2;
  }
  if (!COMMANDS.includes(command)) {
    const near = command.endsWith(".ts") ? [] : closest(command, COMMANDS, 2);
    const suggestion = near.length ? `: did you mean ${near.map((c) => `"${c}"`).join(" or ")}?` : "";
    throw new UsageError(`unknown command "${command}"${suggestion}${command.endsWith(".ts") ? ` (to run a script: tsbpf run ${command})` : ""}`);
  }
  if (values.help) return print(await help(command));
  const rest = global.rest;
  switch (command) {
    case "help":
      return print(await help(rest[0]));
    case "run": {
      // Options may also follow "run": tsbpf run -p 42 script.ts
      const { eval: _e, ...runOptions } = GLOBAL_OPTIONS;
      const own = await parseUntilPositional(rest, { ...runOptions, yes: { type: "boolean", short: "y" } }, "run");
      const merged = { ...values, ...own.values };
      if (merged.help) return print(await help("run"));
      if (own.first === undefined) throw new UsageError("needs the script to run: tsbpf run script.ts [args...]", "run");
      const { runScript } = await import("./commands/run.ts");
      const status = await runScript(own.first, own.rest, session(merged), { yes: !!merged.yes });
      endAtOnce = true;
      return status;
    }
    case "list": {
      const { listCommand } = await import("./commands/list.ts");
      return listCommand(rest);
    }
    case "dump": {
      checkBabelPlace();
      const { dumpCommand } = await import("./commands/dump.ts");
      return await dumpCommand(rest);
    }
    case "types": {
      const { typesCommand } = await import("./commands/kernel_types.ts");
      return await typesCommand(rest);
    }
    case "build": {
      const { buildCommand } = await import("./commands/build.ts");
      return await buildCommand(rest);
    }
    case "tools": {
      const { toolsCommand } = await import("./commands/tools.ts");
      return toolsCommand(rest);
    }
    case "pinned": {
      const { pinnedCommand } = await import("./commands/pinned.ts");
      return pinnedCommand(rest, !!values.json);
    }
    case "plan": {
      checkBabelPlace(); // before plan.ts, which imports it
      const { planCommand } = await import("./commands/plan.ts");
      return await planCommand(rest);
    }
  }
  return 0;
}

function session(values: Values): SessionOptions {
  if (values.pid !== undefined && values.command !== undefined) throw new UsageError("-p and -c both name the process to trace: give one");
  const pid = values.pid === undefined ? undefined : parsePid(String(values.pid));
  const target = pid === undefined ? undefined : processNow(pid);
  if (pid !== undefined && !target) throw new CliError(`-p ${pid}: there is no process ${pid}`);
  // A thread's id names no process: pid() never equals it, and no pidfd can hold it.
  const group = pid === undefined ? undefined : threadGroupOf(pid);
  if (group !== undefined && group !== pid) throw new CliError(`-p ${pid}: ${pid} is a thread of process ${group}, not a process: give -p ${group}`);
  return {
    pid,
    pidStart: target?.start,
    command: values.command === undefined ? undefined : splitCommand(String(values.command)),
    durationMs: values.duration === undefined ? undefined : parseDuration(String(values.duration)),
    verbose: !!values.verbose,
    json: !!values.json,
    cgroup: values.cgroup === undefined ? undefined : String(values.cgroup),
    metrics: values.metrics === undefined ? undefined : String(values.metrics),
    stats: !!values.stats,
    pin: values.pin === undefined ? undefined : String(values.pin),
  };
}

/** The help of a command (or of -e), or the main help; cli/help.ts is loaded only to print it. */
async function help(name?: string): Promise<string> {
  const { HELP, MAIN_HELP } = await import("./help.ts");
  return (name && HELP[name]) || MAIN_HELP;
}

function print(text: string): number {
  console.log(text);
  return 0;
}

/**
 * Runs the command with this process's arguments and sets its exit status. The entry of the
 * command: this module run as the main one, or Bun's bytecode copy of it (pack/bun_library.ts),
 * whose entry file calls this.
 */
export async function runCommand(): Promise<void> {
  const argv = scriptArgs();
  const verbose = argv.includes("--verbose");
  if (verbose) showDecisions();
  const hooks = await processHooks();
  // The command reports a stray rejection itself, through the runtime's own global (Bun's is
  // node:process's object, which costs nothing there; Deno's would load its Node layer).
  if (runtimeName === "deno") globalThis.addEventListener("unhandledrejection", (e) => (e.preventDefault(), fail(e.reason, verbose)));
  else (globalThis as unknown as { process: { on(event: string, f: (e: unknown) => void): void } }).process.on("unhandledRejection", (e) => fail(e, verbose));
  try {
    const status = await main(argv);
    if (endAtOnce) hooks.exit(status);
    if (status !== 0) hooks.setExitCode(status);
  } catch (e) {
    fail(e, verbose);
  }
}

// Not awaited (runCommand reports every failure itself): the same source is a CommonJS module in
// Bun's bytecode build, where a top-level await would not compile.
if (import.meta.main) void runCommand();
