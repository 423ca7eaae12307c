// examples/bashreadline.ts end to end: a command typed into an interactive bash appears with the
// shell's pid; killing the tracer with SIGKILL leaves no uprobe and no program behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { libc } from "../../runtime/ffi/mod.ts";
import { pmuType } from "../../runtime/features.ts";
import { progInfoById } from "../../runtime/bpf.ts";
import { BashReadline } from "../../examples/bashreadline.ts";
import { runScript, waitFor } from "./util.ts";
import { type KernelObjects, objectsOf, released } from "../lifecycle/kernel_objects.ts";

await libc();
const skip = pmuType("uprobe") === undefined ? "this kernel has no uprobe PMU (CONFIG_UPROBES)" : false;

/** Runs `bash --norc -i` reading `lines` from a pipe (readline works without a terminal); resolves its pid once it exits. */
function typeIntoBash(lines: string[]): Promise<number> {
  const shell = spawn("bash", ["--norc", "-i"], { stdio: ["pipe", "ignore", "ignore"] });
  shell.stdin!.end(lines.map((l) => `${l}\n`).join(""));
  return new Promise((resolve) => shell.on("exit", () => resolve(shell.pid!)));
}

test("bashreadline shows each line typed into bash, with the shell's pid", { skip }, async () => {
  const tracer = new BashReadline();
  await tracer.start({ exitOnError: false });
  try {
    const lines: { pid: number; line: string }[] = [];
    tracer.events.on((e) => lines.push(e));
    const marker = `echo tsbpf-readline-${process.pid}`;
    const shell = await typeIntoBash([marker, "exit"]);
    assert.ok(await waitFor(() => lines.some((l) => l.pid === shell && l.line === "exit"), 60_000), `no lines from bash ${shell}: ${JSON.stringify(lines)}`);
    assert.deepEqual(lines.filter((l) => l.pid === shell).map((l) => l.line), [marker, "exit"]);
  } finally {
    await tracer.stop();
  }
});

/** The uprobes defined in tracefs now, one line each. */
const uprobeEvents = () => readFileSync("/sys/kernel/tracing/uprobe_events", "utf8").split("\n").filter(Boolean);

test("bashreadline killed with SIGKILL leaves no uprobe and no program behind", { skip }, async () => {
  // Another tracer's uprobes may be there before, and come and go meanwhile: only lines on bash
  // that appeared while this one ran count.
  const before = new Set(uprobeEvents());
  const run = runScript(new URL("../../examples/bashreadline.ts", import.meta.url).pathname, { TSBPF_NO_CACHE: "1" });
  let held: KernelObjects | undefined;
  try {
    assert.ok(await waitFor(() => run.output().includes("COMMAND"), 30000), `bashreadline did not start: ${run.output()}`);
    const shell = await typeIntoBash(["echo from-the-script-test", "exit"]);
    assert.ok(await waitFor(() => new RegExp(`\\s${shell}\\s+echo from-the-script-test`).test(run.output()), 60_000), `no line from bash ${shell}:\n${run.output()}`);
    held = objectsOf(run.pid); // by id: another session may run bashreadline meanwhile
    assert.ok(held.progs.some((id) => progInfoById(id)?.name === "onReadline"), "the handler's program is loaded while the tracer runs");
    // Its uprobe is a perf event it holds (the uprobe PMU), gone with its fds: none in tracefs.
    assert.ok(held.perfFds > 0, "the tracer holds no perf event for its uprobe");
  } finally {
    run.kill("SIGKILL");
    await run.exited;
  }
  // The uprobe is a perf event fd of the killed process: nothing was written to tracefs.
  const left = uprobeEvents().filter((line) => !before.has(line) && /\/bash:/.test(line));
  assert.deepEqual(left, [], "a uprobe on bash was left in uprobe_events");
  assert.deepEqual(await released(held!), [], "the killed tracer's objects are still in the kernel");
});
