// `tsbpf run script.ts [args...]`: runs a tracer script as its own main module (so its
// `import.meta.main` block runs and its parseArgs sees exactly its arguments), in a child
// process with the session preloaded. This process supervises it: it passes SIGINT, SIGTERM,
// SIGHUP and SIGQUIT on (those the child did not get itself), reports its status as a shell would (128+n for signal n), holds and
// ends the -c command, and the child dies with it (cli/parent_link.ts).
import process from "node:process";
import { spawn } from "node:child_process";
import { basename, resolve } from "node:path";
import { fileExists, readCheckedFile } from "../../runtime/files.ts";
import { geteuid, S_IFDIR, S_IFMT, stat } from "../../runtime/file_stat.ts";
import { isRemote, MAX_SCRIPT_BYTES } from "../../runtime/download.ts";
import { untrustedTls } from "../../runtime/tls_trust.ts";
import { CliError } from "../errors.ts";
import { checkCanSpawn, scriptCommand } from "../child_runtime.ts";
import { runtimeName } from "../../runtime/ffi/host.ts";
import { restoreIgnored, signalsIgnoredAtStart } from "../../runtime/ignored_signals.ts";
import { SESSION_ENV, type SessionOptions } from "../session.ts";
import { HeldCommand, ownChild, signalStatus } from "../held_command.ts";
import { SignalRelay } from "../child_signals.ts";

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

export async function runScript(script: string, args: string[], session: SessionOptions, options: { yes?: boolean } = {}): Promise<number> {
  checkCanSpawn("tsbpf run");
  if (isRemote(script)) {
    // A link: downloaded, reviewed, shown, and run once confirmed (cli/remote_script.ts). The plan
    // is made with --yes too: what plan refuses never runs, and what runs is the copy it reviewed.
    const { confirmRun, fetchScript } = await import("../remote_script.ts");
    const staged = await fetchScript(script);
    try {
      const { reviewScript } = await import("./plan.ts");
      const plan: string[] = [];
      const { refusals } = await reviewScript(staged.file, staged.url, (text) => plan.push(text));
      if (refusals.length) throw new CliError(`Not running ${staged.url}: tsbpf plan refuses it:\n  ${refusals.join("\n  ")}`);
      await confirmRun(staged, !!options.yes, plan.join("\n"));
      return await runLocal(staged.file, args, session);
    } finally {
      staged.remove();
    }
  }
  const path = resolve(script);
  if (!fileExists(path)) throw new CliError(`No such script: ${script}${await toolNamed(script)}`);
  const st = stat(path);
  if (typeof st !== "number" && (st.mode & S_IFMT) === S_IFDIR) throw new CliError(`${script} is a directory, not a script: give the .ts file to run (tsbpf tools lists the tools)`);
  if (isBpftraceFile(path)) throw new CliError(`${script} is a bpftrace program, and tsbpf runs TypeScript: ${await bpftraceHint(path)}`);
  if (runtimeName === "deno" && path.includes("/node_modules/")) {
    // Deno does not strip types inside node_modules (a tool of the npm package): run a private copy.
    const { stageScript } = await import("../remote_script.ts");
    const bytes = readCheckedFile(path, { maxBytes: MAX_SCRIPT_BYTES });
    if (!bytes) throw new CliError(`No such script: ${script}`);
    const staged = stageScript(basename(path), bytes);
    try {
      return await runLocal(staged.file, args, session);
    } finally {
      staged.remove();
    }
  }
  return await runLocal(path, args, session);
}

/** A bpftrace tool (`opensnoop.bt`, or a file that starts `#!/usr/bin/env bpftrace`), which the runtime would fail to parse with no word of why. */
function isBpftraceFile(path: string): boolean {
  if (path.endsWith(".bt")) return true;
  const head = readCheckedFile(path, { maxBytes: MAX_SCRIPT_BYTES })?.subarray(0, 64);
  return !!head && /^#!\S*(\/env\s+|\/)bpftrace\b/.test(new TextDecoder().decode(head));
}

/** The one-liner the program becomes, or what stops its translation (cli/oneliner/bpftrace_syntax.ts). */
async function bpftraceHint(path: string): Promise<string> {
  const text = new TextDecoder().decode(readCheckedFile(path, { maxBytes: MAX_SCRIPT_BYTES }) ?? new Uint8Array());
  const { translateBpftrace } = await import("../oneliner/bpftrace_syntax.ts");
  const t = translateBpftrace(text);
  if ("oneliner" in t) return `in tsbpf: tsbpf -e '${t.oneliner.replaceAll("'", `'\\''`)}'`;
  // bpftrace's tools that tsbpf ships too (tcplife.bt, runqlat.bt): the user wants the tool, not its translation.
  const { examplesDir, tools } = await import("./tools.ts");
  const name = basename(path, ".bt");
  const own = tools().some((tool) => tool.name === name) ? `; tsbpf has its own ${name}: sudo tsbpf run ${examplesDir()}/${name}.ts` : "";
  return `no plain translation of ${t.untranslatable}; docs/cli.md ("One-liners") shows tsbpf's form of bpftrace's${own}`;
}

/** For a missing script named as bcc's or bpftrace's tool is typed (`opensnoop`, `opensnoop-bpfcc`, `opensnoop.bt`): where tsbpf's tool of that name is. */
async function toolNamed(script: string): Promise<string> {
  if (script.includes("/")) return "";
  const name = script.replace(/(\.ts|\.bt|-bpfcc)$/, "");
  const { examplesDir, tools } = await import("./tools.ts");
  if (!tools().some((tool) => tool.name === name)) return "";
  return `; tsbpf's tool of that name: sudo tsbpf run ${examplesDir()}/${name}.ts (tsbpf tools lists them)`;
}

