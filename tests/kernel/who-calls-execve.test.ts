import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { runScript, waitFor } from "./util.ts";

const script = new URL("../../examples/who-calls-execve.ts", import.meta.url).pathname;

/** A shell that, once told, replaces itself with /bin/true: its execve is made by comm "sh" at a known pid. */
async function shellThatExecs(): Promise<number> {
  const sh = spawn("/bin/sh", ["-c", "read x; exec /bin/true"], { stdio: ["pipe", "ignore", "ignore"] });
  await new Promise((r) => sh.on("spawn", r));
  await new Promise((r) => setTimeout(r, 50)); // the shell runs (its own execve is done)
  sh.stdin!.end("go\n");
  await new Promise((r) => sh.on("exit", r));
  return sh.pid!;
}

test("who-calls-execve -a prints the time, comm, pid and path of an execve, as the seed does", async () => {
  const run = runScript(script, {}, ["-a"]);
  try {
    assert.ok(await waitFor(() => run.output().includes("PATH"), 60_000), `no header: ${run.output()}`);
    const pid = await shellThatExecs();
    const line = new RegExp(`^\\d+\\.\\d{9} +sh {15}${pid} +/bin/true$`, "m");
    assert.ok(await waitFor(() => line.test(run.output()), 60_000), `no line for sh ${pid}:\n${run.output()}`);
    assert.match(run.output(), /^TIME\(s\) {12}COMM {13}PID    PATH$/m);
    assert.match(run.output(), /^0\.000000000 /m, "the first call is at 0");
  } finally {
    run.kill("SIGINT");
    assert.equal(await run.exited, 130);
  }
});

test("who-calls-execve -p --json: only the process asked for", async () => {
  // A shell that runs itself again (execve, same pid) every 100 ms, 100 times: some of its calls
  // come after the tracer has started, however long the start takes.
  const again = 'sleep 0.1; [ "$1" -lt 100 ] && exec /bin/sh -c "$0" "$0" $(($1 + 1))';
  const sh = spawn("/bin/sh", ["-c", again, again, "0"], { stdio: "ignore" });
  await new Promise((r) => sh.on("spawn", r));
  const run = runScript(script, {}, ["-p", String(sh.pid), "--json"]);
  try {
    assert.ok(await waitFor(() => run.output().includes(`"pid":${sh.pid}`), 60_000), run.output());
    await shellThatExecs(); // another process: not reported
    await new Promise((r) => setTimeout(r, 200));
    const lines = run.output().trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.every((l) => l.comm === "sh" && l.pid === sh.pid && typeof l.time === "number"), run.output());
  } finally {
    run.kill("SIGINT");
    await run.exited;
    sh.kill("SIGKILL");
  }
});
