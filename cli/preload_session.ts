// What `tsbpf run` loads before the script (cli/preload.ts, or Bun's bytecode build's entry of
// it, pack/bun_library.ts): the session the command described in the TSBPF_CLI environment
// variable (read through libc: Deno then needs no --allow-env), and one line for what the
// script does not catch.
import { libc } from "../runtime/ffi/mod.ts";
import { SESSION_ENV, startSession, type SessionOptions } from "./session.ts";
import { describeError, describeScriptError } from "./errors.ts";
import process from "node:process";

/** Starts the session before the script runs (the preload awaits it). */
export async function preloadSession(): Promise<void> {
  const text = (await libc()).getenv(SESSION_ENV);
  const options: SessionOptions = text ? JSON.parse(text) : {};
  try {
    await startSession(options);
  } catch (e) {
    console.error(describeError(e, options.verbose ?? false));
    process.exit(1);
  }

  // What the script does not catch: one line (--verbose: the stack), not the runtime's report.
  const report = (e: unknown) => {
    console.error(describeScriptError(e, options.verbose ?? false));
    process.exit(1);
  };
  process.on("uncaughtException", report);
  process.on("unhandledRejection", report);
}
