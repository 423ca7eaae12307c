// A refused handler costs as few verifier runs as the kernel allows. The first load has no log
// (a level-1 log makes the verifier 3-7 times slower on the sound programs that are the rule);
// a refusal is loaded again with a 1 MiB log for its reasons. A kernel that keeps the log's end
// when it overflows (Linux 6.4+, which reports the size it needed) has then given all the
// loader reads (the failing instruction and the reason are at the end): no third run with a
// log the whole size, which for a program refused as too large was 50 MB and 5 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeCommand } from "./util.ts";

const FIXTURE = new URL("../fixtures/refused_load.ts", import.meta.url).pathname;

/** The BPF_PROG_LOAD calls `command` made (log_level and result of each), by strace, one log per thread. */
function progLoads(command: string[]): { calls: string[]; stdout: string; stderr: string } {
  const logs = mkdtempSync(join(tmpdir(), "tsbpf-strace-"));
  try {
    const r = spawnSync("strace", ["-ff", "-qq", "-e", "trace=bpf", "-o", join(logs, "thread"), ...command], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const calls = readdirSync(logs).flatMap((log) => readFileSync(join(logs, log), "utf8").split("\n").filter((l) => l.includes("BPF_PROG_LOAD")));
    return { calls, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(logs, { recursive: true, force: true });
  }
}

test("a refused load whose log passes 1 MiB is verified twice, not three times, and keeps the reason", () => {
  const { calls, stdout } = progLoads(runtimeCommand(FIXTURE));
  const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { ok: boolean; errno: number; logBytes: number; logTail: string };
  assert.equal(result.ok, false);
  assert.equal(result.errno, 13, "the refusal's own errno (EACCES), not the log's ENOSPC");
  assert.ok(result.logBytes <= (1 << 20) + 200, `the log kept is ${result.logBytes} bytes (1 MiB and a note expected)`);
  assert.match(result.logTail, /R5 !read_ok/);
  assert.equal(calls.length, 2, `BPF_PROG_LOAD calls:\n${calls.map((c) => c.replace(/insns=0x[0-9a-f]+, /, "").slice(0, 200)).join("\n")}`);
});