async function runLocal(path: string, args: string[], session: SessionOptions): Promise<number> {
  const held = session.command ? await HeldCommand.start(session.command) : undefined;
  const ending = held && new EndingSignals();
  try {
    const status = await runChild(path, args, { ...session, heldPid: held?.pid, parentPid: process.pid }).catch(async (e) => {
      await held?.end();
      throw e;
    });
    if (!held) return status;
    ending!.arm();
    // The command never outlives its tracers (nor runs if they never started). A tracer that
    // stopped because the command ended reports the command's status.
    const endedAlone = held.ended;
    const commandStatus = await held.end(!(status === 0 && endedAlone));
    return ending!.status ?? (status === 0 && endedAlone ? commandStatus : status);
  } finally {
    ending?.close();
  }
}

const ENDING_SIGNALS = ["SIGHUP", "SIGINT", "SIGTERM"] as const;

/**
 * The stop signals that come once the child has exited, while the -c command and what it left
 * running are ended (a second, for a stray that takes its SIGTERM): noted, so that they end
 * this process with their status once that is done; not fatal, or the strays were left to
 * init. A second one ends it at once. Listening from before the child's end: no moment is
 * left without a listener (Bun restores a signal's default action when its last one goes).
 */
class EndingSignals {
  status?: number;
  #armed = false;
  readonly #listeners: [(typeof ENDING_SIGNALS)[number], () => void][];

  constructor() {
    const ignored: string[] = signalsIgnoredAtStart();
    const signals = ENDING_SIGNALS.filter((signal) => !ignored.includes(signal));
    this.#listeners = signals.map((signal) => [signal, () => {
      if (!this.#armed) return; // the child runs: runChild passes the signal on
      if (this.status !== undefined) process.exit(signalStatus(signal));
      this.status = signalStatus(signal);
    }]);
    for (const [signal, f] of this.#listeners) process.on(signal, f);
    restoreIgnored();
  }

  arm(): void {
    this.#armed = true;
  }

  close(): void {
    for (const [signal, f] of this.#listeners) process.off(signal, f);
  }
}

/**
 * This environment, but for certificates another user could change, or certificate checks turned
 * off (runtime/tls_trust.ts): the script's runtime would trust whoever answers every https:
 * fetch and import, as root. Nor, as root,
 * JSR_URL: Deno imports a script's jsr: modules from the registry it names, and sudo -E keeps
 * another user's (tests/security/jsr_registry_env.test.ts); a URL has no owner to check. Nor
 * NODE_PATH: Bun takes a bare import no node_modules holds from the directories it lists
 * (tests/security/node_path_env.test.ts).
 */
function childEnvironment(): Record<string, string | undefined> {
  const env = { ...process.env };
  for (const u of untrustedTls((name) => env[name])) {
    console.error(`tsbpf: the script runs without ${u.variable}=${u.value}, with which its runtime would trust a server another user chose (${u.why})`);
    delete env[u.variable];
  }
  if (env.JSR_URL && geteuid() === 0) {
    console.error(`tsbpf: the script runs without JSR_URL (${env.JSR_URL}): its jsr: imports come from jsr.io, not from a registry the environment names (sudo -E keeps another user's), since they run as root`);
    delete env.JSR_URL;
  }
  if (env.NODE_PATH && geteuid() === 0) {
    console.error(`tsbpf: the script runs without NODE_PATH (${env.NODE_PATH}): a package it imports comes from a node_modules directory, not from directories the environment names (sudo -E keeps another user's), since it runs as root`);
    delete env.NODE_PATH;
  }
  return env;
}

async function runChild(path: string, args: string[], session: SessionOptions): Promise<number> {
  const [cmd, ...cmdArgs] = scriptCommand(path, args, session.command !== undefined);
  const ignored = signalsIgnoredAtStart();
  const child = spawn(cmd, cmdArgs, { stdio: "inherit", env: { ...childEnvironment(), [SESSION_ENV]: JSON.stringify({ ...session, ignoredSignals: ignored }) } });
  ownChild(child.pid); // not an orphan of -c's command: its runtime reaps it
  // Made now, before this task ends: the runtime cannot have reaped the child yet (cli/child_signals.ts).
  const relay = child.pid === undefined ? undefined : new SignalRelay(child.pid, ignored);
  // Sent to the whole process group (Ctrl-C, kill -PGID), the child has it already (cli/child_signals.ts).
  const forward = (signal: typeof FORWARDED[number]) => () => relay?.pass(signal);
  // A signal this process started ignoring stays ignored here and in the child (runtime/ignored_signals.ts).
  const listeners = FORWARDED.filter((signal) => !(ignored as string[]).includes(signal)).map((signal) => [signal, forward(signal)] as const);
  for (const [signal, f] of listeners) process.on(signal, f);
  restoreIgnored();
  try {
    return await new Promise<number>((done, fail) => {
      child.on("error", (e) => fail(new CliError(`Cannot start ${cmd}: ${e.message}`)));
      child.on("exit", (code, signal) => done(code ?? signalStatus(signal ?? "")));
    });
  } finally {
    for (const [signal, f] of listeners) process.off(signal, f);
    relay?.close();
  }
}
