// Where tracefs lives, mounted on first use if nobody has mounted it yet.
import { libcSync } from "../runtime/ffi/mod.ts";
import { fileExists } from "../runtime/files.ts";
import { SyscallError } from "../runtime/errors.ts";
import { UserFacingError } from "../spec/user_facing.ts";

const CANDIDATES = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
let root: string | undefined;

export class TracefsError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = "TracefsError";
  }
}

export function tracefs(): string {
  if (root) return root;
  for (const dir of CANDIDATES) {
    if (fileExists(`${dir}/events`)) return (root = dir);
  }
  const r = libcSync().mount("tracefs", CANDIDATES[0], "tracefs", 0);
  if (r < 0 && !fileExists(`${CANDIDATES[0]}/events`)) {
    const why = new SyscallError("mount(tracefs)", -r).message;
    throw new TracefsError(`Cannot find tracefs and cannot mount it at ${CANDIDATES[0]} (${why}); mount it with: mount -t tracefs tracefs ${CANDIDATES[0]}`);
  }
  return (root = CANDIDATES[0]);
}
