// `tsbpf run script.ts [args...]`: runs a tracer script as its own main module (so its
// `import.meta.main` block runs and its parseArgs sees exactly its arguments), in a child
// process with the session preloaded. This process only waits and passes the status on.
import process from "node:process";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileExists } from "../runtime/files.ts";
import { CliError } from "./errors.ts";
import { checkCanSpawn, scriptCommand } from "./child_runtime.ts";
import { SESSION_ENV, type SessionOptions } from "./session.ts";
import { HeldCommand } from "./held_command.ts";

export async function runScript(script: string, args: string[], session: SessionOptions): Promise<number> {
  const path = resolve(script);
  if (!fileExists(path)) throw new CliError(`No such script: ${script}`);
  checkCanSpawn("tsbpf run");
  const held = session.command ? await HeldCommand.start(session.command) : undefined;
  try {
    return await runChild(path, args, { ...session, heldPid: held?.pid });
  } finally {
    held?.abandon();
  }
}

async function runChild(path: string, args: string[], session: SessionOptions): Promise<number> {
  const [cmd, ...cmdArgs] = scriptCommand(path, args, session.command !== undefined);
  const child = spawn(cmd, cmdArgs, { stdio: "inherit", env: { ...process.env, [SESSION_ENV]: JSON.stringify(session) } });
  // Ctrl-C reaches the whole process group: the script handles it; this process waits for it.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  return await new Promise<number>((done, fail) => {
    child.on("error", (e) => fail(new CliError(`Cannot start ${cmd}: ${e.message}`)));
    child.on("exit", (code, signal) => done(code ?? 128 + (signal === "SIGINT" ? 2 : signal === "SIGKILL" ? 9 : 15)));
  });
}
