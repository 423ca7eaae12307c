// A one-liner's generated script imports two of tsbpf's own modules, and each is checked before
// (runtime/own_files.ts: every directory on the way examined, owned by root or us, writable by no
// one else). Both are in one directory tree, so they are checked together: each directory is
// examined once, not once per module (its share of a warm one-liner's start). Seen by strace.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasStrace } from "./opened_files.ts";
import { commandLine } from "./cli_run.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** How often each path was lstat()ed by the command (one strace log per thread: -ff). */
function lstatCounts(args: string[]): Map<string, number> {
  // Made here, not at the top: Deno runs no after() hook in a file whose every test is skipped.
  const logs = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  const cache = mkdtempSync(join(tmpdir(), "tsbpf-cache-"));
  try {
    return countLstats(args, logs, cache);
  } finally {
    rmSync(logs, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
}

function countLstats(args: string[], logs: string, cache: string): Map<string, number> {
  const r = spawnSync("strace", ["-ff", "-qq", "-e", "trace=lstat", "-o", join(logs, "thread"), ...commandLine(args)], {
    encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1", XDG_CACHE_HOME: cache },
  });
  assert.equal(r.status, 0, r.stderr);
  const counts = new Map<string, number>();
  for (const log of readdirSync(logs)) {
    for (const m of readFileSync(join(logs, log), "utf8").matchAll(/lstat\("([^"]+)", [^)]*\) = 0/g)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  }
  return counts;
}

test("a one-liner examines each directory on the way to tsbpf's own modules once", { skip: !hasStrace && "needs strace" }, () => {
  const counts = lstatCounts(["--emit", "-e", 'tracepoint("syscalls:sys_enter_getppid", () => { printf("%d\\n", pid()); })']);
  // The package's root is on the way to both modules (mod, cli/oneliner/oneliner_runtime); nothing else of a one-liner looks at it.
  assert.equal(counts.get(ROOT), 1, `lstat of ${ROOT}: ${counts.get(ROOT)}`);
});
