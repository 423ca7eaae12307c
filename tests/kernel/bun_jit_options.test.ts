// bin/tsbpf starts its Bun with JavaScriptCore's baseline JIT tier later than the default (BUN_JSC_*
// thresholds: a start runs most functions a few times, and compiling them cost more than
// interpreting them). Those are for tsbpf's own process only: the command it holds (-c) is the
// user's, and gets the environment it was given, a threshold the caller set included. Seen from
// the held command itself: its own environment, and its parent's (the tsbpf process) in /proc.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";

const ROOT = new URL("../..", import.meta.url).pathname;

/** The BUN_JSC_ variables of the tsbpf process and of the command it held, each as NAME=VALUE lines, sorted. */
function jitVariables(env: Record<string, string>): { tsbpf: string[]; command: string[] } {
  // In single quotes: -c runs no shell, so a $ the shell must expand is refused outside them (docs/cli.md).
  const report = `tr "\\0" "\\n" < /proc/$PPID/environ | grep "^BUN_JSC_" | sed "s/^/tsbpf:/"; env | grep "^BUN_JSC_" | sed "s/^/command:/"; true`;
  const r = spawnSync("sh", [join(ROOT, "bin/tsbpf"), "-e", 'tracepoint("syscalls:sys_enter_getppid", () => { count(); })', "-c", `sh -c '${report}'`], {
    cwd: "/",
    env: { PATH: `${join(ROOT, "node_modules/.bin")}:/usr/bin:/bin`, HOME: process.env.HOME ?? "/root", TSBPF_RUNTIME: "bun", NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  const lines = r.stdout.split("\n");
  const of = (who: string) => lines.filter((l) => l.startsWith(`${who}:`)).map((l) => l.slice(who.length + 1)).sort();
  return { tsbpf: of("tsbpf"), command: of("command") };
}

test("the tsbpf command's Bun runs with a later JIT tier, and the command it holds (-c) without them", { timeout: 90_000 }, () => {
  const { tsbpf, command } = jitVariables({});
  // 20x the defaults for the baseline tier (bin/tsbpf says why); the optimizing tiers keep theirs.
  assert.deepEqual(tsbpf, ["BUN_JSC_thresholdForJITAfterWarmUp=10000", "BUN_JSC_thresholdForJITSoon=2000"]);
  assert.deepEqual(command, [], "the held command inherited tsbpf's JIT options");
});

test("a JIT threshold the caller set is kept, for tsbpf's Bun and for the held command", { timeout: 90_000 }, () => {
  const { tsbpf, command } = jitVariables({ BUN_JSC_thresholdForJITSoon: "7" });
  assert.ok(tsbpf.includes("BUN_JSC_thresholdForJITSoon=7"), `tsbpf's Bun: ${tsbpf.join(" ")}`);
  assert.ok(tsbpf.includes("BUN_JSC_thresholdForJITAfterWarmUp=10000"), `tsbpf's Bun: ${tsbpf.join(" ")}`);
  assert.deepEqual(command, ["BUN_JSC_thresholdForJITSoon=7"]);
});
