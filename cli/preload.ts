// Loaded before the script by `tsbpf run` (bun --preload / deno run --preload): the script runs
// as the main module (its `import.meta.main` is true), with the session the command described
// in the TSBPF_CLI environment variable (read through libc: Deno then needs no --allow-env).
import { libc } from "../runtime/ffi/mod.ts";
import { SESSION_ENV, startSession, type SessionOptions } from "./session.ts";
import { describeError, describeScriptError } from "./errors.ts";
import process from "node:process";

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
