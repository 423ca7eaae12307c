// -c CMD: the held shell stops itself, and only then may the tracer's SIGCONT release it. On a
// loaded machine the shell can take long to get there; a SIGCONT sent before its stop is lost
// and the command stays stopped for good (tsbpf then waits forever). Here the shell is made
// slow for real: it is frozen (cgroup v2 freezer) for 2 s just after it was started.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { CommandProcess, HeldCommand } from "../../cli/held_command.ts";
import { cgroup2Mount } from "../../runtime/cgroup.ts";
import { waitFor } from "../kernel/util.ts";

const root = cgroup2Mount();
const freezer = root && `${root}/tsbpf-held-${process.pid}`;
let skip: string | false = false;
try {
  if (!freezer) throw new Error("no cgroup v2 file system is mounted");
  mkdirSync(freezer);
  readFileSync(`${freezer}/cgroup.freeze`);
} catch (e) {
  skip = `no cgroup v2 freezer to slow the shell down: ${(e as Error).message}`;
}

/** The children of every thread of this process. */
function children(): Set<number> {
  const out = new Set<number>();
  for (const task of readdirSync("/proc/self/task")) {
    for (const pid of readFileSync(`/proc/self/task/${task}/children`, "utf8").trim().split(" ")) if (pid) out.add(Number(pid));
  }
  return out;
}

/** The process's state letter ("T": stopped), or "gone". */
function state(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2);
  } catch {
    return "gone";
  }
}

test("a held shell slow to stop itself is waited for, so the release reaches it and the command runs", { skip }, async () => {
  writeFileSync(`${freezer}/cgroup.freeze`, "1");
  let shell = 0;
  try {
    // The shell must be caught before it stops itself (a few ms): a try where it was not does not count.
    for (let attempt = 1; ; attempt++) {
      const before = children();
      const starting = HeldCommand.start(["/bin/true"]);
      shell = [...children()].find((p) => !before.has(p))!;
      writeFileSync(`${freezer}/cgroup.procs`, String(shell));
      if (state(shell) === "T") {
        writeFileSync(`${root}/cgroup.procs`, String(shell));
        await (await starting).end();
        assert.ok(attempt < 20, "the shell stopped itself before it could be frozen, 20 times");
        continue;
      }
      let thawed = false;
      const thaw = setTimeout(() => (writeFileSync(`${freezer}/cgroup.freeze`, "0"), (thawed = true)), 2000);
      const held = await starting;
      const stoppedWhenReturned = state(held.pid) === "T";
      const thawedWhenReturned = thawed;
      // Release it as the tracer does once attached; the command must run and end.
      const command = new CommandProcess(held.pid);
      command.release();
      command.close();
      await new Promise((r) => setTimeout(r, 2500)); // past the thaw
      clearTimeout(thaw);
      writeFileSync(`${freezer}/cgroup.freeze`, "0");
      const ran = await waitFor(() => state(held.pid) !== "T", 60_000);
      const status = ran ? await held.exited : await held.end();
      await held.end(); // as every caller of start() does: this process stops adopting orphans then
      assert.ok(stoppedWhenReturned && thawedWhenReturned, `start() returned while the shell was still starting (state ${stoppedWhenReturned ? "T" : "not T"}, thawed: ${thawedWhenReturned})`);
      assert.equal(status, 0, "the released command did not run: it stopped itself after the release and stayed stopped");
      return;
    }
  } finally {
    writeFileSync(`${freezer}/cgroup.freeze`, "0");
    if (shell && state(shell) !== "gone") process.kill(shell, "SIGKILL");
    await waitFor(() => readFileSync(`${freezer}/cgroup.procs`, "utf8").trim() === "", 60_000);
    rmdirSync(freezer!);
  }
});
