// A one-liner's full map is reported as the user wrote it (@, @name), with what a one-liner user
// can do about it: one-liners cannot size their maps, a script can (tsbpf --emit writes it out).
// Each syscall's ktime() is a new key: the anonymous map (10 240 keys) fills within the run, which
// makes its own syscalls (-c: dd's 60 000 reads and writes) rather than count on the machine's.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { runCommand } from "./util.ts";

declare const Bun: unknown;
const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

function tsbpf(args: string[]) {
  const cmd = typeof Bun !== "undefined" ? [MAIN, ...args] : ["run", "-A", "--quiet", MAIN, ...args];
  return runCommand(process.execPath, cmd, { NO_COLOR: "1", TSBPF_NO_CACHE: "1", PATH: process.env.PATH ?? "/usr/bin:/bin" });
}

const BUSY = ["-c", "dd if=/dev/zero of=/dev/null bs=1 count=30000"];
const ONE_LINER = 'tracepoint("raw_syscalls:sys_enter", () => { count(ktime()); $.starts[ktime()] = count() })';

test("a one-liner's full maps are named @ and @starts in the drop report, with what a one-liner user can do", { timeout: 120_000 }, async () => {
  const run = tsbpf([...BUSY, "-e", ONE_LINER]);
  const status = await run.exited;
  assert.equal(status, 0, `${status}: ${run.stderr()}`);
  const err = run.stderr();
  assert.match(err, /updates to @ dropped: map full \(10240 entries\)/, err);
  assert.match(err, /updates to @starts dropped: map full \(10240 entries\)/, err);
  assert.doesNotMatch(err, /updates to \$/, err);
  assert.doesNotMatch(err, /raise its maxEntries/, err);
  assert.match(err, /tsbpf --emit -e/, err);
});

test("in JSON mode a one-liner's dropped_updates records name the map @", { timeout: 120_000 }, async () => {
  const run = tsbpf(["--json", ...BUSY, "-e", ONE_LINER]);
  const status = await run.exited;
  assert.equal(status, 0, `${status}: ${run.stderr()}`);
  const maps = run.stdout().split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === "dropped_updates").map((r) => r.data.map);
  assert.ok(maps.includes("@") && maps.includes("@starts"), run.stdout().slice(0, 2000));
  assert.ok(!maps.some((m: string) => m.startsWith("$")), JSON.stringify(maps));
});
