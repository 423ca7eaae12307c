// Writes tsbpf's output lines to stdout and notices when they cannot be written. Bun's
// console.log drops what it cannot write (a full disk, /dev/full) without a word, and Deno's
// throws, which ended a tracer as an "internal error": a tracer printing into a full file would
// lose its output silently or crash. Here each write's result is checked: the first failure is
// said on stderr and ends the tracers (docs/lifecycle.md, status 74). A pipe whose reader has
// gone (EPIPE) is not a failure here: runtime/reader_gone.ts ends the tracers as SIGPIPE would.
import { libcSync, SYS } from "./ffi/mod.ts";
import { errnoName } from "./errors.ts";

const EAGAIN = 11, EINTR = 4, EPIPE = 32;
const O_WRONLY = 1, O_CLOEXEC = 0o2000000;
/** What the errors a write of the output can meet mean (errnoName gives only their names). */
const WHY: Record<number, string> = {
  5: "Input/output error",
  9: "Bad file descriptor",
  27: "File too large",
  28: "No space left on device",
  122: "Disk quota exceeded",
};
/** The status a process ends with once its output could not be written (sysexits.h's EX_IOERR). */
export const OUTPUT_FAILED_STATUS = 74;

const encoder = new TextEncoder();
/** Set at the first failed write: what follows is dropped, as it could not be written either. */
let failed = false;
/** What ends the tracers once the output fails (tracer/process_lifecycle.ts sets it while one runs). */
let onFailure: (() => void) | undefined;

/** Sets what a failed write of the output does (stop the tracers and exit); returns what removes it. */
export function whenOutputFails(f: () => void): () => void {
  onFailure = f;
  return () => {
    if (onFailure === f) onFailure = undefined;
  };
}

/** Prints one line (or several, joined by "\n") to stdout, as console.log does, with its result checked. */
export function writeStdoutLine(line: string): void {
  if (failed) return;
  const c = libcSync();
  const bytes = encoder.encode(`${line}\n`);
  let done = 0;
  while (done < bytes.length) {
    const n = c.write(1, done ? bytes.subarray(done) : bytes);
    if (n > 0) done += n;
    else if (n === -EINTR) continue;
    // A non-blocking stdout that is full for now: the runtime's own writer waits for it.
    else if (n === -EAGAIN) return void console.log(new TextDecoder().decode(bytes.subarray(done, bytes.length - 1)));
    else if (n === -EPIPE) return;
    else return outputFailed(-n);
  }
}

function outputFailed(errno: number): void {
  failed = true;
  const why = WHY[errno] ? `${WHY[errno]} (${errnoName(errno)})` : errnoName(errno);
  console.error(`tsbpf: cannot write the output: ${why}; tracing stopped (free space where the output goes, or send it elsewhere)`);
  const c = libcSync();
  // What is printed from now on (end(), a script's own console.log) goes nowhere, as it could
  // not be written anyway, rather than fail again: Deno's console.log would throw.
  const devNull = c.open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devNull >= 0) {
    c.syscall(SYS.dup3, BigInt(devNull), 1n, 0n);
    c.close(devNull);
  }
  c.process.setExitCode(OUTPUT_FAILED_STATUS);
  if (onFailure) onFailure();
  else c.process.exit(OUTPUT_FAILED_STATUS);
}
